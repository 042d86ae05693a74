import { z } from 'zod';
import type { Db, Queryable } from './client';

/**
 * Runs fn as the signed-in user, exactly as Supabase's PostgREST does: inside a
 * transaction, as the `authenticated` role, with the user's JWT claims set. The RLS
 * policies in the migrations then decide what the queries see, even a query that forgets
 * its own `where user_id = ...`.
 */
export async function asUser<T>(db: Db, userId: string, fn: (tx: Queryable) => Promise<T>): Promise<T> {
  if (!z.uuid().safeParse(userId).success) {
    throw new Error('asUser needs a user id (uuid)');
  }
  return db.transaction(async (tx) => {
    const claims = JSON.stringify({ sub: userId, role: 'authenticated' });
    await tx.query(
      `select set_config('request.jwt.claims', $1, true), set_config('role', 'authenticated', true)`,
      [claims],
    );
    return fn(tx);
  });
}
