import { z } from 'zod';
import { getDb } from '@/lib/db';
import { getEnv } from '@/lib/env';
import { getProviders } from '@/lib/runtime';
import { expiringTokens } from '@/lib/notify/expiring-tokens';
import { withUser } from '@/app/_server/with-user';

export const dynamic = 'force-dynamic';

const params = z.object({ orgId: z.uuid('must be an organization id (uuid)') });
const query = z.strictObject({
  days: z.coerce.number().int('must be a whole number').min(1, 'must be at least 1').max(90, 'must be at most 90').default(7),
});

/** Connections of the organization that stop working soon unless someone acts (members only; others: 404). */
export const GET = withUser({ params, query, role: 'member' }, async ({ params: { orgId }, query: { days } }) => {
  const env = getEnv();
  return expiringTokens(await getDb(), {
    organizationId: orgId,
    days,
    now: new Date(),
    providers: getProviders(),
    appUrl: env.APP_URL,
    reconnectUrlTemplate: env.RECONNECT_URL_TEMPLATE,
  });
});
