import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createTestDatabase, type TestDatabase } from '../support/database';
import { insertIntegration, insertOrganization, insertUser, testKeyRing } from '../support/fixtures';
import { migrate, MIGRATIONS_DIR } from '../../lib/db/migrate';
import { listRefreshLogs, type RefreshLogCursor } from '../../lib/db/refresh-logs';

/**
 * token_refresh_logs.organization_id (migration 20261203090000_dashboard_scale.sql): set by a
 * BEFORE INSERT trigger from the integration, backfilled for rows written before it, and what
 * the operator console's organization filter reads (lib/db/refresh-logs.ts listRefreshLogs),
 * through its index; the outcome filter through its own.
 */
const MIGRATION = '20261203090000_dashboard_scale.sql';

describe('refresh logs by organization and outcome', () => {
  let t: TestDatabase;
  let org: string;
  let otherOrg: string;
  let orgIntegration: string;
  let personal: string;

  beforeAll(async () => {
    t = await createTestDatabase();
    const ring = testKeyRing();
    const owner = await insertUser(t.db, 'owner@example.com');
    org = await insertOrganization(t.db, 'Acme', [{ userId: owner, role: 'owner' }]);
    otherOrg = await insertOrganization(t.db, 'Other', [{ userId: owner, role: 'owner' }]);
    orgIntegration = await insertIntegration(t.db, ring, { userId: owner, organizationId: org, provider: 'google' });
    const otherIntegration = await insertIntegration(t.db, ring, { userId: owner, organizationId: otherOrg, provider: 'slack' });
    personal = await insertIntegration(t.db, ring, { userId: owner, provider: 'xero' });
    // 3,000 rows, 17 microseconds apart (many within one millisecond), a tenth of them config
    // failures; one in twenty (all config failures) is the other organization's.
    await t.db.query(
      `insert into public.token_refresh_logs (integration_id, provider, trigger, outcome, attempts, created_at)
       select case when g % 20 = 0 then $2::uuid else (array[$1, $3]::uuid[])[1 + g % 2] end, 'google', 'cron',
              case when g % 10 = 0 then 'config_failure' else 'refreshed' end, 1,
              timestamptz '2026-12-01 00:00:00+00' + make_interval(secs => g * 0.000017)
       from generate_series(1, 3000) g`,
      [orgIntegration, otherIntegration, personal],
    );
    await t.db.query(`analyze public.token_refresh_logs`);
  });
  afterAll(async () => t?.drop());

  it("fills organization_id from the integration on every insert: insert_refresh_log's and a direct one", async () => {
    await t.db.query(`select public.insert_refresh_log($1, now(), $2::jsonb)`, [
      orgIntegration,
      JSON.stringify({ provider: 'google', trigger: 'manual', outcome: 'refreshed', error_code: null, http_status: 200, duration_ms: 5, attempts: 1, metadata: {} }),
    ]);
    // A writer that names another organization cannot make the row lie about it.
    await t.db.query(
      `insert into public.token_refresh_logs (integration_id, provider, trigger, outcome, attempts, organization_id) values ($1, 'xero', 'cron', 'skipped', 1, $2)`,
      [personal, otherOrg],
    );
    const rows = await t.db.query<{ integration_id: string; organization_id: string | null }>(
      `select integration_id, organization_id from public.token_refresh_logs where trigger = 'manual' or outcome = 'skipped'`,
    );
    expect(rows).toEqual(
      expect.arrayContaining([
        { integration_id: orgIntegration, organization_id: org },
        { integration_id: personal, organization_id: null },
      ]),
    );
    expect(rows).toHaveLength(2);
    const [mismatch] = await t.db.query<{ n: number }>(
      `select count(*)::int as n from public.token_refresh_logs l join public.integrations i on i.id = l.integration_id
       where l.organization_id is distinct from i.organization_id`,
    );
    expect(mismatch!.n).toBe(0);
  });

  it('pages one organization, newest first, every row exactly once even within a millisecond', async () => {
    const seen: string[] = [];
    let before: RefreshLogCursor | null = null;
    for (let guard = 0; guard < 100; guard += 1) {
      const page = await listRefreshLogs(t.db, { organizationId: org }, { limit: 37, before });
      for (const row of page.rows) expect(row.organization_id).toBe(org);
      seen.push(...page.rows.map((row) => row.id));
      if (!page.next) break;
      before = page.next;
    }
    const expected = await t.db.query<{ id: string }>(
      `select id from public.token_refresh_logs where organization_id = $1 order by created_at desc, id desc`,
      [org],
    );
    expect(seen).toEqual(expected.map((row) => row.id));
    expect(new Set(seen).size).toBe(seen.length);
  });

  it('filters by outcome and by outcome with organization', async () => {
    const failures = await listRefreshLogs(t.db, { outcome: 'config_failure' }, { limit: 200 });
    expect(failures.rows).toHaveLength(200);
    expect(failures.rows.every((row) => row.outcome === 'config_failure')).toBe(true);
    const both = await listRefreshLogs(t.db, { outcome: 'config_failure', organizationId: otherOrg }, { limit: 200 });
    expect(both.rows.length).toBe(150);
    expect(both.rows.every((row) => row.outcome === 'config_failure' && row.organization_id === otherOrg)).toBe(true);
    expect(both.next).toBeNull();
  });

  it('reads an organization page through token_refresh_logs_organization_idx and an outcome page through token_refresh_logs_outcome_idx', async () => {
    const plan = async (where: string, params: unknown[]) => {
      const [row] = await t.db.query<{ 'QUERY PLAN': { Plan: Record<string, unknown> }[] }>(
        `explain (format json) select * from public.token_refresh_logs l where ${where} order by l.created_at desc, l.id desc limit 51`,
        params,
      );
      return JSON.stringify(row!['QUERY PLAN'][0]!.Plan);
    };
    // An organization with 5 % of the rows: a walk of created_at would filter out the other 95 %.
    const byOrganization = await plan(`l.organization_id = $1::uuid`, [otherOrg]);
    const byOutcome = await plan(`l.outcome = $1`, ['config_failure']);
    expect(byOrganization).toContain('"Index Name":"token_refresh_logs_organization_idx"');
    expect(byOrganization).not.toContain('"Node Type":"Sort"');
    expect(byOutcome).toContain('"Index Name":"token_refresh_logs_outcome_idx"');
    expect(byOutcome).not.toContain('"Node Type":"Sort"');
  });
});

