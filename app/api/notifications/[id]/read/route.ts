import { z } from 'zod';
import { getDb } from '@/lib/db';
import { asUser } from '@/lib/db/user-context';
import { markNotificationRead } from '@/lib/notify/notifications';
import { requireApiUser } from '@/app/_server/current-user';
import { badRequest } from '@/app/_server/responses';

export const dynamic = 'force-dynamic';

const params = z.object({ id: z.uuid('must be a notification id (uuid)') });

export async function POST(request: Request, context: { params: Promise<{ id: string }> }) {
  const user = await requireApiUser(request, { mutation: true });
  if (user instanceof Response) return user;
  const parsed = params.safeParse(await context.params);
  if (!parsed.success) return badRequest(parsed.error);
  const found = await asUser(await getDb(), user.id, (tx) => markNotificationRead(tx, parsed.data.id, new Date()));
  if (!found) return Response.json({ error: 'Not found', field: 'id' }, { status: 404 });
  return Response.json({ ok: true, id: parsed.data.id, is_read: true });
}
