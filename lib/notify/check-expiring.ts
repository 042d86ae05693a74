import type { RefreshDeps } from '../refresh/refresh-one';
import { refreshNow } from '../refresh/refresh-now';
import { loadRecipients, owedRows } from './owed-rows';
import { expiringMessage } from '../refresh/policy';
import { connectionEnd } from './expiring-tokens';
import { reconnectUrl as buildReconnectUrl } from './reconnect-url';

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
 * With auto-refresh (the default) a connection that can be renewed is renewed now; only
 * what is still ending afterwards is told to its people: an `integration_token_expiring`
 * notification, an "expiring soon" email and an `integration.expiring` webhook, once per
 * connection and end date.
 */

export interface CheckExpiringOptions {
  days: number;
  autoRefresh: boolean;
}

export interface CheckExpiringSummary {
  ok: true;
  startedAt: string;
  durationMs: number;
  days: number;
  checked: number;
  autoRefreshed: number;
  refreshFailed: number;
  /** Connections whose people were told for the first time about this end date. */
  warned: number;
  notificationsCreated: number;
  emailsQueued: number;
  webhooksQueued: number;
}

interface Candidate {
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

function candidates(deps: RefreshDeps, now: Date, days: number, ids?: string[]): Promise<Candidate[]> {
  return deps.db.query<Candidate>(
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
function renewable(candidate: Candidate, deps: RefreshDeps): boolean {
  const provider = deps.providers.get(candidate.provider);
  if (!provider) return false;
  if (provider.refreshGrant === 'fb_exchange_token' || provider.refreshGrant === 'ig_refresh_token') return true;
  return provider.refreshGrant === 'refresh_token' && candidate.has_refresh_token && provider.refreshToken.rotates;
}

export async function runCheckExpiring(deps: RefreshDeps, options: CheckExpiringOptions): Promise<CheckExpiringSummary> {
  const started = Date.now();
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
  };
  let ending = (await candidates(deps, now, options.days)).filter((c) => connectionEnd(c, deps.providers, now, options.days));
  summary.checked = ending.length;

  if (options.autoRefresh) {
    for (const candidate of ending.filter((c) => renewable(c, deps))) {
      const result = await refreshNow(deps, candidate.id, { trigger: 'cron' });
      if (!result) continue; // someone else is refreshing it right now
      if (result.outcome === 'refreshed') {
        summary.autoRefreshed += 1;
      } else {
        summary.refreshFailed += 1;
      }
    }
    // Read them again: a renewed one may no longer end soon, a failed one may be dead now.
    if (ending.length > 0) {
      ending = (await candidates(deps, now, options.days, ending.map((c) => c.id))).filter((c) => connectionEnd(c, deps.providers, now, options.days));
    }
  }

  for (const candidate of ending) {
    const end = connectionEnd(candidate, deps.providers, now, options.days);
    if (!end) continue;
    const counts = await warn(deps, candidate, end, now);
    // Told already for this end date (the check runs daily): nothing new.
    if (counts.notifications > 0) summary.warned += 1;
    summary.notificationsCreated += counts.notifications;
    summary.emailsQueued += counts.emails;
    summary.webhooksQueued += counts.webhooks;
  }
  summary.durationMs = Date.now() - started;
  return summary;
}

async function warn(
  deps: RefreshDeps,
  candidate: Candidate,
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
