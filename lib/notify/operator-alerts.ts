import type { Queryable } from '../db/client';
import type { Env } from '../env';
import type { ConfigFailure, OperatorAlerting } from '../owed/operator-alerting';

/**
 * Alerts for the people who run Tokenwarden, not its users: a provider refusing the app's
 * own credentials (configuration), or a provider failing a large share of refreshes (an
 * outage). Each is one row in operator_alerts per provider per day (the admin page shows
 * them) and, when OPERATOR_EMAILS is set, one email per address.
 */

export interface AlertSettings {
  operatorEmails: string[];
  /** Share of refreshes in the last hour that may fail before operators hear, e.g. 0.1. */
  failureRateThreshold: number;
  /** Below this many attempts in the hour, a rate says too little to alert on. */
  minAttempts: number;
}

/** Fewer refreshes than this in an hour say too little about a provider's failure rate. */
export const ALERT_MIN_ATTEMPTS = 20;

/** The settings from the environment (OPERATOR_EMAILS, ALERT_FAILURE_RATE_PERCENT). */
export function alertSettingsFrom(env: Pick<Env, 'OPERATOR_EMAILS' | 'ALERT_FAILURE_RATE_PERCENT'>): AlertSettings {
  return { operatorEmails: env.OPERATOR_EMAILS, failureRateThreshold: env.ALERT_FAILURE_RATE_PERCENT / 100, minAttempts: ALERT_MIN_ATTEMPTS };
}

/** The alerting a refresh pass is handed: configuration failures first, then failure rates. */
export function operatorAlerting(db: Queryable, settings: AlertSettings): OperatorAlerting {
  return {
    async afterPass({ configFailures, now }) {
      return (await raiseConfigAlerts(db, configFailures, now, settings)) + (await raiseFailureRateAlerts(db, now, settings));
    },
  };
}

const day = (now: Date) => now.toISOString().slice(0, 10);

async function raise(
  db: Queryable,
  alert: { kind: 'config_failure' | 'failure_rate'; provider: string; severity: string; title: string; message: string; metadata: object },
  now: Date,
  emails: string[],
): Promise<boolean> {
  const dedupeKey = `${alert.kind}/${alert.provider}/${day(now)}`;
  // One statement: the alert and its emails exist together or not at all.
  const created = await db.query<{ id: string }>(
    `with alert as (
       insert into public.operator_alerts (kind, provider, severity, title, message, metadata, dedupe_key, created_at)
       values ($1, $2, $3, $4, $5, $6::jsonb, $7, $8)
       on conflict (dedupe_key) do nothing
       returning id
     ), emails as (
       insert into public.email_outbox (to_email, template, idempotency_key, operator_alert_id, payload, next_attempt_at, created_at)
       select address.value, 'operator_alert', 'operator/' || $7 || '/' || address.value, alert.id, $9::jsonb, $8, $8
       from alert, jsonb_array_elements_text($10::jsonb) as address
       on conflict (idempotency_key) do nothing
     )
     select id from alert`,
    [
      alert.kind,
      alert.provider,
      alert.severity,
      alert.title,
      alert.message,
      JSON.stringify(alert.metadata),
      dedupeKey,
      now.toISOString(),
      JSON.stringify({ title: alert.title, message: alert.message, provider: alert.provider }),
      JSON.stringify(emails),
    ],
  );
  return created.length > 0;
}

/** One alert per provider per day for configuration failures seen in a pass. */
export async function raiseConfigAlerts(db: Queryable, failures: ConfigFailure[], now: Date, settings: AlertSettings): Promise<number> {
  let raised = 0;
  for (const failure of failures) {
    const created = await raise(
      db,
      {
        kind: 'config_failure',
        provider: failure.provider,
        severity: 'error',
        title: `${failure.providerName}: refreshes fail on the app's configuration`,
        message:
          `${failure.count} refresh(es) of ${failure.providerName} connections failed with ${failure.errorCode}. ` +
          `This is the app's configuration (client credentials, token URL or encryption keys), not the users': ` +
          `no user was told and no connection changed state. Fix the configuration; the next pass retries them.`,
        metadata: { error_code: failure.errorCode, count: failure.count },
      },
      now,
      settings.operatorEmails,
    );
    if (created) raised += 1;
  }
  return raised;
}

/**
 * Providers whose refreshes failed more than the threshold over the last hour: an outage
 * operators should know about, while users are spared (transient failures never disconnect).
 */
export async function raiseFailureRateAlerts(db: Queryable, now: Date, settings: AlertSettings): Promise<number> {
  const rates = await db.query<{ provider: string; attempts: number; failures: number }>(
    `select provider, count(*)::int as attempts,
            count(*) filter (where outcome in ('transient_failure', 'auth_failure'))::int as failures
     from public.token_refresh_logs
     -- Configuration failures have their own alert and say nothing about the provider's health.
     where created_at > $1::timestamptz - interval '1 hour' and created_at <= $1::timestamptz
       and outcome not in ('skipped', 'config_failure')
     group by provider`,
    [now.toISOString()],
  );
  let raised = 0;
  for (const rate of rates) {
    if (rate.attempts < settings.minAttempts || rate.failures / rate.attempts <= settings.failureRateThreshold) continue;
    const percent = Math.round((rate.failures / rate.attempts) * 100);
    const created = await raise(
      db,
      {
        kind: 'failure_rate',
        provider: rate.provider,
        severity: 'warning',
        title: `${rate.provider}: ${percent}% of refreshes failed in the last hour`,
        message:
          `${rate.failures} of ${rate.attempts} refreshes of ${rate.provider} connections failed in the last hour ` +
          `(threshold ${Math.round(settings.failureRateThreshold * 100)}%). Passing failures are retried and never disconnect ` +
          `anyone; check the provider's status page and token_refresh_logs for the error codes.`,
        metadata: { attempts: rate.attempts, failures: rate.failures },
      },
      now,
      settings.operatorEmails,
    );
    if (created) raised += 1;
  }
  return raised;
}
