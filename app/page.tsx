import { z } from 'zod';
import { FilterProblems } from './_components/filter-problems';
import { ProviderSelect } from './_components/provider-select';
import Link from 'next/link';
import { redirect } from 'next/navigation';
import { getDb } from '@/lib/db';
import { getEnv } from '@/lib/env';
import { asUser } from '@/lib/db/user-context';
import {
  LIST_COUNT_CAP,
  listIntegrationsPage,
  listMemberOrganizations,
  type IntegrationStatusFilter,
  type IntegrationSummary,
  type ListCursor,
  type ListRow,
  type ListScope,
} from '@/lib/db/integrations';
import { healthOfRow, type Health } from '@/lib/owed/health';
import { listManagedOrganizations } from '@/lib/db/organizations';
import { getProviders } from '@/lib/runtime';
import { getCurrentUser } from './_server/current-user';
import { relativeTime } from './_server/format';
import { MarkRead } from './_components/mark-read';
import { DisconnectButton } from './_components/disconnect-button';
import { RefreshNowButton } from './_components/refresh-now-button';
import { TestConnectionButton } from './_components/test-connection-button';
import { ConnectOutcomeBanner, connectOutcomeFrom } from './_components/connect-outcome';
import { connectHref, reconnectHref } from './_server/connect-links';
import { listNotifications } from '@/lib/notify/notifications';
import { decodeListCursor, encodeListCursor } from './_server/list-cursor';

export const dynamic = 'force-dynamic';

/** Rows per page: one page renders fast however many connections the organization has. */
const PAGE_SIZE = 50;

const STATUS_FILTERS: { value: IntegrationStatusFilter; label: string }[] = [
  { value: 'needs_reauthorization', label: 'Needs reconnecting' },
  { value: 'retrying', label: 'Retrying' },
  { value: 'connected', label: 'Connected' },
  { value: 'disconnected', label: 'Disconnected' },
];

// Each filter says what is wrong with it: a filter silently dropped would show every row as if it applied.
const listQuery = z.object({
  status: z
    .enum(['connected', 'retrying', 'needs_reauthorization', 'disconnected'], {
      message: 'Status must be one of needs_reauthorization, retrying, connected, disconnected',
    })
    .nullable(),
  provider: z.string().regex(/^[a-z0-9_-]{1,64}$/, 'Provider must be a provider id').nullable(),
  // `all` (the default), `own`, or an organization's id.
  // A refine, not a union: zod reports only the last member's issue ("Invalid UUID") for a union of strings.
  scope: z
    .string()
    .refine((value) => value === 'all' || value === 'own' || z.uuid().safeParse(value).success, "Show must be all, own or one of your organizations' ids")
    .nullable(),
  after: z.string().nullable(),
  before: z.string().nullable(),
});

function one(value: string | string[] | undefined): string | null {
  const first = Array.isArray(value) ? value[0] : value;
  return first === undefined || first === '' ? null : first;
}

