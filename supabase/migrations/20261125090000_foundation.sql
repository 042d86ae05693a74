-- Tokenwarden foundation: users (where Supabase's are absent), organizations, integrations,
-- notifications, refresh logs, the email outbox and the audit log, with their constraints,
-- indexes and row-level security. Runs unchanged on Supabase, plain PostgreSQL 15+ and PGlite;
-- nothing here needs a superuser on Supabase (roles and the auth schema already exist there).

-- Supabase's API roles, created only where absent. Roles are cluster-wide, so two databases
-- migrating at once may race to create them: the loser's duplicate error is expected.
do $roles$
declare
  role_name text;
begin
  foreach role_name in array array['anon', 'authenticated'] loop
    if not exists (select 1 from pg_roles where rolname = role_name) then
      begin
        execute format('create role %I nologin noinherit', role_name);
      exception
        when duplicate_object or unique_violation then null; -- created concurrently: fine
      end;
    end if;
  end loop;
  -- The app switches to `authenticated` for user reads (set local role), so it must be a member.
  if not pg_has_role(current_user, 'authenticated', 'member') then
    execute format('grant authenticated to %I', current_user);
  end if;
end
$roles$;

-- A minimal auth schema with Supabase's names, only where Supabase's is absent.
do $auth$
begin
  if to_regclass('auth.users') is null then
    create schema if not exists auth;
    create table auth.users (
      id uuid not null default gen_random_uuid(),
      email text not null,
      created_at timestamptz not null default now(),
      constraint users_pkey primary key (id),
      constraint users_email_key unique (email)
    );
    -- The import command creates users only in a users table that Tokenwarden owns.
    comment on table auth.users is 'tokenwarden:owned minimal stand-in for Supabase Auth users';
    grant usage on schema auth to anon, authenticated;
  end if;
  if to_regprocedure('auth.uid()') is null then
    -- Same definition as Supabase's: the `sub` claim of the request's JWT claims.
    create function auth.uid() returns uuid
      language sql stable
      as $fn$
        select nullif(
          coalesce(
            nullif(current_setting('request.jwt.claim.sub', true), ''),
            nullif(current_setting('request.jwt.claims', true), '')::jsonb ->> 'sub'
          ),
          ''
        )::uuid
      $fn$;
    grant execute on function auth.uid() to anon, authenticated;
  end if;
end
$auth$;

create function public.set_updated_at() returns trigger
  language plpgsql
  set search_path = ''
  as $$
begin
  new.updated_at := now();
  return new;
end
$$;

-- Organizations -----------------------------------------------------------------------------

create table public.organizations (
  id uuid not null default gen_random_uuid(),
  name text not null,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  constraint organizations_pkey primary key (id),
  constraint organizations_name_key unique (name),
  constraint organizations_name_not_blank check (btrim(name) <> '')
);

create trigger organizations_set_updated_at before update on public.organizations
  for each row execute function public.set_updated_at();

create table public.organization_members (
  organization_id uuid not null,
  user_id uuid not null,
  role text not null default 'member',
  -- Owners and admins always manage integrations; members only with this permission.
  can_manage_integrations boolean not null default false,
  created_at timestamptz not null default now(),
  constraint organization_members_pkey primary key (organization_id, user_id),
  constraint organization_members_organization_fkey foreign key (organization_id)
    references public.organizations (id) on delete cascade,
  constraint organization_members_user_fkey foreign key (user_id)
    references auth.users (id) on delete cascade,
  constraint organization_members_role_check check (role in ('owner', 'admin', 'member'))
);

create index organization_members_user_idx on public.organization_members (user_id);

-- Membership checks for policies. Security definer so that a policy on organization_members
-- can ask about organization_members without recursing into its own policy.
create function public.is_org_member(org uuid) returns boolean
  language sql stable security definer
  set search_path = ''
  as $$
    select exists (
      select 1 from public.organization_members m
      where m.organization_id = org and m.user_id = (select auth.uid())
    )
  $$;

create function public.can_manage_org_integrations(org uuid) returns boolean
  language sql stable security definer
  set search_path = ''
  as $$
    select exists (
      select 1 from public.organization_members m
      where m.organization_id = org
        and m.user_id = (select auth.uid())
        and (m.role in ('owner', 'admin') or m.can_manage_integrations)
    )
  $$;

create function public.is_org_admin(org uuid) returns boolean
  language sql stable security definer
  set search_path = ''
  as $$
    select exists (
      select 1 from public.organization_members m
      where m.organization_id = org
        and m.user_id = (select auth.uid())
        and m.role in ('owner', 'admin')
    )
  $$;

-- Integrations ------------------------------------------------------------------------------

create table public.integrations (
  id uuid not null default gen_random_uuid(),
  organization_id uuid null,
  user_id uuid not null,
  provider text not null,
  account_label text,
  status text not null default 'connected',
  -- AES-256-GCM envelopes (lib/crypto): `tw1.<keyId>.<iv>.<ciphertext>.<tag>`, bound to this
  -- row and field. token_key_id repeats the key id for rotation and operators' queries.
  access_token_encrypted text not null,
  refresh_token_encrypted text,
  token_key_id text not null,
  -- Bumped on every write of new tokens; writers compare-and-swap on it.
  token_version bigint not null default 1,
  scopes text[] not null default '{}',
  expires_at timestamptz,
  refresh_token_expires_at timestamptz,
  last_refreshed_at timestamptz,
  consecutive_failures integer not null default 0,
  consecutive_transient_failures integer not null default 0,
  last_failure_at timestamptz,
  last_error_code text,
  last_error text,
  disconnect_reason text,
  -- Per-connection provider parameters (e.g. a Shopify shop or a Microsoft tenant).
  metadata jsonb not null default '{}',
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  constraint integrations_pkey primary key (id),
  constraint integrations_organization_fkey foreign key (organization_id)
    references public.organizations (id) on delete cascade,
  constraint integrations_user_fkey foreign key (user_id)
    references auth.users (id) on delete cascade,
  constraint integrations_status_check
    check (status in ('connected', 'needs_reauthorization', 'disconnected')),
  constraint integrations_provider_format check (provider ~ '^[a-z][a-z0-9_]{1,39}$'),
  constraint integrations_consecutive_failures_nonnegative check (consecutive_failures >= 0),
  constraint integrations_consecutive_transient_failures_nonnegative
    check (consecutive_transient_failures >= 0),
  constraint integrations_token_version_positive check (token_version > 0),
  constraint integrations_metadata_object check (jsonb_typeof(metadata) = 'object')
);

create trigger integrations_set_updated_at before update on public.integrations
  for each row execute function public.set_updated_at();

-- The refresh scan: connected integrations in expiry order. A range walk over this partial
-- index costs the same whether the table holds ten thousand rows or a million.
create index integrations_refresh_due_idx on public.integrations (expires_at)
  where status = 'connected' and expires_at is not null;

-- The operators' failure query (README): only failing rows are in this index.
create index integrations_failing_idx on public.integrations (last_failure_at desc)
  where consecutive_failures > 0 or consecutive_transient_failures > 0;

create index integrations_user_idx on public.integrations (user_id);
create index integrations_organization_idx on public.integrations (organization_id)
  where organization_id is not null;

-- Notifications -----------------------------------------------------------------------------

create table public.notifications (
  id uuid not null default gen_random_uuid(),
  user_id uuid not null,
  organization_id uuid null,
  integration_id uuid null,
  type text not null,
  severity text not null default 'info',
  title text not null,
  message text not null,
  action_url text,
  is_read boolean not null default false,
  read_at timestamptz,
  metadata jsonb not null default '{}',
  -- The business event that owes this notification (e.g. `disconnect/<id>/<version>`):
  -- writing the same event twice creates one notification per recipient.
  dedupe_key text,
  created_at timestamptz not null default now(),
  constraint notifications_pkey primary key (id),
  constraint notifications_user_fkey foreign key (user_id)
    references auth.users (id) on delete cascade,
  constraint notifications_organization_fkey foreign key (organization_id)
    references public.organizations (id) on delete cascade,
  constraint notifications_integration_fkey foreign key (integration_id)
    references public.integrations (id) on delete set null,
  constraint notifications_type_check check (type in (
    'integration_warning', 'integration_disconnected', 'integration_rate_limit',
    'integration_restored', 'integration_token_expiring', 'integration_token_refreshed'
  )),
  constraint notifications_severity_check
    check (severity in ('info', 'success', 'warning', 'error', 'critical')),
  constraint notifications_metadata_has_provider
    check (jsonb_typeof(metadata) = 'object' and metadata ? 'provider'),
  constraint notifications_user_dedupe_key unique (user_id, dedupe_key)
);

create index notifications_user_unread_idx on public.notifications (user_id, is_read, created_at desc);
create index notifications_created_idx on public.notifications (created_at desc);
create index notifications_integration_idx on public.notifications (integration_id)
  where integration_id is not null;

-- Refresh logs ------------------------------------------------------------------------------

create table public.token_refresh_logs (
  id uuid not null default gen_random_uuid(),
  integration_id uuid not null,
  provider text not null,
  trigger text not null,
  outcome text not null,
  error_code text,
  http_status integer,
  duration_ms integer not null default 0,
  attempts integer not null default 0,
  created_at timestamptz not null default now(),
  metadata jsonb not null default '{}',
  constraint token_refresh_logs_pkey primary key (id),
  constraint token_refresh_logs_integration_fkey foreign key (integration_id)
    references public.integrations (id) on delete cascade,
  constraint token_refresh_logs_trigger_check
    check (trigger in ('cron', 'manual', 'forced', 'on_demand')),
  constraint token_refresh_logs_outcome_check check (outcome in (
    'refreshed', 'skipped', 'transient_failure', 'auth_failure', 'config_failure'
  )),
  constraint token_refresh_logs_http_status_range
    check (http_status is null or http_status between 100 and 599),
  constraint token_refresh_logs_duration_nonnegative check (duration_ms >= 0),
  constraint token_refresh_logs_attempts_nonnegative check (attempts >= 0)
);

create index token_refresh_logs_integration_idx
  on public.token_refresh_logs (integration_id, created_at desc);
create index token_refresh_logs_provider_idx on public.token_refresh_logs (provider, created_at desc);
create index token_refresh_logs_created_idx on public.token_refresh_logs (created_at);

-- Email outbox ------------------------------------------------------------------------------

create table public.email_outbox (
  id uuid not null default gen_random_uuid(),
  to_email text not null,
  template text not null,
  status text not null default 'pending',
  idempotency_key text not null,
  attempts integer not null default 0,
  next_attempt_at timestamptz not null default now(),
  last_error text,
  sent_at timestamptz,
  user_id uuid null,
  integration_id uuid null,
  payload jsonb not null default '{}',
  created_at timestamptz not null default now(),
  constraint email_outbox_pkey primary key (id),
  constraint email_outbox_idempotency_key_key unique (idempotency_key),
  constraint email_outbox_user_fkey foreign key (user_id)
    references auth.users (id) on delete set null,
  constraint email_outbox_integration_fkey foreign key (integration_id)
    references public.integrations (id) on delete set null,
  constraint email_outbox_status_check check (status in ('pending', 'sent', 'failed', 'skipped')),
  constraint email_outbox_attempts_nonnegative check (attempts >= 0),
  constraint email_outbox_sent_has_time check (status <> 'sent' or sent_at is not null)
);

-- The deliver scan: pending rows in due order.
create index email_outbox_due_idx on public.email_outbox (next_attempt_at) where status = 'pending';
create index email_outbox_created_idx on public.email_outbox (created_at);

-- Audit log ---------------------------------------------------------------------------------

create table public.audit_log (
  id uuid not null default gen_random_uuid(),
  organization_id uuid null,
  -- Who acted: `user:<uuid>`, `cli:<command>`, `cron:<job>`.
  actor text not null,
  actor_user_id uuid null,
  action text not null,
  target_type text,
  target_id text,
  metadata jsonb not null default '{}',
  created_at timestamptz not null default now(),
  constraint audit_log_pkey primary key (id),
  constraint audit_log_organization_fkey foreign key (organization_id)
    references public.organizations (id) on delete cascade,
  constraint audit_log_actor_user_fkey foreign key (actor_user_id)
    references auth.users (id) on delete set null,
  constraint audit_log_action_not_blank check (btrim(action) <> '')
);

create index audit_log_organization_idx on public.audit_log (organization_id, created_at desc);
create index audit_log_created_idx on public.audit_log (created_at);

-- Row-level security ------------------------------------------------------------------------
-- User-facing reads run as `authenticated` with the user's JWT claims (lib/db/user-context),
-- as Supabase's PostgREST does. The service connection (table owner) is not subject to RLS.

alter table public.organizations enable row level security;
alter table public.organization_members enable row level security;
alter table public.integrations enable row level security;
alter table public.notifications enable row level security;
alter table public.token_refresh_logs enable row level security;
alter table public.email_outbox enable row level security;
alter table public.audit_log enable row level security;

create policy organizations_select_member on public.organizations
  for select to authenticated
  using (public.is_org_member(id));

create policy organization_members_select_same_org on public.organization_members
  for select to authenticated
  using (public.is_org_member(organization_id));

create policy integrations_select_own_or_org on public.integrations
  for select to authenticated
  using (
    user_id = (select auth.uid())
    or (organization_id is not null and public.is_org_member(organization_id))
  );

create policy notifications_select_own on public.notifications
  for select to authenticated
  using (user_id = (select auth.uid()));

create policy notifications_update_own on public.notifications
  for update to authenticated
  using (user_id = (select auth.uid()))
  with check (user_id = (select auth.uid()));

create policy token_refresh_logs_select_visible on public.token_refresh_logs
  for select to authenticated
  using (exists (select 1 from public.integrations i where i.id = integration_id));

create policy audit_log_select_org_admin on public.audit_log
  for select to authenticated
  using (organization_id is not null and public.is_org_admin(organization_id));

-- email_outbox has no policy: only the service connection reads it.

-- Privileges: Supabase grants everything on new public tables to its API roles by default;
-- narrow that to what the policies are meant to serve. Token columns are never granted.
revoke all on table
  public.organizations, public.organization_members, public.integrations, public.notifications,
  public.token_refresh_logs, public.email_outbox, public.audit_log
  from anon, authenticated;

grant usage on schema public to authenticated;
grant select on public.organizations, public.organization_members, public.token_refresh_logs,
  public.audit_log to authenticated;
grant select (
  id, organization_id, user_id, provider, account_label, status, scopes, expires_at,
  refresh_token_expires_at, last_refreshed_at, consecutive_failures,
  consecutive_transient_failures, last_failure_at, last_error_code, last_error,
  disconnect_reason, created_at, updated_at
) on public.integrations to authenticated;
grant select on public.notifications to authenticated;
grant update (is_read, read_at) on public.notifications to authenticated;
