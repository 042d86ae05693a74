import { z } from 'zod';
import { getDb } from '@/lib/db';
import { asUser } from '@/lib/db/user-context';
import { listNotifications } from '@/lib/notify/notifications';
import { withUser } from '@/app/_server/with-user';

export const dynamic = 'force-dynamic';

const query = z.strictObject({
  limit: z.coerce.number().int('must be a whole number').min(1, 'must be at least 1').max(100, 'must be at most 100').default(20),
  offset: z.coerce.number().int('must be a whole number').min(0, 'must not be negative').default(0),
  unread: z.enum(['true', 'false'], { message: 'must be true or false' }).default('false'),
});

/** The signed-in user's notifications, unread first, newest first; with the unread count. */
export const GET = withUser({ query }, async ({ user, query: { limit, offset, unread } }) => {
  const page = await asUser(await getDb(), user.id, (tx) => listNotifications(tx, { limit, offset, unreadOnly: unread === 'true' }));
  const nextOffset = offset + page.notifications.length;
  return {
    notifications: page.notifications,
    unread_count: page.unreadCount,
    total_count: page.totalCount,
    limit,
    offset,
    next_offset: nextOffset < (unread === 'true' ? page.unreadCount : page.totalCount) ? nextOffset : null,
  };
});
