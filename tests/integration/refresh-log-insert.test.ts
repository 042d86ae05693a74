import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { createTestDatabase, type TestDatabase } from '../support/database';
import { insertIntegration, insertUser, testKeyRing } from '../support/fixtures';
import { recordSkip, type LogEntry, type RefreshResultPayload } from '../../lib/refresh/record';

/** token_refresh_logs gets its rows from one place: public.insert_refresh_log. */
const engines = ['postgres', 'pglite'] as const;

const LOG_COLUMNS = `provider, trigger, outcome, error_code, http_status, duration_ms, attempts, metadata, created_at`;

describe.each(engines)('one log-row insert on %s', (engine) => {
  let t: TestDatabase;
  let ids: string[];

  beforeAll(async () => {
    t = await createTestDatabase({ engine });
    const user = await insertUser(t.db, 'logs@example.com');
    const ring = testKeyRing();
    ids = [await insertIntegration(t.db, ring, { userId: user }), await insertIntegration(t.db, ring, { userId: user })];
  });
  afterAll(async () => t?.drop());

  it('no database function but insert_refresh_log inserts into token_refresh_logs', async () => {
    const writers = await t.db.query<{ name: string }>(
      `select p.proname as name from pg_proc p join pg_namespace n on n.oid = p.pronamespace
       where n.nspname = 'public' and p.prosrc ~* 'insert\\s+into\\s+public\\.token_refresh_logs' order by 1`,
    );
    expect(writers.map((w) => w.name)).toEqual(['insert_refresh_log']);
  });

  it('a skip and a recorded result write the same row for the same log', async () => {
    const [skipped, recorded] = ids as [string, string];
    const now = new Date('2026-12-01T10:00:00.000Z');
    const log: LogEntry = {
      provider: 'google', trigger: 'cron', outcome: 'skipped', errorCode: 'refreshed_by_another_worker',
      httpStatus: 400, durationMs: 12.4, attempts: 1, metadata: { why: 'test' },
    };
    const logJson = { provider: 'google', trigger: 'cron', outcome: 'skipped', error_code: 'refreshed_by_another_worker', http_status: 400, duration_ms: 12, attempts: 1, metadata: { why: 'test' } } as const;
    await t.db.query(`update public.integrations set lease_owner = 'run_test', lease_expires_at = now() + interval '1 minute', provider_called_at = now() where id = any($1::uuid[])`, [ids]);
    await recordSkip(t.db, { integrationId: skipped, leaseOwner: 'run_test', now, log });
    const payload: RefreshResultPayload = {
      integration_id: recorded, expected_version: 1, lease_owner: 'run_test', now: now.toISOString(),
      tokens: null, state: null, log: logJson, notifications: [], emails: [], webhooks: [],
    };
    await t.db.query(`select public.record_refresh_result($1::jsonb)`, [JSON.stringify(payload)]);
    const rows = await t.db.query<Record<string, unknown>>(
      `select integration_id, ${LOG_COLUMNS} from public.token_refresh_logs where integration_id = any($1::uuid[])`,
      [ids],
    );
    const bySource = Object.fromEntries(rows.map(({ integration_id, ...row }) => [integration_id as string, row]));
    expect(bySource[skipped]).toEqual(bySource[recorded]);
    expect(bySource[skipped]).toMatchObject({ outcome: 'skipped', error_code: 'refreshed_by_another_worker', http_status: 400, duration_ms: 12, attempts: 1, metadata: { why: 'test' } });
    const [lease] = await t.db.query<{ lease_expires_at: Date | null; provider_called_at: Date | null }>(
      `select lease_expires_at, provider_called_at from public.integrations where id = $1`,
      [skipped],
    );
    expect(lease).toEqual({ lease_expires_at: null, provider_called_at: null });
  });
});

describe('application code', () => {
  it('never inserts a log row itself', () => {
    const root = join(import.meta.dirname, '..', '..');
    const files = (dir: string): string[] =>
      readdirSync(dir).flatMap((name) => (statSync(join(dir, name)).isDirectory() ? files(join(dir, name)) : [join(dir, name)]));
    const offenders = [...files(join(root, 'lib')), ...files(join(root, 'app'))]
      .filter((path) => /\.(ts|tsx)$/.test(path) && /insert\s+into\s+public\.token_refresh_logs/i.test(readFileSync(path, 'utf8')))
      .map((path) => relative(root, path));
    expect(offenders).toEqual([]);
  });
});
