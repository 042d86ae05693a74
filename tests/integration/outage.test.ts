import { randomBytes, randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { operatorAlerting, type AlertSettings } from '../../lib/notify/operator-alerts';
import type { PassSummary } from '../../lib/refresh/run-pass';
import { responses, startFaultProvider, type FaultProvider } from '../support/fault-provider';
import { insertUser } from '../support/fixtures';
import { createRefreshHarness, type RefreshHarness } from '../support/refresh-harness';

/**
 * A provider's bad hour (docs/contracts.md §5): transient failures never disconnect anyone, users
 * hear once per streak (in-app, at the 5th pass), and the operators — not the users — get
 * one alert per provider per day. Configuration failures likewise reach only operators.
 */

const ALERTS: AlertSettings = { operatorEmails: ['ops@example.com'], failureRateThreshold: 0.1, minAttempts: 20 };
const MINUTE = 60_000;
const PASS = { concurrency: 50, providerConcurrency: 50, verbose: false };

/** 09:00 UTC tomorrow: a whole simulated hour inside one UTC day, after every seeded expiry. */
function morning(daysAhead = 1): Date {
  const day = new Date();
  day.setUTCHours(9, 0, 0, 0);
  return new Date(day.getTime() + daysAhead * 86_400_000);
}

async function operatorAlerts(h: RefreshHarness) {
  return h.t.db.query<{ kind: string; provider: string; dedupe_key: string; created_at: Date }>(
    `select kind, provider, dedupe_key, created_at from public.operator_alerts order by created_at`,
  );
}

async function emails(h: RefreshHarness) {
  return h.t.db.query<{ to_email: string; template: string; status: string; operator_alert_id: string | null; user_id: string | null }>(
    `select to_email, template, status, operator_alert_id, user_id from public.email_outbox order by created_at`,
  );
}

describe('a provider outage of an hour', () => {
  const COUNT = 200;
  let fault: FaultProvider;
  let h: RefreshHarness;
  const ids: string[] = [];
  const summaries: PassSummary[] = [];
  const t0 = morning();

  beforeAll(async () => {
    fault = await startFaultProvider();
    // The load balancer's HTML 503 page, for every request, for the whole hour.
    fault.setFallback(responses.serviceUnavailable());
    h = await createRefreshHarness([
      { id: 'outage', name: 'Outage Co', tokenUrl: fault.tokenUrl, clientId: 'outage-client-id', clientSecret: `secret-${randomBytes(8).toString('hex')}` },
    ]);
    const users: string[] = [];
    for (let i = 0; i < 10; i += 1) users.push(await insertUser(h.t.db, `outage-${i}-${randomUUID()}@example.com`));
    for (let i = 0; i < COUNT; i += 1) {
      const refreshToken = `rt-outage-${i}-${randomBytes(8).toString('hex')}`;
      fault.rotating.seed(refreshToken); // valid again once the provider recovers
      ids.push(await h.seed({ provider: 'outage', refreshToken, userId: users[i % users.length] }));
    }
  });

  afterAll(async () => {
    await h?.close();
    await fault?.close();
  });

  it('keeps every connection through 12 failing passes, tells each once in-app and the operators once', async () => {
    for (let pass = 1; pass <= 12; pass += 1) {
      const t = new Date(t0.getTime() + (pass - 1) * 5 * MINUTE);
      const summary = await h.pass(PASS, { now: () => t, alerts: operatorAlerting(h.t.db, ALERTS), maxAttempts: 1 });
      summaries.push(summary);
      expect(summary).toMatchObject({
        claimed: COUNT,
        refreshed: 0,
        transientFailures: COUNT,
        authFailures: 0,
        configFailures: 0,
        disconnected: 0,
        notificationsCreated: pass === 5 ? COUNT : 0,
        emailsQueued: 0,
        remainingDue: 0,
      });
    }
    // The rate crossed the threshold on the first pass; one alert for the day, not one per pass.
    expect(summaries.map((s) => s.operatorAlerts)).toEqual([1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]);

    const rows = await h.t.db.query<{ status: string; consecutive_failures: number; consecutive_transient_failures: number; last_error_code: string }>(
      `select status, consecutive_failures, consecutive_transient_failures, last_error_code from public.integrations where provider = 'outage'`,
    );
    expect(rows).toHaveLength(COUNT);
    for (const row of rows) {
      expect(row).toEqual({ status: 'connected', consecutive_failures: 0, consecutive_transient_failures: 12, last_error_code: 'http_503' });
    }

    // Users: exactly one in-app rate-limit notice per connection, written by the 5th pass.
    const notices = await h.t.db.query<{ integration_id: string; type: string; count: number; created_at: Date }>(
      `select integration_id, type, count(*)::int as count, min(created_at) as created_at
       from public.notifications group by integration_id, type`,
    );
    expect(notices).toHaveLength(COUNT);
    expect(new Set(notices.map((n) => n.integration_id))).toEqual(new Set(ids));
    for (const notice of notices) {
      expect(notice).toMatchObject({ type: 'integration_rate_limit', count: 1 });
      expect(notice.created_at.getTime()).toBe(t0.getTime() + 4 * 5 * MINUTE);
    }

    // No email for any user; one alert and one email for the operators.
    const outbox = await emails(h);
    expect(outbox.filter((e) => e.template !== 'operator_alert')).toEqual([]);
    const alerts = await operatorAlerts(h);
    expect(alerts).toHaveLength(1);
    expect(alerts[0]).toMatchObject({ kind: 'failure_rate', provider: 'outage' });
    expect(outbox).toHaveLength(1);
    expect(outbox[0]).toMatchObject({ to_email: 'ops@example.com', template: 'operator_alert', status: 'pending', user_id: null });
    expect(outbox[0]!.operator_alert_id).not.toBeNull();

    // The operators' query of docs/contracts.md §4 sees the whole streak.
    const failing = await h.t.db.query(
      `SELECT provider, status, consecutive_failures, consecutive_transient_failures,
              last_failure_at, disconnect_reason
       FROM integrations
       WHERE consecutive_failures > 0 OR consecutive_transient_failures > 0
       ORDER BY last_failure_at DESC`,
    );
    expect(failing).toHaveLength(COUNT);
  });

  it('refreshes all of them when the provider recovers and resets the counters', async () => {
    expect(summaries).toHaveLength(12);
    fault.setFallback('rotating');
    const t = new Date(t0.getTime() + 60 * MINUTE);
    const summary = await h.pass(PASS, { now: () => t, alerts: operatorAlerting(h.t.db, ALERTS), maxAttempts: 1 });
    expect(summary).toMatchObject({
      claimed: COUNT,
      refreshed: COUNT,
      transientFailures: 0,
      disconnected: 0,
      notificationsCreated: 0,
      emailsQueued: 0,
      operatorAlerts: 0,
    });
    expect(fault.rotating.issuedCount()).toBe(COUNT);

    const rows = await h.t.db.query<{ status: string; consecutive_failures: number; consecutive_transient_failures: number; last_error_code: string | null; token_version: number; last_refreshed_at: Date }>(
      `select status, consecutive_failures, consecutive_transient_failures, last_error_code, token_version, last_refreshed_at
       from public.integrations where provider = 'outage'`,
    );
    for (const row of rows) {
      expect(row).toMatchObject({ status: 'connected', consecutive_failures: 0, consecutive_transient_failures: 0, last_error_code: null });
      expect(row.last_refreshed_at.getTime()).toBe(t.getTime());
    }
    expect(await operatorAlerts(h)).toHaveLength(1);
    expect((await emails(h)).filter((e) => e.template !== 'operator_alert')).toEqual([]);
    const [{ count }] = (await h.t.db.query<{ count: number }>(`select count(*)::int as count from public.notifications`)) as [{ count: number }];
    expect(count).toBe(COUNT);
  });
});

describe('configuration failures', () => {
  let fault: FaultProvider;
  let h: RefreshHarness;
  const ids: string[] = [];

  beforeAll(async () => {
    fault = await startFaultProvider();
    // The provider refuses the app's own client credentials.
    fault.setFallback(responses.invalidClient());
    h = await createRefreshHarness([
      { id: 'misconfigured', name: 'Misconfigured Co', tokenUrl: fault.tokenUrl, clientId: 'wrong-client-id', clientSecret: 'expired-secret' },
    ]);
    for (let i = 0; i < 3; i += 1) {
      const userId = await insertUser(h.t.db, `config-${i}-${randomUUID()}@example.com`);
      ids.push(await h.seed({ provider: 'misconfigured', userId }));
    }
  });

  afterAll(async () => {
    await h?.close();
    await fault?.close();
  });

  it('alerts the operators once per provider per day and nobody of the users', async () => {
    const before = await h.t.db.query<{ token_version: number }>(`select token_version from public.integrations order by id`);
    const day1 = morning();
    const alertsPerPass: number[] = [];
    for (const minutes of [0, 10, 20]) {
      const t = new Date(day1.getTime() + minutes * MINUTE);
      const summary = await h.pass(PASS, { now: () => t, alerts: operatorAlerting(h.t.db, ALERTS) });
      expect(summary).toMatchObject({ claimed: 3, configFailures: 3, authFailures: 0, transientFailures: 0, notificationsCreated: 0, emailsQueued: 0 });
      alertsPerPass.push(summary.operatorAlerts);
    }
    expect(alertsPerPass).toEqual([1, 0, 0]);

    let alerts = await operatorAlerts(h);
    expect(alerts).toHaveLength(1);
    expect(alerts[0]).toMatchObject({ kind: 'config_failure', provider: 'misconfigured', dedupe_key: `config_failure/misconfigured/${day1.toISOString().slice(0, 10)}` });
    let outbox = await emails(h);
    expect(outbox.map((e) => [e.to_email, e.template])).toEqual([['ops@example.com', 'operator_alert']]);

    // Users: no message, no state change.
    expect(await h.t.db.query(`select 1 from public.notifications`)).toHaveLength(0);
    const rows = await h.t.db.query<{ status: string; consecutive_failures: number; consecutive_transient_failures: number; token_version: number }>(
      `select status, consecutive_failures, consecutive_transient_failures, token_version from public.integrations order by id`,
    );
    expect(rows).toEqual(before.map((b) => ({ status: 'connected', consecutive_failures: 0, consecutive_transient_failures: 0, token_version: b.token_version })));
    const logged = await h.t.db.query<{ outcome: string; count: number }>(
      `select outcome, count(*)::int as count from public.token_refresh_logs group by outcome`,
    );
    expect(logged).toEqual([{ outcome: 'config_failure', count: 9 }]);

    // The next UTC day it is a new alert.
    const day2 = new Date(day1.getTime() + 86_400_000);
    const summary = await h.pass(PASS, { now: () => day2, alerts: operatorAlerting(h.t.db, ALERTS) });
    expect(summary).toMatchObject({ configFailures: 3, operatorAlerts: 1 });
    alerts = await operatorAlerts(h);
    expect(alerts.map((a) => [a.kind, a.dedupe_key])).toEqual([
      ['config_failure', `config_failure/misconfigured/${day1.toISOString().slice(0, 10)}`],
      ['config_failure', `config_failure/misconfigured/${day2.toISOString().slice(0, 10)}`],
    ]);
    outbox = await emails(h);
    expect(outbox.map((e) => [e.to_email, e.template])).toEqual([
      ['ops@example.com', 'operator_alert'],
      ['ops@example.com', 'operator_alert'],
    ]);
    expect(await h.t.db.query(`select 1 from public.notifications`)).toHaveLength(0);
    expect(ids).toHaveLength(3);
  });
});
