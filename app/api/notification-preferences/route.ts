import { z } from 'zod';
import { getDb } from '@/lib/db';
import { asUser } from '@/lib/db/user-context';
import { getNotificationPreferences, saveNotificationPreferences } from '@/lib/db/notification-preferences';
import { withUser } from '@/app/_server/with-user';

export const dynamic = 'force-dynamic';

const body = z.strictObject({
  email_disconnections: z.boolean({ message: 'must be true or false' }),
  email_expiring: z.boolean({ message: 'must be true or false' }),
  email_auth_warning: z.boolean({ message: 'must be true or false' }),
});

/** The signed-in user's email choices (the defaults when they never chose). */
export const GET = withUser({}, async ({ user }) => {
  const preferences = await asUser(await getDb(), user.id, (tx) => getNotificationPreferences(tx, user.id));
  return { preferences };
});

/** Saves all three choices; the next email queued for this user honours them. */
export const POST = withUser({ body }, async ({ user, body: choices }) => {
  const preferences = await asUser(await getDb(), user.id, (tx) => saveNotificationPreferences(tx, user.id, choices));
  return { ok: true, preferences };
});
