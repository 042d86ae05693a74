import { getEnv } from '@/lib/env';
import { getDb } from '@/lib/db';
import { asUser } from '@/lib/db/user-context';
import { isDatabaseUnreachable } from '@/lib/db/errors';
import { organizationRole } from '@/lib/db/organization-members';
import { getKeyRing, getCache } from '@/lib/runtime';
import { resolveSessionUser, requestCookies } from '@/lib/auth/session';
import { createWithUser } from '@/lib/auth/with-user';
import { WebhookEndpointLimitError } from '@/lib/notify/webhook-endpoints';
import { appRateLimit } from './rate-limit';

/** lib/auth/with-user.ts bound to this deployment: its session sources, its database, its errors. */
export const withUser = createWithUser(async () => {
  const db = await getDb();
  return {
    resolveUser: (request) =>
      resolveSessionUser(
        { cookies: requestCookies(request), authorization: request.headers.get('authorization') },
        { env: getEnv(), keyRing: getKeyRing(), db, cache: getCache() },
      ),
    rateLimit: appRateLimit(),
    // As the user: membership is what RLS lets them see of organization_members.
    organizationRole: (userId, organizationId) => asUser(db, userId, (tx) => organizationRole(tx, organizationId, userId)),
    mapError: (error) => {
      if (error instanceof WebhookEndpointLimitError) {
        return { status: 409, body: { error: 'Limit reached', field: null, message: error.message, limit: error.limit } };
      }
      if (isDatabaseUnreachable(error)) {
        return { status: 503, body: { error: 'database_unreachable', message: 'The database is unreachable; try again shortly.' }, headers: { 'retry-after': '30' } };
      }
      return null;
    },
  };
});
