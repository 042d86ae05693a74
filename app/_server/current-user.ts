import { cookies, headers } from 'next/headers';
import { getEnv } from '@/lib/env';
import { getDb } from '@/lib/db';
import { getKeyRing, getCache } from '@/lib/runtime';
import { resolveSessionUser, type SessionUser } from '@/lib/auth/session';

export type CurrentUser = SessionUser;

/** The signed-in user of the page being rendered, or null. */
export async function getCurrentUser(): Promise<CurrentUser | null> {
  const store = await cookies();
  const headerList = await headers();
  return resolveSessionUser(
    { cookies: store.getAll().map(({ name, value }) => ({ name, value })), authorization: headerList.get('authorization') },
    { env: getEnv(), keyRing: getKeyRing(), db: await getDb(), cache: getCache() },
  );
}