describe('refresh logs organization backfill', () => {
  let t: TestDatabase;
  afterAll(async () => t?.drop());

  it('sets organization_id on the rows written before the migration', async () => {
    t = await createTestDatabase({ migrated: false });
    const before = mkdtempSync(join(tmpdir(), 'tw-migrations-before-scale-'));
    const files = readdirSync(MIGRATIONS_DIR).filter((file) => file.endsWith('.sql'));
    expect(files).toContain(MIGRATION);
    for (const file of files.filter((name) => name < MIGRATION)) writeFileSync(join(before, file), readFileSync(join(MIGRATIONS_DIR, file)));
    await migrate(t.db, { dir: before });
    const ring = testKeyRing();
    const owner = await insertUser(t.db, 'backfill@example.com');
    const org = await insertOrganization(t.db, 'Acme', [{ userId: owner, role: 'owner' }]);
    const inOrg = await insertIntegration(t.db, ring, { userId: owner, organizationId: org });
    const own = await insertIntegration(t.db, ring, { userId: owner });
    await t.db.query(
      `insert into public.token_refresh_logs (integration_id, provider, trigger, outcome, attempts) values ($1, 'google', 'cron', 'refreshed', 1), ($2, 'google', 'cron', 'refreshed', 1)`,
      [inOrg, own],
    );
    await migrate(t.db);
    const rows = await t.db.query<{ integration_id: string; organization_id: string | null }>(
      `select integration_id, organization_id from public.token_refresh_logs order by organization_id nulls last`,
    );
    expect(rows).toEqual([
      { integration_id: inOrg, organization_id: org },
      { integration_id: own, organization_id: null },
    ]);
  });
});
