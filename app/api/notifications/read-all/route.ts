import { getDb } from '@/lib/db';
import { asUser } from '@/lib/db/user-context';
import { markAllNotificationsRead } from '@/lib/notify/notifications';
import { requireApiUser } from '@/app/_server/current-user';

export const dynamic = 'force-dynamic';

export async function POST(request: Request) {
  const user = await requireApiUser(request, { mutation: true });
  if (user instanceof Response) return user;
  const updated = await asUser(await getDb(), user.id, (tx) => markAllNotificationsRead(tx, new Date()));
  return Response.json({ ok: true, updated });
}
