import { cookies, headers } from 'next/headers';
import { getEnv } from '@/lib/env';
import { getDb } from '@/lib/db';
import { getKeyRing } from '@/lib/runtime';
import { resolveSessionUser, requestCookies, type SessionUser } from '@/lib/auth/session';
import { isSameOrigin } from './same-origin';

export type CurrentUser = SessionUser;

/** The signed-in user of the page being rendered, or null. */
export async function getCurrentUser(): Promise<CurrentUser | null> {
  const store = await cookies();
  const headerList = await headers();
  return resolveSessionUser(
    { cookies: store.getAll().map(({ name, value }) => ({ name, value })), authorization: headerList.get('authorization') },
    { env: getEnv(), keyRing: getKeyRing(), db: await getDb() },
  );
}

/**
 * The user of an API request, or the error response to send. Mutations made with a cookie
 * session must come from this app's own pages (CSRF); bearer-token clients are exempt.
 */
export async function requireApiUser(request: Request, options: { mutation: boolean }): Promise<CurrentUser | Response> {
  const user = await resolveSessionUser(
    { cookies: requestCookies(request), authorization: request.headers.get('authorization') },
    { env: getEnv(), keyRing: getKeyRing(), db: await getDb() },
  );
  if (!user) return Response.json({ error: 'Unauthorized', message: 'Sign in first' }, { status: 401 });
  if (options.mutation && user.via !== 'supabase_bearer' && !isSameOrigin(request)) {
    return Response.json({ error: 'Cross-site request refused' }, { status: 403 });
  }
  return user;
}
