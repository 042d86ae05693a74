import { cookies } from 'next/headers';
import { getEnv } from '@/lib/env';
import { getDb } from '@/lib/db';
import { getKeyRing } from '@/lib/runtime';
import { LOCAL_SESSION_COOKIE, localSignInAllowed, readLocalSession } from '@/lib/auth/local-session';

export interface CurrentUser {
  id: string;
  email: string;
}

/** The signed-in user of this request, or null. */
export async function getCurrentUser(): Promise<CurrentUser | null> {
  if (!localSignInAllowed(getEnv().NODE_ENV)) return null;
  const store = await cookies();
  const userId = readLocalSession(getKeyRing(), store.get(LOCAL_SESSION_COOKIE)?.value);
  if (!userId) return null;
  const db = await getDb();
  const [user] = await db.query<{ id: string; email: string }>(`select id, email from auth.users where id = $1`, [userId]);
  return user ?? null;
}
