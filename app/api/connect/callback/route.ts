import { getEnv } from '@/lib/env';
import { getDb } from '@/lib/db';
import { getKeyRing, getProviders } from '@/lib/runtime';
import { requestCookies } from '@/lib/auth/session';
import { createConnectDeps } from '@/lib/connect/deps';
import { handleConnectCallback } from '@/lib/connect/routes';
import { withUser } from '@/app/_server/with-user';

export const dynamic = 'force-dynamic';

/**
 * `GET /api/connect/callback?code&state` (or `?error&state`): where providers send the browser
 * back (lib/connect/callback.ts). Anonymous too: the connect session, not the cookie, says
 * whose connection it is (a host app's connect may come without a sign-in here); a signed-in
 * user other than the session's is refused.
 */
export const GET = withUser({ anonymous: true }, async ({ request, user }) => {
  const db = await getDb();
  return handleConnectCallback(
    createConnectDeps({ db, keyRing: getKeyRing(), providers: getProviders(), env: getEnv() }),
    request,
    requestCookies(request),
    user,
  );
});