export default async function IntegrationsPage({ searchParams }: { searchParams: Promise<Record<string, string | string[] | undefined>> }) {
  const user = await getCurrentUser();
  if (!user) redirect('/sign-in');
  const params = await searchParams;
  const parsed = listQuery.safeParse({
    status: one(params.status),
    provider: one(params.provider),
    scope: one(params.scope),
    after: one(params.after),
    before: one(params.before),
  });
  const problems = parsed.success ? [] : [...new Set(parsed.error.issues.map((issue) => issue.message))];
  const asked = parsed.success ? parsed.data : { status: null, provider: null, scope: null, after: null, before: null };
  const filter = { status: asked.status, provider: asked.provider };
  // A cursor this page did not make (edited, truncated, from another version) falls back to the
  // first page with a notice, rather than an error page: the filters in the link still apply.
  const after = asked.after ? decodeListCursor(asked.after) : null;
  const before = !after && asked.before ? decodeListCursor(asked.before) : null;
  const notice: string | null = (asked.after && !after) || (asked.before && !asked.after && !before) ? 'That page link is not valid; showing the first page.' : null;
  const db = await getDb();
  const memberOf = await asUser(db, user.id, (tx) => listMemberOrganizations(tx));
  let scope: ListScope = { kind: 'all' };
  if (asked.scope === 'own') scope = { kind: 'own' };
  else if (asked.scope && asked.scope !== 'all') {
    if (memberOf.some((organization) => organization.id === asked.scope)) scope = { kind: 'organization', organizationId: asked.scope };
    else problems.push('You are not a member of that organization');
  }
  // A filter that cannot be applied lists nothing: every row under a filter that did not apply
  // would read as the filter's answer.
  const unlisted = { integrations: [], next: null, previous: null, total: 0 };
  const [listed, inbox, organizations] = await asUser(db, user.id, async (tx) => [
    problems.length > 0
      ? unlisted
      : await listIntegrationsPage(tx, {
          scope,
          status: filter.status,
          provider: filter.provider,
          limit: PAGE_SIZE,
          // The order is one for every scope, so a cursor means the same in any of them.
          after,
          before,
        }),
    await listNotifications(tx, { limit: 10, offset: 0, unreadOnly: false }),
    await listManagedOrganizations(tx),
  ] as const);
  const integrations = listed.integrations;
  const providers = getProviders();
  // The provider filter offers every configured provider (and the one asked for): listing the
  // providers of the rows one can see would read every visible row on every page view.
  // Connect offers what can start the flow here: credentials configured and an authorization endpoint.
  const connectable = providers.list().filter((provider) => provider.credentials !== null && provider.authorizationUrl !== null);
  const outcome = connectOutcomeFrom(params);
  const returned = outcome ? integrations.find((integration) => integration.id === outcome.integration) : undefined;
  const nameOf = (id: string) => providers.get(id)?.name ?? id;
  const now = new Date();
  const threshold = getEnv().REFRESH_THRESHOLD_MINUTES;
  const healthOf = (integration: ListRow): Health => healthOfRow(integration, providers, now);
  const scopeValue = scope.kind === 'organization' ? scope.organizationId : scope.kind;
  const pageHref = (cursor: { after: ListCursor } | { before: ListCursor } | null) => {
    const query = new URLSearchParams();
    if (scopeValue !== 'all') query.set('scope', scopeValue);
    if (filter.status) query.set('status', filter.status);
    if (filter.provider) query.set('provider', filter.provider);
    if (cursor && 'after' in cursor) query.set('after', encodeListCursor(cursor.after));
    if (cursor && 'before' in cursor) query.set('before', encodeListCursor(cursor.before));
    const search = query.toString();
    return search ? `/?${search}` : '/';
  };
  const filtered = filter.status !== null || filter.provider !== null || scope.kind !== 'all' || problems.length > 0;
  const totalWords = listed.total > LIST_COUNT_CAP ? `${LIST_COUNT_CAP.toLocaleString('en')}+` : listed.total.toLocaleString('en');
  const scopeWords =
    scope.kind === 'own' ? 'of your own' : scope.kind === 'organization' ? `in ${memberOf.find((o) => o.id === scope.organizationId)?.name ?? 'the organization'}` : null;

  return (
    <>
      {outcome ? (
        <ConnectOutcomeBanner outcome={outcome} name={returned ? nameOf(returned.provider) : 'The connection'} account={returned?.account_label} />
      ) : null}
      <div className="row">
        <div>
          <h1>Connections</h1>
          <p className="muted">
            Signed in as {user.email}.{' '}
            {problems.length > 0 ? (
              'No connections shown: fix the filters below.'
            ) : (
              <>
                {totalWords} connection{listed.total === 1 ? '' : 's'}
                {scopeWords ? ` ${scopeWords}` : ''} {filtered ? 'match' : 'you can see'}.
              </>
            )}
          </p>
          {notice ? (
            <p className="muted" role="status" data-list-notice>
              {notice}
            </p>
          ) : null}
        </div>
        <form className="inline" method="post" action="/api/auth/sign-out">
          <button type="submit">Sign out</button>
        </form>
      </div>
      <FilterProblems problems={problems} />
      <form className="filters" method="get" action="/" aria-label="Filter connections">
        <label>
          Show
          <select name="scope" defaultValue={scopeValue}>
            <option value="all">All you can see</option>
            <option value="own">Your own connections</option>
            {memberOf.map((organization) => (
              <option key={organization.id} value={organization.id}>
                {organization.name}
              </option>
            ))}
          </select>
        </label>
        <label>
          Status
          <select name="status" defaultValue={filter.status ?? ''}>
            <option value="">All</option>
            {STATUS_FILTERS.map((option) => (
              <option key={option.value} value={option.value}>
                {option.label}
              </option>
            ))}
          </select>
        </label>
        <label>
          Provider
          <ProviderSelect value={filter.provider} anyLabel="All" />
        </label>
        <button type="submit">Filter</button>
        {filtered ? <Link href="/">Clear</Link> : null}
      </form>
      <table className="connections">
        <thead>
          <tr>
            <th>Provider</th>
            <th>Account</th>
            <th>Health</th>
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
            <tr key={integration.id} data-integration-id={integration.id} data-health={healthOf(integration).tone}>
              <td data-label="Provider">
                <a className="provider" href={`/integrations/${integration.id}`}>
                  {nameOf(integration.provider)}
                </a>
              </td>
              <td data-label="Account">
                {integration.account_label ?? '—'}
                {integration.organization_name ? <div className="muted">{integration.organization_name}</div> : null}
              </td>
              <td data-label="Health">
                <HealthBadge health={healthOf(integration)} />
                <div className="muted">
                  <StatusWord integration={integration} health={healthOf(integration)} />
                </div>
                {integration.disconnect_reason ? <div className="muted">{integration.disconnect_reason}</div> : null}
                {!integration.disconnect_reason && healthOf(integration).tone !== 'green' && healthOf(integration).reason ? (
                  <div className="muted">{healthOf(integration).reason}</div>
                ) : null}
              </td>
              <td data-label="Access token expires" className={expiryClass(integration.expires_at, now)} title={integration.expires_at?.toISOString()}>
                {integration.expires_at ? relativeTime(integration.expires_at, now) : 'does not expire'}
              </td>
              <td data-label="Next refresh" title={integration.refresh_due_at?.toISOString()}>
                {integration.status !== 'connected' ? '—' : integration.refresh_due_at ? dueLabel(integration.refresh_due_at, now, threshold) : 'not needed'}
              </td>
              <td data-label="Last refreshed" title={integration.last_refreshed_at?.toISOString()}>{relativeTime(integration.last_refreshed_at, now)}</td>
              <td data-label="Failures (auth / transient)">
                {integration.consecutive_failures} / {integration.consecutive_transient_failures}
                {integration.last_error_code ? <div className="muted">{integration.last_error_code}</div> : null}
              </td>
              <td className="row-actions">
                {integration.can_manage ? (
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
      {integrations.length === 0 && problems.length === 0 ? <p className="muted">{filtered ? 'No connections match these filters.' : 'No connections yet.'}</p> : null}
      {listed.previous || listed.next ? (
        <nav className="pagination" aria-label="Pages">
          {listed.previous ? (
            <span>
              <a href={pageHref(null)}>First page</a> <a href={pageHref({ before: listed.previous })} rel="prev">Previous</a>
            </span>
          ) : (
            <span />
          )}
          <span>{`Showing ${integrations.length} of ${totalWords}`}</span>
          {listed.next ? (
            <a href={pageHref({ after: listed.next })} rel="next">
              Next
            </a>
          ) : (
            <span />
          )}
        </nav>
      ) : null}

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

/** The colour rule (lib/owed/health.ts), in words as well as colour. */
function HealthBadge({ health }: { health: Health }) {
  const mark = health.tone === 'green' ? '✓' : health.tone === 'yellow' ? '!' : '✕';
  return (
    <span className={`badge tone-${health.tone}`}>
      <span aria-hidden="true">{mark} </span>
      {health.label}
    </span>
  );
}

/**
 * The stored status beside the health badge, qualified where the health rule says more: a
 * connected row that is retrying, ends soon or has already ended (red Expired) must not read
 * as a plain "connected" next to its badge.
 */
function StatusWord({ integration, health }: { integration: IntegrationSummary; health: Health }) {
  const word = integration.status.replace('_', ' ');
  const qualified = integration.status === 'connected' && health.tone !== 'green' ? `${word}, ${health.label.toLowerCase()}` : word;
  return <span className="status-word">{qualified}</span>;
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
