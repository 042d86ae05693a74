-- Connect, reconnect, disconnect (docs/contracts.md §3, §4): the authorization-code flow's
-- sessions, the account a grant belongs to, when the current grant was issued, disconnected
-- connections that hold no tokens, and who may manage one connection.

-- Integrations ------------------------------------------------------------------------------

alter table public.integrations
  -- The provider's id for the account (id token `sub`, user-info): a reconnect that signs in
  -- as another account is refused. Null where the connection was imported or handed over.
  add column provider_account_id text,
  -- When the current grant was issued (connect, reconnect, import); null only for rows
  -- written before this migration, which get their created_at below.
  add column connected_at timestamptz default now(),
  -- A disconnected connection's tokens are erased: nothing is left to leak or to call with.
  alter column access_token_encrypted drop not null,
  add constraint integrations_tokens_unless_disconnected
    check (status = 'disconnected' or access_token_encrypted is not null),
  add constraint integrations_provider_account_id_not_blank
    check (provider_account_id is null or btrim(provider_account_id) <> '');

update public.integrations set connected_at = created_at where connected_at is null;

-- A connect that signs in as an account the user (or their organization) already has on this
-- provider finds that connection and reconnects it in place, instead of adding a second one.
create index integrations_provider_account_idx
  on public.integrations (provider, provider_account_id)
  where provider_account_id is not null;

grant select (provider_account_id, connected_at) on public.integrations to authenticated;

-- Refresh logs: a (re)connect writes a log row too, and the host API's refreshes are `api`.
alter table public.token_refresh_logs
  drop constraint token_refresh_logs_trigger_check,
  add constraint token_refresh_logs_trigger_check
    check (trigger in ('cron', 'manual', 'forced', 'on_demand', 'connect', 'api'));

-- Webhooks: host apps may subscribe to new connections.
alter table public.webhook_endpoints
  drop constraint webhook_endpoints_events_check,
  add constraint webhook_endpoints_events_check check (
    cardinality(events) > 0
    and events <@ array['integration.connected', 'integration.disconnected', 'integration.restored', 'integration.expiring']
  );

-- Connect sessions --------------------------------------------------------------------------
-- One row per started authorization: the callback finds it by the hash of `state` (the state
-- itself is never stored), takes it once (used_at), and refuses it after expires_at. The PKCE
-- verifier is sealed with the token key ring, bound to the row. browser_binding_hash is the
-- SHA-256 of the random value of the cookie set on the browser that started the flow: a
-- callback arriving in another browser with a stolen `state` is refused.

create table public.connect_sessions (
  id uuid not null default gen_random_uuid(),
  state_hash text not null,
  user_id uuid not null,
  organization_id uuid null,
  integration_id uuid null,
  provider text not null,
  code_verifier_encrypted text not null,
  nonce text null,
  return_to text not null default '/',
  browser_binding_hash text not null,
  -- Per-connection parameters the authorization needed (e.g. a Shopify shop).
  metadata jsonb not null default '{}',
  expires_at timestamptz not null,
  used_at timestamptz null,
  created_at timestamptz not null default now(),
  constraint connect_sessions_pkey primary key (id),
  constraint connect_sessions_state_hash_key unique (state_hash),
  constraint connect_sessions_user_fkey foreign key (user_id)
    references auth.users (id) on delete cascade,
  constraint connect_sessions_organization_fkey foreign key (organization_id)
    references public.organizations (id) on delete cascade,
  constraint connect_sessions_integration_fkey foreign key (integration_id)
    references public.integrations (id) on delete cascade,
  constraint connect_sessions_provider_format check (provider ~ '^[a-z][a-z0-9_]{1,39}$'),
  constraint connect_sessions_return_to_path check (return_to ~ '^/([^/\\]|$)'),
  constraint connect_sessions_expiry_after_creation check (expires_at > created_at),
  constraint connect_sessions_metadata_object check (jsonb_typeof(metadata) = 'object')
);

-- Cleanup removes sessions by age.
create index connect_sessions_created_idx on public.connect_sessions (created_at);

-- No user role reads it: RLS on with no policy, and no privileges.
alter table public.connect_sessions enable row level security;
revoke all on table public.connect_sessions from anon, authenticated;

-- Who may manage one connection -------------------------------------------------------------
-- Its user, and the owners, admins and members with can_manage_integrations of its
-- organization: the same people public.integration_recipients tells. Asked as the user
-- (auth.uid()); security definer so that it sees the row whatever RLS shows.
create function public.can_manage_integration(p_integration_id uuid) returns boolean
  language sql stable security definer
  set search_path = ''
  as $$
    select exists (
      select 1 from public.integrations i
      where i.id = p_integration_id
        and (
          i.user_id = (select auth.uid())
          or (i.organization_id is not null and public.can_manage_org_integrations(i.organization_id))
        )
    )
  $$;

revoke all on function public.can_manage_integration(uuid) from public, anon;
grant execute on function public.can_manage_integration(uuid) to authenticated;
