import type { RefreshDeps } from './refresh-one';
import { refreshNow } from './refresh-now';
import { owedRows } from '../owed/owed-rows';
import { loadRecipients } from '../db/integrations';
import { expiringMessage, refreshedMessage, type OwedMessage } from '../owed/messages';
import { connectionEnd } from '../owed/expiry';
import { reconnectUrl as buildReconnectUrl } from '../owed/reconnect-url';
import { JobInterruptedError, databaseFailure, describeDatabaseError, type InterruptedSummary } from '../db/errors';

/**
 * The daily expiry check (`GET /api/cron/check-expiring`, `tokenwarden check-expiring`).
 * The 5-minute refresh keeps ordinary tokens alive; this looks further ahead, for the ends
 * it cannot push back on its own:
 *
 * - long-lived access tokens renewed by exchange (Meta's `fb_exchange_token`, Instagram's
 *   `ig_refresh_token`) or not at all (no refresh token) that expire within N days;
 * - refresh tokens that themselves expire within N days (Xero's 60 days idle, QuickBooks'
 *   five-year cap, Google apps in testing).
 *
 * With auto-refresh (the default) a connection that can be renewed is renewed now (a renewed
 * long-lived token is an in-app `integration_token_refreshed`); only what is still ending
 * afterwards is told to its people at its expiry step (lib/owed/expiry.ts): an
 * `integration_token_expiring` notification and an `integration.expiring` webhook, and from
 * `urgent` on an email, once per connection, end date and step.
 */

export interface CheckExpiringOptions {
  days: number;
  autoRefresh: boolean;
  /** No connection is started after this; renewals in flight finish and are recorded. Default EXPIRY_CHECK.timeBudgetMs. */
  timeBudgetMs?: number;
  /** Connections checked at once (each a renewal and its warning). Default EXPIRY_CHECK.concurrency. */
  concurrency?: number;
}

/**
 * The route's maxDuration is 300 s: a renewal started just before the budget ends may take
 * its provider retries and the retried write of its result on top (lib/refresh/refresh-now.ts).
 * A few at once keeps a large fleet within the budget without crowding a provider's limits.
 */
export const EXPIRY_CHECK = { timeBudgetMs: 180_000, concurrency: 4 } as const;

export interface CheckExpiringSummary {
  ok: true;
  startedAt: string;
  durationMs: number;
  days: number;
  checked: number;
  autoRefreshed: number;
  refreshFailed: number;
  /** Connections whose people were told for the first time about this end date at this step. */
  warned: number;
  notificationsCreated: number;
  emailsQueued: number;
  webhooksQueued: number;
  /** The budget ran out before every ending connection was checked. */
  budgetExhausted: boolean;
  /** Ending connections not reached (the budget, or the database going away); tomorrow's check has them. */
  remaining: number;
  /** Connections whose check failed on an error (each logged); tomorrow's check tries again. */
  errors: number;
}

export type InterruptedCheckSummary = InterruptedSummary<CheckExpiringSummary>;

/** The check stopped because the database could not be reached. */
export class ExpiryCheckInterruptedError extends JobInterruptedError<CheckExpiringSummary> {}

export interface ExpiryCandidate {
  id: string;
  user_id: string;
  organization_id: string | null;
  provider: string;
  account_label: string | null;
  expires_at: Date | null;
  refresh_token_expires_at: Date | null;
  has_refresh_token: boolean;
  [key: string]: unknown;
}

function candidates(deps: RefreshDeps, now: Date, days: number, ids?: string[]): Promise<ExpiryCandidate[]> {
  return deps.db.query<ExpiryCandidate>(
    `select i.id, i.user_id, i.organization_id, i.provider, i.account_label, i.expires_at, i.refresh_token_expires_at,
            i.refresh_token_encrypted is not null as has_refresh_token
     from public.integrations i
     where i.status = 'connected'
       and ($3::jsonb is null or i.id in (select value::uuid from jsonb_array_elements_text($3::jsonb)))
       and (i.expires_at between $1::timestamptz and $1::timestamptz + make_interval(days => $2::int)
            or i.refresh_token_expires_at between $1::timestamptz and $1::timestamptz + make_interval(days => $2::int))
     order by i.id`,
    [now.toISOString(), days, ids ? JSON.stringify(ids) : null],
  );
}

