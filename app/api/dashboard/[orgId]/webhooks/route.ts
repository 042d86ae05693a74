import { z } from 'zod';
import { getDb } from '@/lib/db';
import { getKeyRing } from '@/lib/runtime';
import {
  canManageWebhooks,
  createWebhookEndpoint,
  listWebhookEndpoints,
  productionDestinationProblem,
  webhookEndpointInputSchema,
  WebhookEndpointLimitError,
} from '@/lib/notify/webhook-endpoints';
import { userActor } from '@/lib/db/audit-log';
import { requireApiUser } from '@/app/_server/current-user';
import { badRequest } from '@/app/_server/responses';
import { readJsonBody } from '@/lib/http/read-body';

export const dynamic = 'force-dynamic';

const params = z.object({ orgId: z.uuid('must be an organization id (uuid)') });

async function authorize(request: Request, context: { params: Promise<{ orgId: string }> }, mutation: boolean) {
  const user = await requireApiUser(request, { mutation });
  if (user instanceof Response) return user;
  const parsed = params.safeParse(await context.params);
  if (!parsed.success) return badRequest(parsed.error);
  const db = await getDb();
  // Not an owner or admin of it: indistinguishable from an organization that does not exist.
  if (!(await canManageWebhooks(db, parsed.data.orgId, user.id))) return Response.json({ error: 'Not found' }, { status: 404 });
  return { db, orgId: parsed.data.orgId, userId: user.id };
}

/** The organization's webhook endpoints (owners and admins), without secrets. */
export async function GET(request: Request, context: { params: Promise<{ orgId: string }> }) {
  const allowed = await authorize(request, context, false);
  if (allowed instanceof Response) return allowed;
  return Response.json({ endpoints: await listWebhookEndpoints(allowed.db, allowed.orgId) });
}

/** Adds an endpoint; the answer carries its signing secret, shown this once. */
export async function POST(request: Request, context: { params: Promise<{ orgId: string }> }) {
  const allowed = await authorize(request, context, true);
  if (allowed instanceof Response) return allowed;
  const body = await readJsonBody(request);
  if (!body.ok) return body.response;
  const parsed = webhookEndpointInputSchema.safeParse(body.value);
  if (!parsed.success) return badRequest(parsed.error);
  // Deliveries never reach private networks (lib/notify/deps.ts): say so now, not at the first delivery.
  const problem = productionDestinationProblem(parsed.data.url);
  if (problem) return Response.json({ error: 'Invalid input', field: 'url', message: problem }, { status: 400 });
  try {
    const created = await createWebhookEndpoint(allowed.db, getKeyRing(), allowed.orgId, parsed.data, userActor(allowed.userId));
    return Response.json(created, { status: 201, headers: { 'cache-control': 'no-store' } });
  } catch (error) {
    if (!(error instanceof WebhookEndpointLimitError)) throw error;
    return Response.json({ error: 'Limit reached', field: null, message: error.message, limit: error.limit }, { status: 409 });
  }
}
