import { z } from 'zod';
import { getDb } from '@/lib/db';
import { getKeyRing } from '@/lib/runtime';
import { createWebhookEndpoint, listWebhookEndpoints, productionDestinationProblem, webhookEndpointInputSchema } from '@/lib/notify/webhook-endpoints';
import { userActor } from '@/lib/db/audit-log';
import { UserInputError } from '@/lib/auth/with-user';
import { withUser } from '@/app/_server/with-user';

export const dynamic = 'force-dynamic';

const params = z.object({ orgId: z.uuid('must be an organization id (uuid)') });

/** The organization's webhook endpoints (owners and admins), without secrets. */
export const GET = withUser({ params, role: 'manager', hideFromMembers: true }, async ({ params: { orgId } }) => ({
  endpoints: await listWebhookEndpoints(await getDb(), orgId),
}));

/** Adds an endpoint; the answer carries its signing secret, shown this once (a limit reached answers 409). */
export const POST = withUser({ params, role: 'manager', hideFromMembers: true, body: webhookEndpointInputSchema }, async ({ user, params: { orgId }, body }) => {
  // Deliveries never reach private networks (lib/notify/deps.ts): say so now, not at the first delivery.
  const problem = productionDestinationProblem(body.url);
  if (problem) throw new UserInputError('url', problem);
  const created = await createWebhookEndpoint(await getDb(), getKeyRing(), orgId, body, userActor(user.id));
  return Response.json(created, { status: 201 });
});
