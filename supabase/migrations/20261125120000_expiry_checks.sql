-- Expiry monitoring: who hears about a connection (one definition, used by the refresh
-- claim and the expiry check), and the indexes the daily check and the dashboard walk.

/*
  The people who hear about an integration: its user and, for an organization's
  integration, the owners, admins and members allowed to manage integrations, each once.
*/
create function public.integration_recipients(p_integration_id uuid) returns jsonb
  language sql stable
  set search_path = ''
  as $$
    -- Two index lookups joined by UNION (which also removes people counted twice); an OR
    -- across them would scan every user once per integration.
    select coalesce(jsonb_agg(jsonb_build_object('user_id', r.id, 'email', r.email) order by r.email), '[]'::jsonb)
    from (
      select u.id, u.email
      from public.integrations i
      join auth.users u on u.id = i.user_id
      where i.id = p_integration_id
      union
      select u.id, u.email
      from public.integrations i
      join public.organization_members m
        on m.organization_id = i.organization_id
       and (m.role in ('owner', 'admin') or m.can_manage_integrations)
      join auth.users u on u.id = m.user_id
      where i.id = p_integration_id
    ) as r
  $$;

revoke all on function public.integration_recipients(uuid) from public, anon, authenticated;

-- The daily check: connected integrations whose access token or refresh token ends soon.
create index integrations_access_expiry_idx on public.integrations (expires_at)
  where status = 'connected' and expires_at is not null;
create index integrations_refresh_token_expiry_idx on public.integrations (refresh_token_expires_at)
  where status = 'connected' and refresh_token_expires_at is not null;
