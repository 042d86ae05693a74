import { z } from 'zod';
import { getDb } from '@/lib/db';
import { deleteWebhookEndpoint } from '@/lib/notify/webhook-endpoints';
import { userActor } from '@/lib/db/audit-log';
import { NotFoundError } from '@/lib/auth/with-user';
import { withUser } from '@/app/_server/with-user';

export const dynamic = 'force-dynamic';

const params = z.object({ orgId: z.uuid('must be an organization id (uuid)'), endpointId: z.uuid('must be an endpoint id (uuid)') });

export const DELETE = withUser({ params, role: 'manager', hideFromMembers: true }, async ({ user, params: { orgId, endpointId } }) => {
  if (!(await deleteWebhookEndpoint(await getDb(), orgId, endpointId, userActor(user.id)))) throw new NotFoundError('endpointId');
  return { ok: true, id: endpointId };
});
