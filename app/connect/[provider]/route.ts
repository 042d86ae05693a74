import { getEnv } from '@/lib/env';
import { getDb } from '@/lib/db';
import { getKeyRing, getCache, getProviders } from '@/lib/runtime';
import { requestCookies, resolveSessionUser } from '@/lib/auth/session';
import { createConnectDeps } from '@/lib/connect/deps';
import { handleConnectStart } from '@/lib/connect/routes';
import { limitedPerClient } from '@/app/_server/rate-limit';

export const dynamic = 'force-dynamic';

/**
 * `GET /connect/{provider}?organization|integration&return_to`: starts a connect or reconnect
 * (lib/connect/start.ts). A page-like GET the browser navigates to, so it answers redirects
 * and pages, not JSON; the signed-in user is resolved as pages do. 20 a minute per client
 * (`connect_start`, lib/auth/client-ip.ts: the user outside Vercel; fails closed with a 503).
 */
export async function GET(request: Request, context: { params: Promise<{ provider: string }> }): Promise<Response> {
  const { provider } = await context.params;
  const db = await getDb();
  const env = getEnv();
  const user = await resolveSessionUser(
    { cookies: requestCookies(request), authorization: request.headers.get('authorization') },
    { env, keyRing: getKeyRing(), db, cache: getCache() },
  );
  return limitedPerClient('connect_start', request, user, () =>
    handleConnectStart(createConnectDeps({ db, keyRing: getKeyRing(), providers: getProviders(), env }), request, provider, user),
  );
}
