import { z } from 'zod';
import { getDb } from '@/lib/db';
import { asUser } from '@/lib/db/user-context';
import { canManageIntegration } from '@/lib/db/integrations';
import { NotFoundError } from '@/lib/auth/with-user';
import { getCache, getPlatformLimiter, getRefreshDeps } from '@/lib/runtime';
import { NoHealthCheckError, testConnection } from '@/lib/connect/test-connection';
import { withUser } from '@/app/_server/with-user';

export const dynamic = 'force-dynamic';

const params = z.object({ id: z.uuid('must be an integration id (uuid)') });

/**
 * Test connection (docs/contracts.md §3): same who-may as Refresh now, 30 an hour per user
 * (`test_connection`, fails closed). A live GET of the provider's healthCheckUrl
 * (lib/connect/test-connection.ts); 422 naming healthCheckUrl when the provider has none.
 */
export const POST = withUser({ params, limit: 'test_connection' }, async ({ user, params: { id } }) => {
  const db = await getDb();
  if (!(await asUser(db, user.id, (tx) => canManageIntegration(tx, id)))) throw new NotFoundError();
  try {
    const verdict = await testConnection({ ...(await getRefreshDeps()), cache: getCache(), platformLimiter: getPlatformLimiter() }, id);
    if (!verdict) throw new NotFoundError();
    return verdict;
  } catch (error) {
    if (error instanceof NoHealthCheckError) {
      return Response.json({ error: 'Invalid input', field: 'healthCheckUrl', message: error.message }, { status: 422 });
    }
    throw error;
  }
});
