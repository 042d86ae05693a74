-- People hear about it: email throttling, operator alerts, webhook endpoints and their
-- deliveries, and the refresh recorder extended to owe all of them in one transaction.

-- Email outbox -------------------------------------------------------------------------------

alter table public.email_outbox
  -- Resend's id for a sent email, for support tickets.
  add column provider_message_id text,
  -- Who the email is about and why it may be throttled: (user, integration, template).
  add column throttled boolean not null default false;

-- "At most one email per user, integration and type in 24 hours" looks here.
create index email_outbox_throttle_idx
  on public.email_outbox (user_id, integration_id, template, created_at desc)
  where status in ('pending', 'sent');

-- Cleanup removes delivered rows by age.
create index email_outbox_sent_idx on public.email_outbox (sent_at) where status = 'sent';

-- Operator alerts -------------------------------------------------------------------------------

create table public.operator_alerts (
  id uuid not null default gen_random_uuid(),
  kind text not null,
  provider text,
  severity text not null default 'warning',
  title text not null,
  message text not null,
  metadata jsonb not null default '{}',
  -- One alert per business event, e.g. `config_failure/google/2026-11-25`.
  dedupe_key text not null,
  created_at timestamptz not null default now(),
  acknowledged_at timestamptz,
  constraint operator_alerts_pkey primary key (id),
  constraint operator_alerts_dedupe_key_key unique (dedupe_key),
  constraint operator_alerts_kind_check check (kind in ('config_failure', 'failure_rate')),
  constraint operator_alerts_severity_check check (severity in ('info', 'warning', 'error', 'critical'))
);

create index operator_alerts_created_idx on public.operator_alerts (created_at desc);

-- Operator emails are not about a user's integration; they are keyed by the alert.
alter table public.email_outbox
  add column operator_alert_id uuid null,
  add constraint email_outbox_operator_alert_fkey foreign key (operator_alert_id)
    references public.operator_alerts (id) on delete set null;

-- Webhooks ----------------------------------------------------------------------------------

create table public.webhook_endpoints (
  id uuid not null default gen_random_uuid(),
  organization_id uuid not null,
  url text not null,
  -- The Standard Webhooks signing secret (whsec_...), sealed with the token key ring and
  -- bound to this row: it must be readable to sign, and never stored in the clear.
  secret_encrypted text not null,
  secret_key_id text not null,
  events text[] not null,
  enabled boolean not null default true,
  description text,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  constraint webhook_endpoints_pkey primary key (id),
  constraint webhook_endpoints_organization_fkey foreign key (organization_id)
    references public.organizations (id) on delete cascade,
  constraint webhook_endpoints_url_check check (url ~ '^https?://'),
  constraint webhook_endpoints_events_check check (
    cardinality(events) > 0
    and events <@ array['integration.disconnected', 'integration.restored', 'integration.expiring']
  )
);

create index webhook_endpoints_organization_idx on public.webhook_endpoints (organization_id) where enabled;

create trigger webhook_endpoints_set_updated_at before update on public.webhook_endpoints
  for each row execute function public.set_updated_at();

create table public.webhook_deliveries (
  id uuid not null default gen_random_uuid(),
  endpoint_id uuid not null,
  -- The Standard Webhooks message id: the same event to the same endpoint is one delivery.
  event_id text not null,
  event_type text not null,
  payload jsonb not null,
  -- dead: gave up after the bounded number of attempts (the dead-letter state).
  status text not null default 'pending',
  attempts integer not null default 0,
  next_attempt_at timestamptz not null default now(),
  last_error text,
  last_status_code integer,
  sent_at timestamptz,
  created_at timestamptz not null default now(),
  constraint webhook_deliveries_pkey primary key (id),
  constraint webhook_deliveries_endpoint_fkey foreign key (endpoint_id)
    references public.webhook_endpoints (id) on delete cascade,
  constraint webhook_deliveries_event_key unique (endpoint_id, event_id),
  constraint webhook_deliveries_status_check check (status in ('pending', 'sent', 'dead')),
  constraint webhook_deliveries_attempts_nonnegative check (attempts >= 0)
);

create index webhook_deliveries_due_idx on public.webhook_deliveries (next_attempt_at) where status = 'pending';
create index webhook_deliveries_created_idx on public.webhook_deliveries (created_at);

alter table public.operator_alerts enable row level security;
alter table public.webhook_endpoints enable row level security;
alter table public.webhook_deliveries enable row level security;

-- Organization admins see their endpoints (never the secret) and their deliveries.
create policy webhook_endpoints_select_org_admin on public.webhook_endpoints
  for select to authenticated
  using (public.is_org_admin(organization_id));

create policy webhook_deliveries_select_org_admin on public.webhook_deliveries
  for select to authenticated
  using (exists (select 1 from public.webhook_endpoints e where e.id = endpoint_id));

revoke all on table public.operator_alerts, public.webhook_endpoints, public.webhook_deliveries
  from anon, authenticated;
grant select (id, organization_id, url, events, enabled, description, created_at, updated_at)
  on public.webhook_endpoints to authenticated;
