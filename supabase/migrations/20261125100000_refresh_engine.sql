-- The refresh engine: leases for claiming due integrations, a jittered due time and the
-- index the claim walks, plus the one-round-trip function that records a refresh result.

alter table public.integrations
  -- When this connection should next be refreshed: expires_at minus a per-connection jitter,
  -- so tokens issued together are not all refreshed in the same tick. Null: never due.
  add column refresh_due_at timestamptz,
  -- The claim. lease_expires_at is set while a worker holds the row and cleared when it
  -- records a result; a crashed worker's lease simply expires. lease_owner names the last
  -- claimant (a pass's run id) and stays, so one pass never takes the same row twice.
  add column lease_owner text,
  add column lease_expires_at timestamptz,
  -- When a worker last took this row. Scheduled passes leave a row alone for a minute after
  -- any attempt, so overlapping passes never work one connection over and over.
  add column last_attempt_at timestamptz,
  add constraint integrations_lease_has_owner
    check (lease_expires_at is null or lease_owner is not null);

update public.integrations set refresh_due_at = expires_at where refresh_due_at is null;

-- The claim walks connected rows in due order; cost depends on the rows it returns, not on
-- the size of the table. It replaces the expires_at index of the foundation migration.
drop index if exists public.integrations_refresh_due_idx;
create index integrations_refresh_due_idx on public.integrations (refresh_due_at)
  where status = 'connected' and refresh_due_at is not null;

-- Dashboards may show the due time; never the lease.
grant select (refresh_due_at) on public.integrations to authenticated;

-- Stats and alerting read recent outcomes per provider.
create index token_refresh_logs_provider_outcome_idx
  on public.token_refresh_logs (provider, outcome, created_at desc);

/*
  Records one refresh result atomically, in one round trip. The caller (lib/refresh) has
  already decided everything with the pure policy; this only applies it:

  - new tokens are written only if token_version still equals the version the worker read
    (compare-and-swap): a slower worker can never overwrite newer tokens;
  - counters, status, error fields, the log row, the notification rows and the outbox rows
    are written in the same transaction, or nothing is;
  - the lease is released only if this worker still holds it.

  Returns { token_version, notifications, emails } (rows actually inserted; deduplicated
  events count zero), or null when the compare-and-swap failed and nothing was written.
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
  v_version bigint;
  v_notifications int;
  v_emails int;
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
    last_refreshed_at = case when v_tokens is null then i.last_refreshed_at else (result->>'now')::timestamptz end,
    -- A null state (a configuration failure) leaves the connection exactly as it was.
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
  returning i.token_version into v_version;

  if v_version is null then
    return null;
  end if;

  insert into public.token_refresh_logs
    (integration_id, provider, trigger, outcome, error_code, http_status, duration_ms, attempts, metadata, created_at)
  select v_id, l->>'provider', l->>'trigger', l->>'outcome', l->>'error_code', (l->>'http_status')::int,
         (l->>'duration_ms')::int, (l->>'attempts')::int, coalesce(l->'metadata', '{}'::jsonb),
         (result->>'now')::timestamptz
  from (select result->'log' as l) as log_row;

  insert into public.notifications
    (user_id, organization_id, integration_id, type, severity, title, message, action_url, metadata, dedupe_key, created_at)
  select (n->>'user_id')::uuid, (n->>'organization_id')::uuid, v_id, n->>'type', n->>'severity', n->>'title',
         n->>'message', n->>'action_url', n->'metadata', n->>'dedupe_key', (result->>'now')::timestamptz
  from jsonb_array_elements(coalesce(result->'notifications', '[]'::jsonb)) as n
  on conflict (user_id, dedupe_key) do nothing;
  get diagnostics v_notifications = row_count;

  insert into public.email_outbox
    (to_email, template, idempotency_key, user_id, integration_id, payload, next_attempt_at, created_at)
  select e->>'to_email', e->>'template', e->>'idempotency_key', (e->>'user_id')::uuid, v_id, e->'payload',
         (result->>'now')::timestamptz, (result->>'now')::timestamptz
  from jsonb_array_elements(coalesce(result->'emails', '[]'::jsonb)) as e
  on conflict (idempotency_key) do nothing;
  get diagnostics v_emails = row_count;

  return jsonb_build_object('token_version', v_version, 'notifications', v_notifications, 'emails', v_emails);
end
$$;

-- Only the service connection records results.
revoke all on function public.record_refresh_result(jsonb) from public, anon, authenticated;
