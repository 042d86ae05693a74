import Link from 'next/link';
import { redirect } from 'next/navigation';
import { z } from 'zod';
import { getDb } from '@/lib/db';
import { asUser } from '@/lib/db/user-context';
import { listNotifications, type NotificationView } from '@/lib/notify/notifications';
import { getProviders } from '@/lib/runtime';
import { getCurrentUser } from '../_server/current-user';
import { reconnectHref } from '../_server/connect-links';
import { MarkRead } from '../_components/mark-read';
import { LocalTime } from '@/app/_components/local-time';

export const dynamic = 'force-dynamic';

const PAGE_SIZE = 20;

// Bounded: an unbounded page number became an offset PostgreSQL refused (a 500, not an answer).
const pageParam = z.coerce.number({ message: 'Page must be a whole number' }).int('Page must be a whole number').min(1, 'Page must be 1 or more').max(100_000, 'Page must be at most 100000');

/** The page asked for, or page 1 and why the one asked for cannot be shown. */
function pageFrom(value: string | string[] | undefined): { page: number; problem: string | null } {
  const raw = Array.isArray(value) ? value[0] : value;
  if (raw === undefined || raw === '') return { page: 1, problem: null };
  const parsed = pageParam.safeParse(raw);
  return parsed.success ? { page: parsed.data, problem: null } : { page: 1, problem: `${parsed.error.issues[0]?.message ?? 'Page is not valid'}; showing page 1.` };
}

function providerOf(notification: NotificationView): string | null {
  const provider = notification.metadata.provider;
  return typeof provider === 'string' ? provider : null;
}

/** The signed-in user's notifications, unread first and newest first, one page at a time. */
export default async function NotificationsPage({ searchParams }: { searchParams: Promise<Record<string, string | string[] | undefined>> }) {
  const user = await getCurrentUser();
  if (!user) redirect('/sign-in');
  const { page, problem } = pageFrom((await searchParams).page);
  const inbox = await asUser(await getDb(), user.id, (tx) =>
    listNotifications(tx, { limit: PAGE_SIZE, offset: (page - 1) * PAGE_SIZE, unreadOnly: false }),
  );
  const providers = getProviders();
  const pages = Math.max(1, Math.ceil(inbox.totalCount / PAGE_SIZE));

  return (
    <>
      <div className="row">
        <div>
          <h1>Notifications</h1>
          <p className="muted" data-testid="unread-summary">
            {inbox.unreadCount === 0 ? 'Nothing unread.' : `${inbox.unreadCount} unread of ${inbox.totalCount}.`}{' '}
            <Link href="/settings/notifications">Email preferences</Link>
          </p>
        </div>
        {inbox.unreadCount > 0 ? <MarkRead label="Mark all read" /> : null}
      </div>
      {problem ? (
        <p role="alert" className="error">
          {problem}
        </p>
      ) : null}
      {inbox.notifications.length === 0 ? (
        <p>No notifications{page > 1 ? ' on this page' : ''}.</p>
      ) : (
        <ul className="notification-list" style={{ listStyle: 'none', padding: 0 }}>
          {inbox.notifications.map((notification) => {
            const provider = providerOf(notification);
            const dead = notification.type === 'integration_disconnected';
            return (
              <li
                key={notification.id}
                data-notification-id={notification.id}
                data-read={notification.is_read ? 'true' : 'false'}
                style={{ borderTop: '1px solid #ccc', padding: '0.75rem 0', fontWeight: notification.is_read ? 'normal' : 'bold' }}
              >
                <div>
                  {notification.is_read ? <span className="muted">Read</span> : <strong>Unread</strong>} ·{' '}
                  <span>{notification.severity}</span> · <LocalTime iso={notification.created_at.toISOString()} />
                </div>
                <h2 style={{ fontSize: '1rem', margin: '0.25rem 0' }}>
                  {notification.integration_id ? (
                    <Link href={`/integrations/${notification.integration_id}`}>{notification.title}</Link>
                  ) : (
                    notification.title
                  )}
                </h2>
                <p style={{ fontWeight: 'normal', margin: '0.25rem 0' }}>{notification.message}</p>
                <div className="row" style={{ justifyContent: 'flex-start', gap: '0.5rem' }}>
                  {notification.is_read ? null : <MarkRead id={notification.id} label="Mark read" />}
                  {dead && notification.integration_id && provider ? (
                    <a href={reconnectHref(provider, notification.integration_id, '/notifications')}>
                      Reconnect {providers.get(provider)?.name ?? provider}
                    </a>
                  ) : null}
                </div>
              </li>
            );
          })}
        </ul>
      )}
      <nav aria-label="Notification pages" className="row" style={{ justifyContent: 'flex-start', gap: '1rem' }}>
        {page > 1 ? <Link href={`/notifications?page=${page - 1}`}>Newer</Link> : null}
        <span>
          Page {page} of {pages}
        </span>
        {page < pages ? <Link href={`/notifications?page=${page + 1}`}>Older</Link> : null}
      </nav>
    </>
  );
}