grant select (id, endpoint_id, event_id, event_type, status, attempts, next_attempt_at, last_error,
  last_status_code, sent_at, created_at)
  on public.webhook_deliveries to authenticated;

-- Owing messages --------------------------------------------------------------------------------

/*
  Queues owed emails and webhooks for one integration event; called by record_refresh_result
  and by the expiry check, inside their transactions.

  Emails: at most one per user, integration and template in 24 hours (`now` is the caller's
  clock). A throttled email is still written, as `skipped` with the reason, so operators
  can see it; concurrent writers of the same (user, integration, template) are serialised
  by an advisory lock so two cannot both slip under the limit.

  Webhooks: one delivery per enabled endpoint of the integration's organization that
  subscribes to the event type, keyed by (endpoint, event id).
*/
create function public.queue_owed_messages(p_integration_id uuid, p_now timestamptz, p_emails jsonb, p_webhooks jsonb)
  returns jsonb
  language plpgsql
  set search_path = ''
  as $$
declare
  e jsonb;
  w jsonb;
  v_throttled boolean;
  v_emails int := 0;
  v_rows int;
  v_webhooks int := 0;
begin
  for e in select * from jsonb_array_elements(coalesce(p_emails, '[]'::jsonb)) loop
    perform pg_advisory_xact_lock(
      hashtext('email_throttle'),
      hashtext(coalesce(e->>'user_id', '') || '/' || p_integration_id::text || '/' || (e->>'template'))
    );
    select exists (
      select 1 from public.email_outbox o
      where o.user_id = (e->>'user_id')::uuid
        and o.integration_id = p_integration_id
        and o.template = e->>'template'
        and o.status in ('pending', 'sent')
        and o.created_at > p_now - interval '24 hours'
    ) into v_throttled;
    insert into public.email_outbox
      (to_email, template, idempotency_key, user_id, integration_id, payload, status, throttled, last_error,
       next_attempt_at, created_at)
    values (
      e->>'to_email', e->>'template', e->>'idempotency_key', (e->>'user_id')::uuid, p_integration_id,
      coalesce(e->'payload', '{}'::jsonb),
      case when v_throttled then 'skipped' else 'pending' end,
      v_throttled,
      case when v_throttled then 'throttled: this user got this kind of email about this integration within 24 hours' end,
      p_now, p_now)
    on conflict (idempotency_key) do nothing;
    get diagnostics v_rows = row_count;
    if v_rows > 0 and not v_throttled then
      v_emails := v_emails + 1;
    end if;
  end loop;

  for w in select * from jsonb_array_elements(coalesce(p_webhooks, '[]'::jsonb)) loop
    insert into public.webhook_deliveries (endpoint_id, event_id, event_type, payload, next_attempt_at, created_at)
    select ep.id, w->>'event_id', w->>'event_type', w->'payload', p_now, p_now
    from public.webhook_endpoints ep
    join public.integrations i on i.id = p_integration_id and i.organization_id = ep.organization_id
    where ep.enabled and (w->>'event_type') = any (ep.events)
    on conflict (endpoint_id, event_id) do nothing;
    get diagnostics v_rows = row_count;
    v_webhooks := v_webhooks + v_rows;
  end loop;

  return jsonb_build_object('emails', v_emails, 'webhooks', v_webhooks);
end
$$;

revoke all on function public.queue_owed_messages(uuid, timestamptz, jsonb, jsonb) from public, anon, authenticated;

/*
  Everything one event owes, for one integration: a notification per recipient (one per
  user and dedupe key), then the emails and webhooks through queue_owed_messages. Called by
  record_refresh_result and by the daily expiry check, in the statement of their change.
  Returns { notifications, emails, webhooks }: rows actually written (deduplicated events
  and throttled emails count zero).
*/
create function public.owe_messages(
  p_integration_id uuid, p_now timestamptz, p_notifications jsonb, p_emails jsonb, p_webhooks jsonb
) returns jsonb
  language plpgsql
  set search_path = ''
  as $$
declare
  v_notifications int;
begin
  insert into public.notifications
    (user_id, organization_id, integration_id, type, severity, title, message, action_url, metadata, dedupe_key, created_at)
  select (n->>'user_id')::uuid, (n->>'organization_id')::uuid, p_integration_id, n->>'type', n->>'severity', n->>'title',
         n->>'message', n->>'action_url', n->'metadata', n->>'dedupe_key', p_now
  from jsonb_array_elements(coalesce(p_notifications, '[]'::jsonb)) as n
  on conflict (user_id, dedupe_key) do nothing;
  get diagnostics v_notifications = row_count;
  return jsonb_build_object('notifications', v_notifications)
    || public.queue_owed_messages(p_integration_id, p_now, p_emails, p_webhooks);
end
$$;

revoke all on function public.owe_messages(uuid, timestamptz, jsonb, jsonb, jsonb) from public, anon, authenticated;

