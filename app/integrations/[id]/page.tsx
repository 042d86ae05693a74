import Link from 'next/link';
import { notFound, redirect } from 'next/navigation';
import { z } from 'zod';
import { getDb } from '@/lib/db';
import { getEnv } from '@/lib/env';
import { asUser } from '@/lib/db/user-context';
import { findConnectionPageView, listRecentRefreshAttempts, type ConnectionPageView, type RefreshAttempt } from '@/lib/db/integrations';
import type { ResolvedProvider } from '@/lib/providers/schema';
import { getProviders } from '@/lib/runtime';
import { refreshTriggerWords } from '@/lib/db/refresh-logs';
import { getCurrentUser } from '@/app/_server/current-user';
import { reconnectHref } from '@/app/_server/connect-links';
import { RefreshNowButton } from '@/app/_components/refresh-now-button';
import { TestConnectionButton } from '@/app/_components/test-connection-button';
import { DisconnectButton } from '@/app/_components/disconnect-button';
import { LocalTime } from '@/app/_components/local-time';
import { ExpiryCountdown } from './_components/expiry-countdown';
import { OUTCOME_LOOK, RefreshHistoryChart } from './_components/refresh-history-chart';
import { healthOfRow, type HealthTone as Health } from '@/lib/owed/health';

export const dynamic = 'force-dynamic';

const HEALTH_WORDS: Record<Health, string> = { green: 'Healthy', yellow: 'Needs attention', red: 'Not working' };
const HEALTH_CLASS: Record<Health, string> = { green: 'connected', yellow: 'trouble', red: 'needs_reauthorization' };

/**
 * A connection's page: who and what it is, whether it works and why not, when it ends and
 * when Tokenwarden renews it, its last 50 refresh attempts, and (for those who may manage it)
 * the buttons. Visible through RLS (asUser); anyone else gets 404.
 */
export default async function ConnectionPage({ params }: { params: Promise<{ id: string }> }) {
  const user = await getCurrentUser();
  if (!user) redirect('/sign-in');
  const id = z.uuid().safeParse((await params).id);
  if (!id.success) notFound();
  const db = await getDb();
  const found = await asUser(db, user.id, async (tx) => {
    const row = await findConnectionPageView(tx, id.data);
    return row ? { row, attempts: await listRecentRefreshAttempts(tx, id.data, 50) } : null;
  });
  if (!found) notFound(); // not theirs (RLS) or gone
  const { row, attempts } = found;
  // Read with the row (public.integration_has_refresh_token): the token column itself is granted to no user role.
  const hasRefresh = row.has_refresh_token;
  const providers = getProviders();
  const provider = providers.get(row.provider);
  const name = provider?.name ?? row.provider;
  const label = `${name}${row.account_label ? ` (${row.account_label})` : ''}`;
  const now = new Date();
  const rowHealth = healthOfRow({ ...row, has_refresh_token: hasRefresh }, providers, now);
  const health = rowHealth.tone;
  const thresholdMinutes = getEnv().REFRESH_THRESHOLD_MINUTES;
  const here = `/integrations/${row.id}`;
  const last = attempts[0];

  return (
    <div data-integration-id={row.id} data-health={health}>
      <p>
        <Link href="/">← Your connections</Link>
      </p>
      <h1>{name}</h1>
      <p className="muted">
        {row.account_label ?? 'Unnamed account'}
        {row.provider_account_id && row.provider_account_id !== row.account_label ? ` (account ${row.provider_account_id})` : ''}
        {row.organization_name ? ` · ${row.organization_name}` : ' · personal'}
      </p>

      <section aria-labelledby="status-heading" className="card">
        <h2 id="status-heading">Status</h2>
        <p data-connection-status>
          <span className={`badge ${HEALTH_CLASS[health]}`}>
            {health === 'green' ? '✓' : health === 'yellow' ? '!' : '✕'} {HEALTH_WORDS[health]}
          </span>{' '}
          {statusWords(row, name, rowHealth)}
        </p>
        {row.disconnect_reason ? <p data-reason>{row.disconnect_reason}</p> : null}
        {row.connected_at ? (
          <p>
            Connected <LocalTime iso={row.connected_at.toISOString()} format="connected" />
          </p>
        ) : null}
        <p>
          {row.status !== 'connected' ? (
            row.expires_at ? (
              <>
                Access token {row.expires_at.getTime() > now.getTime() ? 'expires' : 'expired'} <LocalTime iso={row.expires_at.toISOString()} format="datetime" />
              </>
            ) : (
              'No access token.'
            )
          ) : row.expires_at ? (
            <ExpiryCountdown iso={row.expires_at.toISOString()} />
          ) : (
            'The access token does not expire.'
          )}
        </p>
        <p data-renewal>
          <Renewal row={row} provider={provider} hasRefresh={hasRefresh} thresholdMinutes={thresholdMinutes} now={now} name={name} />
        </p>
        {row.refresh_token_expires_at ? (
          <p>
            The refresh token itself ends <LocalTime iso={row.refresh_token_expires_at.toISOString()} format="datetime" />: reconnect before then.
          </p>
        ) : null}
        <p data-last-refresh>
          {last ? (
            <>
              Last refresh: <strong>{OUTCOME_LOOK[last.outcome]?.word ?? last.outcome}</strong>
              {last.error_code ? ` (${last.error_code})` : ''}, <LocalTime iso={last.created_at.toISOString()} format="relative" /> (
              {refreshTriggerWords(last.trigger)}).
            </>
          ) : (
            'No refresh attempted yet.'
          )}
        </p>
        <p data-counters>
          Failures in a row: {row.consecutive_failures} refused by {name} (after 3 the connection needs reconnecting), {row.consecutive_transient_failures} while{' '}
          {name} was unavailable (retried automatically).
        </p>
        {row.last_error || row.last_error_code ? (
          <p data-last-error>
            Last error
            {row.last_failure_at ? (
              <>
                {' '}
                (<LocalTime iso={row.last_failure_at.toISOString()} format="relative" />)
              </>
            ) : null}
            : {row.last_error ?? 'the provider refused'}
            {row.last_error_code ? (
              <>
                {' '}
                <span className="muted">
                  (code <code>{row.last_error_code}</code>)
                </span>
              </>
            ) : null}
          </p>
        ) : null}
      </section>

      {row.can_manage ? (
        <section aria-labelledby="actions-heading" className="card">
          <h2 id="actions-heading">Actions</h2>
          <div className="actions">
            {row.status === 'connected' ? (
              <>
                <RefreshNowButton id={row.id} name={label} />
                <TestConnectionButton id={row.id} name={label} />
              </>
            ) : null}
            <a className={`button${row.status === 'connected' ? '' : ' primary'}`} href={reconnectHref(row.provider, row.id, here)} aria-label={`Reconnect ${label}`}>
              Reconnect
            </a>
            {row.status !== 'disconnected' ? <DisconnectButton id={row.id} name={label} /> : null}
          </div>
          <p className="muted">Refresh now: 5 an hour. Test connection: 30 an hour.</p>
        </section>
      ) : (
        <p className="muted" data-read-only>
          You can see this connection but not change it: only the person who connected it, or someone who manages the organization&apos;s integrations, can.
        </p>
      )}

      <section aria-labelledby="history-heading">
        <h2 id="history-heading">Refresh history</h2>
        {attempts.length === 0 ? (
          <p className="muted">No attempts yet.</p>
        ) : (
          <>
            <RefreshHistoryChart attempts={attempts} />
            <History attempts={attempts} />
          </>
        )}
      </section>
    </div>
  );
}

