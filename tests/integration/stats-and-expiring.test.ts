import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../support/database';
import { insertIntegration, insertOrganization, insertUser, testKeyRing } from '../support/fixtures';
import { refreshStats } from '../../lib/refresh/stats';
import { expiringTokens } from '../../lib/notify/expiring-tokens';
import { severityFor } from '../../lib/owed/expiry';
import { loadProviderRegistry } from '../../lib/providers/registry';
import { runCli } from '../../lib/cli/run';

const HOUR = 3_600_000;

describe('refresh statistics', () => {
  let t: TestDatabase;
  beforeAll(async () => {
    t = await createTestDatabase();
    const user = await insertUser(t.db, 'stats@example.com');
    const ring = testKeyRing();
    const google = await insertIntegration(t.db, ring, { userId: user, provider: 'google' });
    const slack = await insertIntegration(t.db, ring, { userId: user, provider: 'slack' });
    const log = (id: string, provider: string, outcome: string, ms: number, hoursAgo: number) =>
      t.db.query(
        `insert into public.token_refresh_logs (integration_id, provider, trigger, outcome, duration_ms, attempts, created_at)
         values ($1, $2, 'cron', $3, $4, 1, now() - make_interval(secs => $5::int))`,
        [id, provider, outcome, ms, Math.round(hoursAgo * 3600)],
      );
    for (let i = 0; i < 8; i += 1) await log(google, 'google', 'refreshed', 100 + i * 10, 1);
    await log(google, 'google', 'transient_failure', 900, 2);
    await log(google, 'google', 'auth_failure', 300, 2);
    await log(google, 'google', 'skipped', 1, 2);
    await log(slack, 'slack', 'config_failure', 5, 3);
    await log(slack, 'slack', 'refreshed', 50, 30); // outside a 24-hour window
  });
  afterAll(async () => t?.drop());

  it('reports counts, success rate and durations per provider over the window', async () => {
    const stats = await refreshStats(t.db, { hours: 24, now: new Date() });
    const google = stats.providers.find((p) => p.provider === 'google')!;
    expect(google).toMatchObject({ total: 11, refreshed: 8, skipped: 1, transientFailures: 1, authFailures: 1, configFailures: 0, successRate: 0.8 });
    expect(google.durationMs.max).toBe(900);
    expect(google.durationMs.p50).toBeGreaterThan(100);
    const slack = stats.providers.find((p) => p.provider === 'slack')!;
    expect(slack).toMatchObject({ total: 1, refreshed: 0, configFailures: 1, successRate: 0 });
    expect(stats.total).toMatchObject({ total: 12, refreshed: 8 });
    const wider = await refreshStats(t.db, { hours: 48, now: new Date() });
    expect(wider.providers.find((p) => p.provider === 'slack')!.total).toBe(2);
  });

  it('takes durations (avg, p50, p95, max) over attempts only: a skip made no provider call', async () => {
    const user = await insertUser(t.db, 'stats-skips@example.com');
    const hubspot = await insertIntegration(t.db, testKeyRing(), { userId: user, provider: 'hubspot' });
    await t.db.query(
      `insert into public.token_refresh_logs (integration_id, provider, trigger, outcome, duration_ms, attempts, created_at)
       select $1, 'hubspot', 'cron', o, d, 1, now() - interval '1 hour'
       from (values ('refreshed', 400), ('refreshed', 600), ('skipped', 1), ('skipped', 1), ('skipped', 1), ('skipped', 2)) v(o, d)`,
      [hubspot],
    );
    try {
      const stats = await refreshStats(t.db, { hours: 24, now: new Date() });
      const row = stats.providers.find((p) => p.provider === 'hubspot')!;
      expect(row).toMatchObject({ total: 6, skipped: 4, successRate: 1 });
      expect(row.durationMs).toEqual({ avg: 500, p50: 500, p95: 590, max: 600 });
    } finally {
      // The other tests count this database's rows.
      await t.db.query(`delete from public.token_refresh_logs where integration_id = $1`, [hubspot]);
    }
  });

  it('answers `stats --json` from the CLI with one document, and refuses a bad --hours', async () => {
    const out: string[] = [];
    const env = { DATABASE_URL: t.url ?? undefined, NODE_ENV: 'test' };
    const io = { stdout: (s: string) => out.push(s), stderr: () => undefined, env };
    expect(await runCli(['stats', '--hours', '24', '--json'], io)).toBe(0);
    expect(out).toHaveLength(1);
    expect(JSON.parse(out[0]!)).toMatchObject({ ok: true, hours: 24, total: { total: 12 } });
    out.length = 0;
    expect(await runCli(['stats', '--hours', 'lots', '--json'], io)).toBe(2);
    expect(JSON.parse(out[0]!)).toMatchObject({ ok: false, error: { code: 'usage' } });
  });
});

describe('expiring tokens of an organization', () => {
  let t: TestDatabase;
  let org: string;
  const now = new Date();
  beforeAll(async () => {
    t = await createTestDatabase();
    const user = await insertUser(t.db, 'expiring@example.com');
    org = await insertOrganization(t.db, 'Expiring Co', [{ userId: user, role: 'owner' }]);
    const ring = testKeyRing();
    const add = async (provider: string, refreshToken: string | null, expiresInHours: number, refreshEndsInHours?: number) => {
      const id = await insertIntegration(t.db, ring, {
        userId: user,
        provider,
        organizationId: org,
        refreshToken,
        expiresAt: new Date(now.getTime() + expiresInHours * HOUR),
      });
      if (refreshEndsInHours !== undefined) {
        await t.db.query(`update public.integrations set refresh_token_expires_at = $2 where id = $1`, [
          id,
          new Date(now.getTime() + refreshEndsInHours * HOUR).toISOString(),
        ]);
      }
      return id;
    };
    await add('facebook', null, 10); // long-lived, ends in 10 h: critical
    await add('xero', 'rt', 0.5, 48); // refresh token ends in 2 days: urgent
    await add('linkedin', null, 5 * 24); // no refresh token, 5 days: warning
    await add('google', 'rt', 0.5); // refreshed by the cron: not expiring
    await add('facebook', null, 20 * 24); // beyond the window
  });
  afterAll(async () => t?.drop());

  it('lists what stops working within the window, soonest first, with severities and counts', async () => {
    const body = await expiringTokens(t.db, {
      organizationId: org,
      days: 7,
      now,
      providers: loadProviderRegistry({ env: {} }),
      appUrl: 'https://app.example.com',
    });
    expect(body.expiring_tokens.map((x) => [x.platform, x.severity, x.has_refresh_token])).toEqual([
      ['facebook', 'critical', false],
      ['xero', 'urgent', true],
      ['linkedin', 'warning', false],
    ]);
    expect(body).toMatchObject({ total_count: 3, critical_count: 1, urgent_count: 1, warning_count: 1 });
    const [first] = body.expiring_tokens;
    expect(first).toMatchObject({ platform_name: 'Facebook', hours_until_expiry: 10, days_until_expiry: 0, expires_at_human: 'in 10 hours' });
    expect(first!.reconnect_url).toBe(`https://app.example.com/integrations/${first!.integration_id}/reconnect`);
  });

  it('grades severity at one and three days', () => {
    expect(severityFor(23.9)).toBe('critical');
    expect(severityFor(24)).toBe('urgent');
    expect(severityFor(71.9)).toBe('urgent');
    expect(severityFor(72)).toBe('warning');
  });
});