/*
  Records one refresh result atomically, in one round trip. The caller (lib/refresh) has
  already decided everything with the pure policy; this only applies it:

  - new tokens are written only if token_version still equals the version the worker read
    (compare-and-swap): a slower worker can never overwrite newer tokens;
  - counters, status, error fields, the log row and (through owe_messages) the
    notification, email and webhook rows are written in the same transaction, or nothing is;
  - a failure (no new tokens) is recorded only by the worker that still holds the row, so
    a worker whose lease ran out cannot overwrite a newer state;
  - the lease is released only if this worker still holds it.

  Returns { token_version, notifications, emails, webhooks } (rows actually inserted;
  deduplicated events and throttled emails count zero), or null when the compare-and-swap
  failed and nothing was written.
*/
create function public.record_refresh_result(result jsonb) returns jsonb
  language plpgsql
  set search_path = ''
  as $$
declare
  v_id uuid := (result->>'integration_id')::uuid;
  v_expected bigint := (result->>'expected_version')::bigint;
  v_tokens jsonb := nullif(result->'tokens', 'null'::jsonb);
  v_state jsonb := nullif(result->'state', 'null'::jsonb);
  v_now timestamptz := (result->>'now')::timestamptz;
  v_version bigint;
  v_owed jsonb;
begin
  update public.integrations i set
    access_token_encrypted = coalesce(v_tokens->>'access_token_encrypted', i.access_token_encrypted),
    refresh_token_encrypted = case
      when v_tokens is null then i.refresh_token_encrypted
      when v_tokens ? 'refresh_token_encrypted' then v_tokens->>'refresh_token_encrypted'
      else i.refresh_token_encrypted end,
    token_key_id = coalesce(v_tokens->>'token_key_id', i.token_key_id),
    token_version = i.token_version + case when v_tokens is null then 0 else 1 end,
    expires_at = case when v_tokens is null then i.expires_at else (v_tokens->>'expires_at')::timestamptz end,
    refresh_due_at = case when v_state ? 'refresh_due_at' then (v_state->>'refresh_due_at')::timestamptz else i.refresh_due_at end,
    refresh_token_expires_at = case when v_tokens ? 'refresh_token_expires_at'
      then (v_tokens->>'refresh_token_expires_at')::timestamptz else i.refresh_token_expires_at end,
    scopes = case when v_tokens ? 'scopes'
      then array(select jsonb_array_elements_text(v_tokens->'scopes')) else i.scopes end,
    last_refreshed_at = case when v_tokens is null then i.last_refreshed_at else v_now end,
    status = coalesce(v_state->>'status', i.status),
    consecutive_failures = coalesce((v_state->>'consecutive_failures')::int, i.consecutive_failures),
    consecutive_transient_failures =
      coalesce((v_state->>'consecutive_transient_failures')::int, i.consecutive_transient_failures),
    last_failure_at = case when v_state ? 'last_failure_at' then (v_state->>'last_failure_at')::timestamptz else i.last_failure_at end,
    last_error_code = case when v_state is null then i.last_error_code else v_state->>'last_error_code' end,
    last_error = case when v_state is null then i.last_error else v_state->>'last_error' end,
    disconnect_reason = case when v_state is null then i.disconnect_reason else v_state->>'disconnect_reason' end,
    lease_expires_at = case when i.lease_owner = result->>'lease_owner' then null else i.lease_expires_at end
  where i.id = v_id and i.token_version = v_expected
    -- New tokens are stored whoever holds the row now (they are the live ones, and the
    -- version check keeps newer ones safe); a failure is only recorded by the lease holder.
    and (v_tokens is not null or i.lease_owner = result->>'lease_owner')
  returning i.token_version into v_version;

  if v_version is null then
    return null;
  end if;

  insert into public.token_refresh_logs
    (integration_id, provider, trigger, outcome, error_code, http_status, duration_ms, attempts, metadata, created_at)
  select v_id, l->>'provider', l->>'trigger', l->>'outcome', l->>'error_code', (l->>'http_status')::int,
         (l->>'duration_ms')::int, (l->>'attempts')::int, coalesce(l->'metadata', '{}'::jsonb), v_now
  from (select result->'log' as l) as log_row;

  v_owed := public.owe_messages(v_id, v_now, result->'notifications', result->'emails', result->'webhooks');

  return jsonb_build_object('token_version', v_version) || v_owed;
end
$$;

revoke all on function public.record_refresh_result(jsonb) from public, anon, authenticated;

/*
  Several results in one round trip (a busy pass batches its writes). Each is applied by
  record_refresh_result in its own subtransaction: one result that cannot be written is
  reported as { "error": ... } and never takes the others of its batch down with it.
  Returns one element per input, in order: the counts, null (compare-and-swap failed), or
  the error.
*/
create function public.record_refresh_results(results jsonb) returns jsonb
  language plpgsql
  set search_path = ''
  as $$
declare
  r jsonb;
  v_out jsonb := '[]'::jsonb;
begin
  for r in select value from jsonb_array_elements(results) loop
    begin
      v_out := v_out || jsonb_build_array(public.record_refresh_result(r));
    exception when others then
      v_out := v_out || jsonb_build_array(jsonb_build_object('error', sqlstate || ': ' || sqlerrm));
    end;
  end loop;
  return v_out;
end
$$;

revoke all on function public.record_refresh_results(jsonb) from public, anon, authenticated;
