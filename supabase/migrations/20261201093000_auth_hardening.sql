-- Operators are recognised by verified identity (lib/auth/operators.ts): a confirmed email
-- (auth.users.email_confirmed_at) or a role in app_metadata (auth.users.raw_app_meta_data).
-- Supabase's auth.users has both columns. The minimal stand-in of the foundation migration
-- (embedded, plain Postgres) gets them here with Supabase's names and types, each only where
-- absent, so on Supabase this changes nothing: its auth schema is never altered. pg_attribute,
-- unlike information_schema, lists columns whatever the current role may read.
do $auth$
declare
  wanted record;
begin
  for wanted in select * from (values ('email_confirmed_at', 'timestamptz'), ('raw_app_meta_data', 'jsonb')) as c (name, type) loop
    if not exists (
      select 1 from pg_attribute
      where attrelid = 'auth.users'::regclass and attname = wanted.name and attnum > 0 and not attisdropped
    ) then
      execute format('alter table auth.users add column %I %s', wanted.name, wanted.type);
    end if;
  end loop;
end
$auth$;
