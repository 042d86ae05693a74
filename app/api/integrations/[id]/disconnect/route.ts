import { z } from 'zod';
import { getDb } from '@/lib/db';
import { asUser } from '@/lib/db/user-context';
import { canManageIntegration } from '@/lib/db/integrations';
import { userActor } from '@/lib/db/audit-log';
import { NotFoundError } from '@/lib/auth/with-user';
import { getRefreshDeps } from '@/lib/runtime';
import { disconnectIntegration, IntegrationNotFoundError } from '@/lib/connect/disconnect';
import { withUser } from '@/app/_server/with-user';

export const dynamic = 'force-dynamic';

const params = z.object({ id: z.uuid('must be an integration id (uuid)') });

/**
 * Disconnect (docs/contracts.md §3): the connection's user, or an owner, admin or member with
 * can_manage_integrations of its organization. Anyone else gets 404, as for a connection that
 * does not exist, so existence never leaks.
 */
export const POST = withUser({ params }, async ({ user, params: { id } }) => {
  const db = await getDb();
  if (!(await asUser(db, user.id, (tx) => canManageIntegration(tx, id)))) throw new NotFoundError();
  try {
    return await disconnectIntegration(await getRefreshDeps(), { integrationId: id, actor: userActor(user.id), actorEmail: user.email });
  } catch (error) {
    // Deleted between the check and the disconnect: gone, as for anyone else.
    if (error instanceof IntegrationNotFoundError) throw new NotFoundError();
    throw error;
  }
});