/**
 * The status in words, agreeing with the badge: a connected row the health rule does not call
 * green (Expired: ended with nothing to renew it; Ends soon) says the rule's reason, never
 * "Connected and working.".
 */
function statusWords(row: ConnectionPageView, name: string, health: { tone: Health; label: string; reason?: string }): string {
  if (row.status === 'disconnected') return 'Disconnected: Tokenwarden erased its tokens and no longer renews it.';
  if (row.status === 'needs_reauthorization') return `Needs reauthorization: ${name} no longer accepts this connection. Reconnect to resume.`;
  if (health.tone === 'red') return `${health.label}: ${health.reason ?? 'it no longer works; reconnect to resume.'}`;
  if (row.consecutive_failures > 0) return `Connected, but ${name} refused the last refresh; retrying automatically.`;
  if (row.consecutive_transient_failures > 0) return `Connected; ${name} was unavailable at the last refresh, retrying automatically.`;
  if (health.tone !== 'green') return `${health.label}: ${health.reason ?? 'reconnect to keep it.'}`;
  return 'Connected and working.';
}

function Renewal({
  row,
  provider,
  hasRefresh,
  thresholdMinutes,
  now,
  name,
}: {
  row: ConnectionPageView;
  provider: ResolvedProvider | undefined;
  hasRefresh: boolean;
  thresholdMinutes: number;
  now: Date;
  name: string;
}) {
  if (row.status === 'disconnected') return <>No automatic renewal: the connection is disconnected.</>;
  if (row.status === 'needs_reauthorization') return <>No automatic renewal: it needs reauthorization (reconnect).</>;
  if (!provider || provider.refreshGrant === 'none') return <>{`No automatic renewal: ${name} cannot renew tokens; reconnect before it expires.`}</>;
  if (provider.refreshGrant === 'refresh_token' && !hasRefresh) return <>No automatic renewal: {name} gave no refresh token; reconnect before it expires.</>;
  if (!row.expires_at) return <>No renewal needed: the token does not expire.</>;
  if (!row.refresh_due_at) return <>No automatic renewal scheduled.</>;
  // The pass takes a connection once its due time is within the refresh window.
  const around = new Date(row.refresh_due_at.getTime() - thresholdMinutes * 60_000);
  if (around.getTime() <= now.getTime()) return <>Automatic renewal due now (the next pass takes it).</>;
  return (
    <>
      Automatic renewal around <LocalTime iso={around.toISOString()} format="time" />
    </>
  );
}

function History({ attempts }: { attempts: RefreshAttempt[] }) {
  return (
    <div style={{ overflowX: 'auto' }}>
      <table data-refresh-history>
        <caption className="visually-hidden">The last {attempts.length} refresh attempts, newest first</caption>
        <thead>
          <tr>
            <th scope="col">When</th>
            <th scope="col">Trigger</th>
            <th scope="col">Outcome</th>
            <th scope="col">Duration</th>
          </tr>
        </thead>
        <tbody>
          {attempts.map((attempt) => (
            <tr key={attempt.id} data-attempt-id={attempt.id}>
              <td>
                <LocalTime iso={attempt.created_at.toISOString()} format="datetime" />
              </td>
              <td>{refreshTriggerWords(attempt.trigger)}</td>
              <td>
                {OUTCOME_LOOK[attempt.outcome]?.word ?? attempt.outcome}
                {attempt.error_code ? <span className="muted"> ({attempt.error_code})</span> : null}
              </td>
              <td>{attempt.duration_ms} ms</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
