import type { Queryable } from '../../lib/db/client';

/**
 * What a Supabase project's default privileges do to every new object in `public`: ALL on
 * tables, functions and sequences to its API roles. Applied to a fresh test database before
 * migrating, so tests see the grants that a deployment's migrations must take back.
 */
export async function applySupabaseDefaultPrivileges(db: Queryable): Promise<void> {
  await db.exec(`
    do $roles$
    declare
      role_name text;
    begin
      foreach role_name in array array['anon', 'authenticated'] loop
        if not exists (select 1 from pg_roles where rolname = role_name) then
          begin
            execute format('create role %I nologin noinherit', role_name);
          exception
            when duplicate_object or unique_violation then null; -- another test database made it first
          end;
        end if;
      end loop;
    end
    $roles$;
    grant usage on schema public to anon, authenticated;
    alter default privileges in schema public grant all on tables to anon, authenticated;
    alter default privileges in schema public grant all on functions to anon, authenticated;
    alter default privileges in schema public grant all on sequences to anon, authenticated;`);
}
