import { z } from 'zod';
import { getDb } from '@/lib/db';
import { asUser } from '@/lib/db/user-context';
import { canManageIntegration } from '@/lib/db/integrations';
import { userActor } from '@/lib/db/audit-log';
import { NotFoundError } from '@/lib/auth/with-user';
import { getRefreshDeps } from '@/lib/runtime';
import { manualRefresh } from '@/lib/connect/manual-refresh';
import { withUser } from '@/app/_server/with-user';

export const dynamic = 'force-dynamic';

const params = z.object({ id: z.uuid('must be an integration id (uuid)') });

/**
 * Refresh now (docs/contracts.md §3): for those who may manage the connection (else 404, as
 * for one that does not exist), 5 an hour per user (`manual_refresh`, fails closed), trigger
 * `manual`, audited. Answers the outcome; 409 with reconnect_url when the user must reconnect.
 */
export const POST = withUser({ params, limit: 'manual_refresh' }, async ({ user, params: { id } }) => {
  const db = await getDb();
  if (!(await asUser(db, user.id, (tx) => canManageIntegration(tx, id)))) throw new NotFoundError();
  const answer = await manualRefresh(await getRefreshDeps(), { integrationId: id, actor: userActor(user.id) });
  return Response.json(answer.body, { status: answer.status });
});
