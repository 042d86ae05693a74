import type { Queryable } from './client';

/**
 * Whether auth.users is the minimal table our migrations created (embedded, plain Postgres)
 * rather than Supabase Auth's. Only then may Tokenwarden create users itself.
 */
export async function usersTableIsOwned(db: Queryable): Promise<boolean> {
  const [row] = await db.query<{ owned: boolean }>(
    `select coalesce(obj_description('auth.users'::regclass, 'pg_class') like 'tokenwarden:owned%', false) as owned`,
  );
  return row?.owned ?? false;
}
