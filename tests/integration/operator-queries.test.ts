import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../support/database';
import { insertIntegration, insertUser, testKeyRing } from '../support/fixtures';
import { listTroubleGroups } from '../../lib/db/integrations';
import { listRefreshLogs, providerRecentHealth, REFRESH_TRIGGERS } from '../../lib/db/refresh-logs';

/**
 * The operator console's reads (lib/db/refresh-logs.ts, lib/db/integrations.ts) on a real
 * database: the trigger list matches the table's check constraint; a provider's recent error
 * codes leave out the reasons skips log in error_code; the trouble overview is capped.
 */
describe('operator console queries', () => {
  let t: TestDatabase;
  let integrationId: string;

  beforeAll(async () => {
    t = await createTestDatabase();
    const user = await insertUser(t.db, 'ops-queries@example.com');
    integrationId = await insertIntegration(t.db, testKeyRing(), { userId: user, provider: 'google' });
  });

  afterAll(async () => {
    await t?.drop();
  });

  it('offers every trigger the check constraint allows, and filters on connect and api', async () => {
    const [constraint] = await t.db.query<{ definition: string }>(
      `select pg_get_constraintdef(oid) as definition from pg_constraint where conname = 'token_refresh_logs_trigger_check'`,
    );
    const allowed = [...(constraint?.definition ?? '').matchAll(/'([a-z_]+)'/g)].map((match) => match[1]).sort();
    expect(allowed.length).toBeGreaterThan(0);
    expect([...REFRESH_TRIGGERS].sort()).toEqual(allowed);
    await t.db.query(
      `insert into public.token_refresh_logs (integration_id, provider, trigger, outcome, duration_ms)
       values ($1, 'google', 'connect', 'refreshed', 10), ($1, 'google', 'api', 'refreshed', 11), ($1, 'google', 'cron', 'refreshed', 12)`,
      [integrationId],
    );
    for (const trigger of ['connect', 'api'] as const) {
      const { rows } = await listRefreshLogs(t.db, { trigger }, { limit: 10 });
      expect(rows.map((row) => row.trigger)).toEqual([trigger]);
    }
  });

  it("lists a provider's recent error codes without the skip reasons logged in error_code", async () => {
    await t.db.query(
      `insert into public.token_refresh_logs (integration_id, provider, trigger, outcome, error_code, duration_ms, created_at)
       values ($1, 'google', 'cron', 'skipped', 'refreshed_by_another_worker', 1, now() - interval '1 minute'),
              ($1, 'google', 'cron', 'skipped', 'superseded', 1, now() - interval '2 minutes'),
              ($1, 'google', 'cron', 'transient_failure', 'timeout', 300, now() - interval '3 minutes'),
              ($1, 'google', 'cron', 'auth_failure', 'invalid_grant', 200, now() - interval '4 minutes')`,
      [integrationId],
    );
    const [google] = (await providerRecentHealth(t.db, new Date(Date.now() - 3600_000))).filter((row) => row.provider === 'google');
    expect(google?.errorCodes).toEqual(['timeout', 'invalid_grant']);
  });

  it('caps the trouble overview and says when it was cut', async () => {
    const user = await insertUser(t.db, 'trouble-groups@example.com');
    const ring = testKeyRing();
    for (const provider of ['hubspot', 'slack', 'xero']) {
      const id = await insertIntegration(t.db, ring, { userId: user, provider });
      await t.db.query(`update public.integrations set consecutive_transient_failures = 2 where id = $1`, [id]);
    }
    const cut = await listTroubleGroups(t.db, 2);
    expect(cut.groups).toHaveLength(2);
    expect(cut.more).toBe(true);
    const all = await listTroubleGroups(t.db);
    expect(all.more).toBe(false);
    expect(all.groups.map((group) => group.provider).sort()).toEqual(['hubspot', 'slack', 'xero']);
    expect(all.groups.every((group) => group.transient === 2 && group.n === 1)).toBe(true);
  });
});
