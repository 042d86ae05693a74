import { z } from 'zod';
import { getDb } from '@/lib/db';
import { canManageWebhooks, deleteWebhookEndpoint } from '@/lib/notify/webhook-endpoints';
import { userActor } from '@/lib/db/audit-log';
import { requireApiUser } from '@/app/_server/current-user';
import { badRequest } from '@/app/_server/responses';

export const dynamic = 'force-dynamic';

const params = z.object({ orgId: z.uuid('must be an organization id (uuid)'), endpointId: z.uuid('must be an endpoint id (uuid)') });

export async function DELETE(request: Request, context: { params: Promise<{ orgId: string; endpointId: string }> }) {
  const user = await requireApiUser(request, { mutation: true });
  if (user instanceof Response) return user;
  const parsed = params.safeParse(await context.params);
  if (!parsed.success) return badRequest(parsed.error);
  const db = await getDb();
  if (!(await canManageWebhooks(db, parsed.data.orgId, user.id))) return Response.json({ error: 'Not found' }, { status: 404 });
  const deleted = await deleteWebhookEndpoint(db, parsed.data.orgId, parsed.data.endpointId, userActor(user.id));
  if (!deleted) return Response.json({ error: 'Not found', field: 'endpointId' }, { status: 404 });
  return Response.json({ ok: true, id: parsed.data.endpointId });
}