/** Whether a refresh now can push the end back (an exchange, or a rotating refresh token). */
function renewable(candidate: ExpiryCandidate, deps: RefreshDeps): boolean {
  const provider = deps.providers.get(candidate.provider);
  if (!provider) return false;
  if (provider.refreshGrant === 'fb_exchange_token' || provider.refreshGrant === 'ig_refresh_token') return true;
  return provider.refreshGrant === 'refresh_token' && candidate.has_refresh_token && provider.refreshToken.rotates;
}

/**
 * Ending connections, soonest end first, are checked `concurrency` at a time. Each is
 * renewed if it can be and then, right away, warned about if it still ends soon, in its
 * own statements: a connection's warning never waits for (or depends on) another's
 * renewal, and a run cut short leaves every connection it finished renewed and warned.
 * Once the database is unreachable no connection is started (a renewal would spend a
 * token whose successor might not be saved); those in flight finish, then the check fails
 * with ExpiryCheckInterruptedError.
 */
export async function runCheckExpiring(deps: RefreshDeps, options: CheckExpiringOptions): Promise<CheckExpiringSummary> {
  const started = Date.now();
  const deadline = started + (options.timeBudgetMs ?? EXPIRY_CHECK.timeBudgetMs);
  const now = deps.now();
  const summary: CheckExpiringSummary = {
    ok: true,
    startedAt: now.toISOString(),
    durationMs: 0,
    days: options.days,
    checked: 0,
    autoRefreshed: 0,
    refreshFailed: 0,
    warned: 0,
    notificationsCreated: 0,
    emailsQueued: 0,
    webhooksQueued: 0,
    budgetExhausted: false,
    remaining: 0,
    errors: 0,
  };
  const ending = (await candidates(deps, now, options.days))
    .map((candidate) => ({ candidate, end: connectionEnd(candidate, deps.providers, now, options.days) }))
    .filter((entry): entry is { candidate: ExpiryCandidate; end: Date } => entry.end !== null)
    .sort((a, b) => a.end.getTime() - b.end.getTime() || a.candidate.id.localeCompare(b.candidate.id));
  summary.checked = ending.length;

  let next = 0;
  let unreachable: unknown = null;
  const worker = async (): Promise<void> => {
    while (next < ending.length && unreachable === null) {
      if (Date.now() >= deadline) {
        summary.budgetExhausted = true;
        return;
      }
      const { candidate } = ending[next++]!;
      try {
        await checkOne(deps, candidate, now, options, summary);
      } catch (error) {
        summary.errors += 1;
        console.error(`[check-expiring] integration ${candidate.id}: ${describeDatabaseError(error)}`);
        if (databaseFailure(error) === 'unavailable') unreachable ??= error;
      }
    }
  };
  const concurrency = Math.max(1, options.concurrency ?? EXPIRY_CHECK.concurrency);
  await Promise.all(Array.from({ length: Math.min(concurrency, ending.length) }, worker));
  summary.remaining = ending.length - next;
  summary.durationMs = Date.now() - started;
  if (unreachable !== null) {
    const message = `the database became unreachable during the expiry check: ${describeDatabaseError(unreachable)}`;
    throw new ExpiryCheckInterruptedError({ ...summary, ok: false, error: 'database_unreachable', message }, { cause: unreachable });
  }
  return summary;
}

