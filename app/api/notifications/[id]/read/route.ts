import { z } from 'zod';
import { getDb } from '@/lib/db';
import { asUser } from '@/lib/db/user-context';
import { markNotificationRead } from '@/lib/notify/notifications';
import { NotFoundError } from '@/lib/auth/with-user';
import { withUser } from '@/app/_server/with-user';

export const dynamic = 'force-dynamic';

const params = z.object({ id: z.uuid('must be a notification id (uuid)') });

export const POST = withUser({ params }, async ({ user, params: { id } }) => {
  const found = await asUser(await getDb(), user.id, (tx) => markNotificationRead(tx, id, new Date()));
  if (!found) throw new NotFoundError('id');
  return { ok: true, id, is_read: true };
});
