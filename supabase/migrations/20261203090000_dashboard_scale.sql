-- Dashboard scale (issue 11): the connection list pages by keyset over an index, "has a refresh
-- token" is answered inside the database for visible connections only, and the operator log
-- filters by organization and outcome have indexes of their own.

-- The list's order -------------------------------------------------------------------------
-- Trouble first: needs reauthorization (0), retrying (1: connected with failures), healthy (2),
-- disconnected (3); then the soonest expiry (none last), provider, id. The expiry is a CASE and
-- not coalesce(): under RLS only a condition the planner knows to be leakproof may become an
-- index condition (it runs before the policy), and it treats COALESCE as possibly leaky, so the
-- keyset's row comparison would be a filter over every row before the cursor. lib/db/integrations.ts
-- (TROUBLE_RANK, SORT_EXPIRES) spells these expressions exactly as here: the planner matches an
-- expression index by the expression, so a page of one organization's (or one user's)
-- connections is an index range scan that stops after the page, with the keyset cursor as an
-- index condition, instead of a sort of every row RLS lets through.
create index integrations_org_list_idx on public.integrations (
  organization_id,
  (case when status = 'needs_reauthorization' then 0
        when status = 'connected' and (consecutive_failures > 0 or consecutive_transient_failures > 0) then 1
        when status = 'connected' then 2 else 3 end),
  (case when expires_at is null then 'infinity'::timestamptz else expires_at end),
  provider,
  id
) where organization_id is not null;

create index integrations_user_list_idx on public.integrations (
  user_id,
  (case when status = 'needs_reauthorization' then 0
        when status = 'connected' and (consecutive_failures > 0 or consecutive_transient_failures > 0) then 1
        when status = 'connected' then 2 else 3 end),
  (case when expires_at is null then 'infinity'::timestamptz else expires_at end),
  provider,
  id
);

-- Who may see a connection, asked once per statement ---------------------------------------
-- The policy integrations_select_own_or_org called public.is_org_member(organization_id) for
-- every row it looked at: a security-definer function is never inlined, so counting (or
-- filtering) an organization's 10,000 connections meant 10,000 membership look-ups (about
-- 170 ms measured, bench/dashboard-list.ts). The same rule, with the caller's organizations
-- read once per statement (an InitPlan) and each row compared against that array: its own
-- connections, and those of every organization the caller is a member of. A row without an
-- organization matches no array element, as before. Security definer for the same reason as
-- is_org_member: organization_members has a policy of its own.
create function public.current_user_organization_ids() returns uuid[]
  language sql stable security definer
  set search_path = ''
  as $$
    select coalesce(array_agg(m.organization_id), '{}'::uuid[])
    from public.organization_members m
    where m.user_id = (select auth.uid())
  $$;

revoke all on function public.current_user_organization_ids() from public, anon;
grant execute on function public.current_user_organization_ids() to authenticated;

alter policy integrations_select_own_or_org on public.integrations
  using (
    user_id = (select auth.uid())
    or organization_id = any ((select public.current_user_organization_ids())::uuid[])
  );

-- Has a refresh token ----------------------------------------------------------------------
-- The health rule asks whether anything can renew a connection; the token columns are granted
-- to no user role. This answers the question for the caller (auth.uid()) about a connection
-- the caller may see, with the predicate of the policy integrations_select_own_or_org, and
-- false for anything else: a stranger learns nothing (an unseen connection and one without a
-- refresh token answer alike). A boolean, never the token. Security definer so it can read
-- the column; search_path pinned.
create function public.integration_has_refresh_token(p_integration_id uuid) returns boolean
  language sql stable security definer
  set search_path = ''
  as $$
    select exists (
      select 1 from public.integrations i
      where i.id = p_integration_id
        and i.refresh_token_encrypted is not null
        and (
          i.user_id = (select auth.uid())
          or i.organization_id = any ((select public.current_user_organization_ids())::uuid[])
        )
    )
  $$;

revoke all on function public.integration_has_refresh_token(uuid) from public, anon;
grant execute on function public.integration_has_refresh_token(uuid) to authenticated;

-- Refresh logs by organization -------------------------------------------------------------
-- The operator console filters logs by organization. The log row carries its connection's
-- organization, set by a BEFORE INSERT trigger from the integration: every writer
-- (insert_refresh_log, and any direct insert) stays as it is, and the lookup is one primary-key
-- read inside the same insert, so no statement is added per refreshed token. A connection never
-- moves between organizations, so the copy cannot go stale; a deleted organization deletes its
-- connections and, through them, their logs (no foreign key needed here).
alter table public.token_refresh_logs add column organization_id uuid null;

create function public.token_refresh_logs_set_organization() returns trigger
  language plpgsql
  set search_path = ''
  as $$
begin
  select i.organization_id into new.organization_id from public.integrations i where i.id = new.integration_id;
  return new;
end
$$;

-- A trigger function is never called directly (firing a trigger needs no EXECUTE on it).
revoke all on function public.token_refresh_logs_set_organization() from public, anon, authenticated;

create trigger token_refresh_logs_set_organization before insert on public.token_refresh_logs
  for each row execute function public.token_refresh_logs_set_organization();

update public.token_refresh_logs l set organization_id = i.organization_id
from public.integrations i
where i.id = l.integration_id and i.organization_id is not null and l.organization_id is null;

-- The console's page order is (created_at desc, id desc): with an organization, or an outcome,
-- as the equality prefix, a page is a range walk that stops after the page.
create index token_refresh_logs_organization_idx on public.token_refresh_logs (organization_id, created_at desc, id desc)
  where organization_id is not null;
create index token_refresh_logs_outcome_idx on public.token_refresh_logs (outcome, created_at desc, id desc);
