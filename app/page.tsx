import { redirect } from 'next/navigation';
import { getDb } from '@/lib/db';
import { getEnv } from '@/lib/env';
import { asUser } from '@/lib/db/user-context';
import { listVisibleIntegrations, type IntegrationSummary } from '@/lib/db/integrations';
import { getProviders } from '@/lib/runtime';
import { getCurrentUser } from './_server/current-user';
import { relativeTime } from './_server/format';
import { AutoRefresh } from './_components/auto-refresh';
import { MarkRead } from './_components/mark-read';
import { listNotifications } from '@/lib/notify/notifications';

export const dynamic = 'force-dynamic';

export default async function IntegrationsPage() {
  const user = await getCurrentUser();
  if (!user) redirect('/sign-in');
  const db = await getDb();
  const [integrations, inbox] = await asUser(db, user.id, async (tx) => [
    await listVisibleIntegrations(tx),
    await listNotifications(tx, { limit: 10, offset: 0, unreadOnly: false }),
  ] as const);
  const providers = getProviders();
  const now = new Date();
  const threshold = getEnv().REFRESH_THRESHOLD_MINUTES;

  return (
    <>
      <AutoRefresh everySeconds={10} />
      <div className="row">
        <div>
          <h1>Connections</h1>
          <p className="muted">
            Signed in as {user.email}. {integrations.length} connection{integrations.length === 1 ? '' : 's'} you can see.
          </p>
        </div>
        <form className="inline" method="post" action="/api/auth/sign-out">
          <button type="submit">Sign out</button>
        </form>
      </div>
      <table>
        <thead>
          <tr>
            <th>Provider</th>
            <th>Account</th>
            <th>Status</th>
            <th>Access token expires</th>
            <th>Next refresh</th>
            <th>Last refreshed</th>
            <th>Failures (auth / transient)</th>
          </tr>
        </thead>
        <tbody>
          {integrations.map((integration) => (
            <tr key={integration.id} data-integration-id={integration.id}>
              <td>{providers.get(integration.provider)?.name ?? integration.provider}</td>
              <td>
                {integration.account_label ?? '—'}
                {integration.organization_name ? <div className="muted">{integration.organization_name}</div> : null}
              </td>
              <td>
                <StatusBadge integration={integration} />
                {integration.disconnect_reason ? <div className="muted">{integration.disconnect_reason}</div> : null}
              </td>
              <td className={expiryClass(integration.expires_at, now)} title={integration.expires_at?.toISOString()}>
                {integration.expires_at ? relativeTime(integration.expires_at, now) : 'does not expire'}
              </td>
              <td title={integration.refresh_due_at?.toISOString()}>
                {integration.status !== 'connected' ? '—' : integration.refresh_due_at ? dueLabel(integration.refresh_due_at, now, threshold) : 'not needed'}
              </td>
              <td title={integration.last_refreshed_at?.toISOString()}>{relativeTime(integration.last_refreshed_at, now)}</td>
              <td>
                {integration.consecutive_failures} / {integration.consecutive_transient_failures}
                {integration.last_error_code ? <div className="muted">{integration.last_error_code}</div> : null}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      {integrations.length === 0 ? <p className="muted">No connections yet.</p> : null}

      <div className="row" style={{ marginTop: 32 }}>
        <h2 id="notifications">
          Notifications <span className="muted">({inbox.unreadCount} unread)</span>
        </h2>
        {inbox.unreadCount > 0 ? <MarkRead label="Mark all read" /> : null}
      </div>
      <ul className="notifications">
        {inbox.notifications.map((note) => (
          <li key={note.id} data-notification-id={note.id} className={note.is_read ? 'read' : 'unread'}>
            <div className="row">
              <strong>{note.title}</strong>
              <span className="muted">{relativeTime(note.created_at, now)}</span>
            </div>
            <div>{note.message}</div>
            <div className="row">
              {note.action_url ? <a href={note.action_url}>Reconnect</a> : <span />}
              {note.is_read ? null : <MarkRead id={note.id} label="Mark read" />}
            </div>
          </li>
        ))}
      </ul>
      {inbox.notifications.length === 0 ? <p className="muted">Nothing to report.</p> : null}
    </>
  );
}

function StatusBadge({ integration }: { integration: IntegrationSummary }) {
  const label = integration.status.replace('_', ' ');
  const troubled =
    integration.status === 'connected' &&
    (integration.consecutive_failures > 0 || integration.consecutive_transient_failures > 0);
  return <span className={`badge ${troubled ? 'trouble' : integration.status}`}>{troubled ? 'connected, retrying' : label}</span>;
}

/** Due times inside the refresh window read as "due now": the next cron tick takes them. */
function dueLabel(dueAt: Date, now: Date, thresholdMinutes: number): string {
  const windowMs = thresholdMinutes * 60_000;
  return dueAt.getTime() - now.getTime() <= windowMs ? 'due (next tick)' : relativeTime(new Date(dueAt.getTime() - windowMs), now);
}

function expiryClass(expiresAt: Date | null, now: Date): string | undefined {
  if (!expiresAt) return undefined;
  const left = expiresAt.getTime() - now.getTime();
  if (left <= 0) return 'expired';
  if (left < 3600_000) return 'soon';
  return undefined;
}
