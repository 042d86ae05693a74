import Link from 'next/link';
import { redirect } from 'next/navigation';
import { getDb } from '@/lib/db';
import { asUser } from '@/lib/db/user-context';
import { getNotificationPreferences } from '@/lib/db/notification-preferences';
import { getCurrentUser } from '../../_server/current-user';
import { PreferencesForm } from './_components/preferences-form';

export const dynamic = 'force-dynamic';

/** Which emails the signed-in user gets about their connections; in-app notifications are always kept. */
export default async function NotificationSettingsPage() {
  const user = await getCurrentUser();
  if (!user) redirect('/sign-in');
  const preferences = await asUser(await getDb(), user.id, (tx) => getNotificationPreferences(tx, user.id));
  return (
    <>
      <h1>Notification preferences</h1>
      <p className="muted">
        Emails go to {user.email}. Every notification also appears in <Link href="/notifications">Notifications</Link>, whatever you choose here.
      </p>
      <PreferencesForm initial={preferences} />
    </>
  );
}
