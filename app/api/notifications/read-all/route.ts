import { getDb } from '@/lib/db';
import { asUser } from '@/lib/db/user-context';
import { markAllNotificationsRead } from '@/lib/notify/notifications';
import { withUser } from '@/app/_server/with-user';

export const dynamic = 'force-dynamic';

export const POST = withUser({}, async ({ user }) => ({
  ok: true,
  updated: await asUser(await getDb(), user.id, (tx) => markAllNotificationsRead(tx, new Date())),
}));
