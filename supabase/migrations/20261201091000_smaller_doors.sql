-- Smaller doors: nothing in the public schema is writable or callable by Supabase's API roles
-- unless a policy means it to be.

-- The migration runner's bookkeeping table (lib/db/migrate.ts). Where an older runner created
-- it on Supabase, default privileges granted it to anon and authenticated; RLS keeps rows
-- hidden but does not stop TRUNCATE. It is absent where only `supabase db push` ran.
do $bookkeeping$
begin
  if to_regclass('public.tokenwarden_migrations') is not null then
    revoke all on table public.tokenwarden_migrations from anon, authenticated;
  end if;
end
$bookkeeping$;

-- The membership checks the RLS policies call. They run for `authenticated` (policies are
-- evaluated as the querying role), and only ever answer about the caller; nobody else needs
-- them, and PUBLIC had them by default.
revoke all on function public.is_org_member(uuid), public.can_manage_org_integrations(uuid), public.is_org_admin(uuid)
  from public, anon;
grant execute on function public.is_org_member(uuid), public.can_manage_org_integrations(uuid), public.is_org_admin(uuid)
  to authenticated;

-- A trigger function is never called directly, and firing a trigger needs no EXECUTE on its
-- function: keep it off the list of things a user role may call.
revoke all on function public.set_updated_at() from public, anon, authenticated;
