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

/** A user by email, case-insensitively (local sign-in). */
export async function findUserIdByEmail(db: Queryable, email: string): Promise<string | null> {
  const [row] = await db.query<{ id: string }>(`select id from auth.users where lower(email) = lower($1)`, [email]);
  return row?.id ?? null;
}

/** A user's id and email (the local session names only the id). */
export async function findUserById(db: Queryable, userId: string): Promise<{ id: string; email: string } | null> {
  const [row] = await db.query<{ id: string; email: string }>(`select id, email from auth.users where id = $1`, [userId]);
  return row ?? null;
}

/** The users the local sign-in page offers, those with the most connections first. */
export function listSignInChoices(db: Queryable, limit = 20): Promise<{ email: string; connections: number }[]> {
  return db.query<{ email: string; connections: number }>(
    `select u.email, (select count(*)::int from public.integrations i where i.user_id = u.id) as connections
     from auth.users u order by connections desc, u.email limit $1`,
    [limit],
  );
}
