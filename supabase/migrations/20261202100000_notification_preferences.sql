-- Notification preferences (issue 11, Deliver 5): each person chooses which emails about
-- their connections they get. The in-app notifications are unchanged; only emails are
-- chosen, and the choice is honoured in SQL, in the transaction that queues the email.

create table public.notification_preferences (
  user_id uuid not null,
  -- integration_disconnected emails (docs/contracts.md §5): on unless turned off.
  email_disconnections boolean not null default true,
  -- integration_token_expiring emails at the urgent and critical steps: on unless turned off.
  email_expiring boolean not null default true,
  -- integration_warning ("having trouble", 2nd auth failure): off unless opted in.
  email_auth_warning boolean not null default false,
  updated_at timestamptz not null default now(),
  constraint notification_preferences_pkey primary key (user_id),
  constraint notification_preferences_user_fkey foreign key (user_id)
    references auth.users (id) on delete cascade
);

create trigger notification_preferences_set_updated_at before update on public.notification_preferences
  for each row execute function public.set_updated_at();

alter table public.notification_preferences enable row level security;

create policy notification_preferences_select_own on public.notification_preferences
  for select to authenticated
  using (user_id = (select auth.uid()));

create policy notification_preferences_insert_own on public.notification_preferences
  for insert to authenticated
  with check (user_id = (select auth.uid()));

create policy notification_preferences_update_own on public.notification_preferences
  for update to authenticated
  using (user_id = (select auth.uid()))
  with check (user_id = (select auth.uid()));

revoke all on table public.notification_preferences from anon, authenticated;
grant select (user_id, email_disconnections, email_expiring, email_auth_warning, updated_at)
  on public.notification_preferences to authenticated;
grant insert (user_id, email_disconnections, email_expiring, email_auth_warning)
  on public.notification_preferences to authenticated;
grant update (email_disconnections, email_expiring, email_auth_warning)
  on public.notification_preferences to authenticated;

/*
  Whether a person wants an email of this template about their connections; the default
  (no row) is the §5 table: disconnections and expiries yes, the auth warning no. Templates
  the preferences do not name (integration_restored, operator mail) are always wanted.
*/
create function public.wants_email(p_user_id uuid, p_template text) returns boolean
  language sql stable
  set search_path = ''
  as $$
    select case p_template
      when 'integration_disconnected' then coalesce((select p.email_disconnections from public.notification_preferences p where p.user_id = p_user_id), true)
      when 'integration_token_expiring' then coalesce((select p.email_expiring from public.notification_preferences p where p.user_id = p_user_id), true)
      when 'integration_warning' then coalesce((select p.email_auth_warning from public.notification_preferences p where p.user_id = p_user_id), false)
      else true
    end
  $$;

revoke all on function public.wants_email(uuid, text) from public, anon, authenticated;

/*
  As in 20261125110000_notify.sql, now honouring the recipient's preferences:

  - integration_warning is opt-in: it is owed to everyone the policy names, but a row is
    written only for recipients who opted in. A `skipped` row for each of the many who did
    not would fill the outbox with rows nobody asked about.
  - integration_disconnected and integration_token_expiring are opt-out: a recipient who
    turned them off gets a `skipped` row with the reason, so operators can see why no email
    went out (as for a throttled one).
  - Otherwise unchanged: at most one per user, integration and template in 24 hours (`now`
    is the caller's clock); a throttled email is written as `skipped` with the reason;
    concurrent writers of the same (user, integration, template) are serialised by an
    advisory lock. Webhooks: one delivery per subscribed enabled endpoint.

  Returns { emails, webhooks }: rows written to be sent (skipped ones count zero).
*/
create or replace function public.queue_owed_messages(p_integration_id uuid, p_now timestamptz, p_emails jsonb, p_webhooks jsonb)
  returns jsonb
  language plpgsql
  set search_path = ''
  as $$
declare
  e jsonb;
  w jsonb;
  v_throttled boolean;
  v_unwanted boolean;
  v_emails int := 0;
  v_rows int;
  v_webhooks int := 0;
begin
  for e in select * from jsonb_array_elements(coalesce(p_emails, '[]'::jsonb)) loop
    v_unwanted := e->>'user_id' is not null and not public.wants_email((e->>'user_id')::uuid, e->>'template');
    if v_unwanted and e->>'template' = 'integration_warning' then
      continue;
    end if;
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
      case when v_unwanted or v_throttled then 'skipped' else 'pending' end,
      v_throttled and not v_unwanted,
      case
        when v_unwanted then 'the user turned these emails off'
        when v_throttled then 'throttled: this user got this kind of email about this integration within 24 hours'
      end,
      p_now, p_now)
    on conflict (idempotency_key) do nothing;
    get diagnostics v_rows = row_count;
    if v_rows > 0 and not v_throttled and not v_unwanted then
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