/** One connection: renew it if it can be, then warn its people if it still ends soon. */
async function checkOne(
  deps: RefreshDeps,
  candidate: ExpiryCandidate,
  now: Date,
  options: CheckExpiringOptions,
  summary: CheckExpiringSummary,
): Promise<void> {
  let current: ExpiryCandidate | undefined = candidate;
  if (options.autoRefresh && renewable(candidate, deps)) {
    const result = await refreshNow(deps, candidate.id, { trigger: 'cron' });
    // null: someone else is refreshing it right now; what it ends up as is read below.
    if (result?.outcome === 'refreshed') summary.autoRefreshed += 1;
    else if (result) summary.refreshFailed += 1;
    if (result?.outcome === 'refreshed' && longLived(candidate, deps)) await oweRenewal(deps, candidate, now);
    // Read it again: a renewed one may no longer end soon, a failed one may be dead now.
    [current] = await candidates(deps, now, options.days, [candidate.id]);
  }
  const end = current ? connectionEnd(current, deps.providers, now, options.days) : null;
  if (!current || !end) return;
  const counts = await warn(deps, current, end, now);
  // Told already at this step for this end date (the check runs daily): nothing new.
  if (counts.notifications > 0) summary.warned += 1;
  summary.notificationsCreated += counts.notifications;
  summary.emailsQueued += counts.emails;
  summary.webhooksQueued += counts.webhooks;
}

/** A long-lived access token renewed by exchange (Meta) or by its own refresh (Instagram). */
function longLived(candidate: ExpiryCandidate, deps: RefreshDeps): boolean {
  const grant = deps.providers.get(candidate.provider)?.refreshGrant;
  return grant === 'fb_exchange_token' || grant === 'ig_refresh_token';
}

/** `integration_token_refreshed`, in-app, with the renewed token's expiry. */
async function oweRenewal(deps: RefreshDeps, candidate: ExpiryCandidate, now: Date): Promise<void> {
  const [row] = await deps.db.query<{ expires_at: Date | null }>(`select expires_at from public.integrations where id = $1`, [candidate.id]);
  if (!row?.expires_at) return;
  const providerName = deps.providers.get(candidate.provider)?.name ?? candidate.provider;
  const message = refreshedMessage({
    integrationId: candidate.id,
    providerName,
    expiresAt: row.expires_at,
    reconnectUrl: buildReconnectUrl(deps, candidate),
  });
  await oweMessages(deps, candidate, message, now);
}

/** The warning owed at the connection's expiry step; `warning` past 7 days when the check looks further. */
export async function warn(
  deps: RefreshDeps,
  candidate: ExpiryCandidate,
  end: Date,
  now: Date,
): Promise<{ notifications: number; emails: number; webhooks: number }> {
  const providerName = deps.providers.get(candidate.provider)?.name ?? candidate.provider;
  const message = expiringMessage({
    integrationId: candidate.id,
    providerName,
    end,
    now,
    reconnectUrl: buildReconnectUrl(deps, candidate),
  });
  return oweMessages(deps, candidate, message, now);
}

async function oweMessages(
  deps: RefreshDeps,
  candidate: ExpiryCandidate,
  message: OwedMessage,
  now: Date,
): Promise<{ notifications: number; emails: number; webhooks: number }> {
  const providerName = deps.providers.get(candidate.provider)?.name ?? candidate.provider;
  const owed = owedRows({
    integration: {
      id: candidate.id,
      userId: candidate.user_id,
      organizationId: candidate.organization_id,
      provider: candidate.provider,
      accountLabel: candidate.account_label,
    },
    providerName,
    messages: [message],
    recipients: await loadRecipients(deps.db, candidate.id),
    now,
    status: 'connected',
    reason: null,
  });
  const [row] = await deps.db.query<{ owed: { notifications: number; emails: number; webhooks: number } }>(
    `select public.owe_messages($1, $2, $3::jsonb, $4::jsonb, $5::jsonb) as owed`,
    [candidate.id, now.toISOString(), JSON.stringify(owed.notifications), JSON.stringify(owed.emails), JSON.stringify(owed.webhooks)],
  );
  return row?.owed ?? { notifications: 0, emails: 0, webhooks: 0 };
}
