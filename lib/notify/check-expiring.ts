import type { RefreshDeps } from '../refresh/refresh-one';
import { refreshNow } from '../refresh/refresh-now';
import { webhookEventFor } from './webhook-events';
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
  recipients: { user_id: string; email: string }[];
  [key: string]: unknown;
}

function candidates(deps: RefreshDeps, now: Date, days: number, ids?: string[]): Promise<Candidate[]> {
  return deps.db.query<Candidate>(
    `select i.id, i.user_id, i.organization_id, i.provider, i.account_label, i.expires_at, i.refresh_token_expires_at,
            i.refresh_token_encrypted is not null as has_refresh_token, public.integration_recipients(i.id) as recipients
     from public.integrations i
     where i.status = 'connected'
       and ($3::jsonb is null or i.id in (select value::uuid from jsonb_array_elements_text($3::jsonb)))
       and (i.expires_at between $1::timestamptz and $1::timestamptz + make_interval(days => $2::int)
            or i.refresh_token_expires_at between $1::timestamptz and $1::timestamptz + make_interval(days => $2::int))
     order by i.id`,
    [now.toISOString(), days, ids ? JSON.stringify(ids) : null],
  );
}

function endingAt(candidate: Candidate, deps: RefreshDeps, now: Date, days: number): Date | null {
  return connectionEnd(candidate, deps.providers, now, days);
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
  let ending = (await candidates(deps, now, options.days)).filter((c) => endingAt(c, deps, now, options.days));
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
      ending = (await candidates(deps, now, options.days, ending.map((c) => c.id))).filter((c) => endingAt(c, deps, now, options.days));
    }
  }

  for (const candidate of ending) {
    const end = endingAt(candidate, deps, now, options.days);
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
  const provider = deps.providers.get(candidate.provider);
  const name = provider?.name ?? candidate.provider;
  const days = Math.max(0, Math.floor((end.getTime() - now.getTime()) / 86_400_000));
  const when = days === 0 ? 'within a day' : `in ${days} day${days === 1 ? '' : 's'}`;
  const reconnectUrl = buildReconnectUrl(deps, candidate);
  const eventKey = `expiring/${candidate.id}/${end.toISOString().slice(0, 10)}`;
  const title = `${name} connection expires ${when}`;
  const message = `Your ${name} connection expires ${when} and cannot be renewed automatically. Reconnect before ${end.toISOString().slice(0, 10)} to keep your workflows running.`;
  const severity = days < 1 ? 'critical' : 'warning';
  const recipients = candidate.recipients.length ? candidate.recipients : [{ user_id: candidate.user_id, email: '' }];
  const event = candidate.organization_id
    ? webhookEventFor('integration_token_expiring', {
        eventKey,
        occurredAt: now,
        integration: {
          id: candidate.id,
          organizationId: candidate.organization_id,
          userId: candidate.user_id,
          provider: candidate.provider,
          providerName: name,
          accountLabel: candidate.account_label,
        },
        status: 'connected',
        reason: null,
        reconnectUrl,
        expiresAt: end,
      })
    : null;

  return deps.db.transaction(async (tx) => {
    const inserted = await tx.query(
      `insert into public.notifications
         (user_id, organization_id, integration_id, type, severity, title, message, action_url, metadata, dedupe_key, created_at)
       select (r->>'user_id')::uuid, $2, $1, 'integration_token_expiring', $3, $4, $5, $6, $7::jsonb, $8, $9
       from jsonb_array_elements($10::jsonb) as r
       on conflict (user_id, dedupe_key) do nothing
       returning id`,
      [
        candidate.id,
        candidate.organization_id,
        severity,
        title,
        message,
        reconnectUrl,
        JSON.stringify({ provider: candidate.provider, provider_name: name, integration_id: candidate.id, expires_at: end.toISOString() }),
        eventKey,
        now.toISOString(),
        JSON.stringify(recipients),
      ],
    );
    const emails = recipients
      .filter((r) => r.email)
      .map((r) => ({
        to_email: r.email,
        template: 'integration_token_expiring',
        idempotency_key: `${eventKey}/${r.user_id}`,
        user_id: r.user_id,
        payload: {
          provider: candidate.provider,
          provider_name: name,
          account_label: candidate.account_label,
          title,
          message,
          reason: null,
          action_url: reconnectUrl,
          expires_at: end.toISOString(),
        },
      }));
    const [queued] = await tx.query<{ queued: { emails: number; webhooks: number } }>(
      `select public.queue_owed_messages($1, $2, $3::jsonb, $4::jsonb) as queued`,
      [candidate.id, now.toISOString(), JSON.stringify(emails), JSON.stringify(event ? [event] : [])],
    );
    return { notifications: inserted.length, emails: queued?.queued.emails ?? 0, webhooks: queued?.queued.webhooks ?? 0 };
  });
}
