import { redirect } from 'next/navigation';
import { getDb } from '@/lib/db';
import { getEnv } from '@/lib/env';
import { asUser } from '@/lib/db/user-context';
import { listManageableIntegrationIds, listVisibleIntegrations, type IntegrationSummary } from '@/lib/db/integrations';
import { listManagedOrganizations } from '@/lib/db/organizations';
import { getProviders } from '@/lib/runtime';
import { getCurrentUser } from './_server/current-user';
import { relativeTime } from './_server/format';
import { AutoRefresh } from './_components/auto-refresh';
import { MarkRead } from './_components/mark-read';
import { DisconnectButton } from './_components/disconnect-button';
import { RefreshNowButton } from './_components/refresh-now-button';
import { TestConnectionButton } from './_components/test-connection-button';
import { ConnectOutcomeBanner, connectOutcomeFrom } from './_components/connect-outcome';
import { connectHref, reconnectHref } from './_server/connect-links';
import { listNotifications } from '@/lib/notify/notifications';

export const dynamic = 'force-dynamic';

export default async function IntegrationsPage({ searchParams }: { searchParams: Promise<Record<string, string | string[] | undefined>> }) {
  const user = await getCurrentUser();
  if (!user) redirect('/sign-in');
  const db = await getDb();
  const [integrations, inbox, manageable, organizations] = await asUser(db, user.id, async (tx) => [
    await listVisibleIntegrations(tx),
    await listNotifications(tx, { limit: 10, offset: 0, unreadOnly: false }),
    await listManageableIntegrationIds(tx),
    await listManagedOrganizations(tx),
  ] as const);
  const providers = getProviders();
  // Connect offers what can start the flow here: credentials configured and an authorization endpoint.
  const connectable = providers.list().filter((provider) => provider.credentials !== null && provider.authorizationUrl !== null);
  const outcome = connectOutcomeFrom(await searchParams);
  const returned = outcome ? integrations.find((integration) => integration.id === outcome.integration) : undefined;
  const nameOf = (id: string) => providers.get(id)?.name ?? id;
  const now = new Date();
  const threshold = getEnv().REFRESH_THRESHOLD_MINUTES;

  return (
    <>
      <AutoRefresh everySeconds={10} />
      {outcome ? (
        <ConnectOutcomeBanner outcome={outcome} name={returned ? nameOf(returned.provider) : 'The connection'} account={returned?.account_label} />
      ) : null}
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
            <th>
              <span className="visually-hidden">Actions</span>
            </th>
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
              <td>
                {manageable.has(integration.id) ? (
                  <div className="actions">
                    {integration.status !== 'connected' ? (
                      <a
                        className="button primary"
                        href={reconnectHref(integration.provider, integration.id, '/')}
                        aria-label={`Reconnect ${nameOf(integration.provider)}${integration.account_label ? ` (${integration.account_label})` : ''}`}
                      >
                        Reconnect
                      </a>
                    ) : null}
                    {integration.status === 'connected' ? (
                      <>
                        <RefreshNowButton
                          id={integration.id}
                          name={`${nameOf(integration.provider)}${integration.account_label ? ` (${integration.account_label})` : ''}`}
                        />
                        <TestConnectionButton
                          id={integration.id}
                          name={`${nameOf(integration.provider)}${integration.account_label ? ` (${integration.account_label})` : ''}`}
                        />
                      </>
                    ) : null}
                    {integration.status !== 'disconnected' ? (
                      <DisconnectButton
                        id={integration.id}
                        name={`${nameOf(integration.provider)}${integration.account_label ? ` (${integration.account_label})` : ''}`}
                      />
                    ) : null}
                  </div>
                ) : null}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      {integrations.length === 0 ? <p className="muted">No connections yet.</p> : null}

      <section className="connect" aria-labelledby="connect">
        <h2 id="connect">Connect</h2>
        {connectable.length === 0 ? (
          <p className="muted">No provider can be connected here yet: give one its client credentials (and an authorization URL) first.</p>
        ) : (
          <>
            <p className="muted">Sign in at a provider and grant access; the new connection appears above.</p>
            <h3>For yourself</h3>
            <ul aria-label="Connect for yourself">
              {connectable.map((provider) => (
                <li key={provider.id}>
                  <a className="button" href={connectHref(provider.id)}>
                    {`Connect ${provider.name}`}
                  </a>
                </li>
              ))}
            </ul>
            {organizations.map((organization) => (
              <div key={organization.id}>
                <h3>{`For ${organization.name}`}</h3>
                <ul aria-label={`Connect for ${organization.name}`}>
                  {connectable.map((provider) => (
                    <li key={provider.id}>
                      <a
                        className="button"
                        href={connectHref(provider.id, { organization: organization.id })}
                        aria-label={`Connect ${provider.name} for ${organization.name}`}
                      >
                        {`Connect ${provider.name}`}
                      </a>
                    </li>
                  ))}
                </ul>
              </div>
            ))}
          </>
        )}
      </section>

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
              {note.action_url ? <a href={note.action_url}>{note.type === 'integration_restored' ? 'View connection' : 'Reconnect'}</a> : <span />}
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
