import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../../lib/cli/run';
import type { Db } from '../../lib/db/client';
import { runCleanup } from '../../lib/notify/cleanup';
import { createTestDatabase, postgresAnswers, type TestDatabase } from '../support/database';
import { insertIntegration, insertOrganization, insertUser, testKeyRing } from '../support/fixtures';

/**
 * The retention job (docs/contracts.md §3 cleanup route, §1 `cleanup`): refresh logs older than 30
 * days go; delivered (and deliberately skipped) outbox rows older than 30 days go; failed,
 * dead-lettered and pending rows stay whatever their age.
 */

const DAY = 86_400_000;
const hasPostgres = await postgresAnswers();
const keyRing = testKeyRing();

/** A database with one integration (for refresh logs) and one webhook endpoint (for deliveries). */
interface Fixture {
  db: Db;
  integrationId: string;
  endpointId: string;
}

async function fixture(db: Db): Promise<Fixture> {
  const userId = await insertUser(db, `cleanup-${randomUUID()}@example.com`);
  const organizationId = await insertOrganization(db, 'Cleanup Co', [{ userId, role: 'owner' }]);
  const integrationId = await insertIntegration(db, keyRing, { userId, organizationId });
  const [endpoint] = await db.query<{ id: string }>(
    `insert into public.webhook_endpoints (organization_id, url, secret_encrypted, secret_key_id, events)
     values ($1, 'https://hooks.example.com/tokenwarden', 'sealed-secret', $2, array['integration.disconnected'])
     returning id`,
    [organizationId, keyRing.activeKeyId],
  );
  return { db, integrationId, endpointId: endpoint!.id };
}

let t: TestDatabase;
let f: Fixture;

beforeAll(async () => {
  t = await createTestDatabase();
  f = await fixture(t.db);
});
afterAll(async () => {
  await t?.drop();
});

interface Seeded {
  /** Ids that must be gone after a cleanup at `now`, by table. */
  gone: { logs: string[]; emails: string[]; webhooks: string[] };
  /** Ids that must still be there. */
  kept: { logs: string[]; emails: string[]; webhooks: string[] };
}

/** One row of every kind the retention rules tell apart, aged relative to `now`. */
async function seed({ db, integrationId, endpointId }: Fixture, now: Date): Promise<Seeded> {
  const ago = (days: number) => new Date(now.getTime() - days * DAY).toISOString();

  const log = async (days: number) => {
    const [row] = await db.query<{ id: string }>(
      `insert into public.token_refresh_logs (integration_id, provider, trigger, outcome, duration_ms, attempts, created_at)
       values ($1, 'google', 'cron', 'refreshed', 120, 1, $2) returning id`,
      [integrationId, ago(days)],
    );
    return row!.id;
  };
  const email = async (status: string, createdDaysAgo: number, sentDaysAgo: number | null = null) => {
    const [row] = await db.query<{ id: string }>(
      `insert into public.email_outbox (to_email, template, status, idempotency_key, attempts, sent_at, created_at, next_attempt_at)
       values ('person@example.com', 'integration_disconnected', $1, $2, 1, $3, $4, $4) returning id`,
      [status, randomUUID(), sentDaysAgo === null ? null : ago(sentDaysAgo), ago(createdDaysAgo)],
    );
    return row!.id;
  };
  const delivery = async (status: string, createdDaysAgo: number, sentDaysAgo: number | null = null) => {
    const [row] = await db.query<{ id: string }>(
      `insert into public.webhook_deliveries (endpoint_id, event_id, event_type, payload, status, attempts, sent_at, created_at, next_attempt_at)
       values ($1, $2, 'integration.disconnected', '{}'::jsonb, $3, 1, $4, $5, $5) returning id`,
      [endpointId, `msg_${randomBytes(8).toString('hex')}`, status, sentDaysAgo === null ? null : ago(sentDaysAgo), ago(createdDaysAgo)],
    );
    return row!.id;
  };

  return {
    gone: {
      logs: [await log(31)],
      emails: [await email('sent', 31, 31), await email('skipped', 31)],
      webhooks: [await delivery('sent', 31, 31)],
    },
    kept: {
      logs: [await log(29)],
      emails: [
        await email('sent', 29, 29),
        // Created long ago but only sent recently: kept until 30 days after sending.
        await email('sent', 40, 29),
        await email('skipped', 29),
        await email('failed', 90),
        await email('pending', 90),
      ],
      webhooks: [await delivery('sent', 29, 29), await delivery('dead', 90), await delivery('pending', 90)],
    },
  };
}

async function present(db: Db, table: string, ids: string[]): Promise<string[]> {
  const rows = await db.query<{ id: string }>(
    `select id::text as id from public.${table} where id in (select value::uuid from jsonb_array_elements_text($1::jsonb))`,
    [JSON.stringify(ids)],
  );
  return rows.map((r) => r.id).sort();
}

async function expectRetention(db: Db, seeded: Seeded): Promise<void> {
  expect(await present(db, 'token_refresh_logs', seeded.gone.logs)).toEqual([]);
  expect(await present(db, 'email_outbox', seeded.gone.emails)).toEqual([]);
  expect(await present(db, 'webhook_deliveries', seeded.gone.webhooks)).toEqual([]);
  expect(await present(db, 'token_refresh_logs', seeded.kept.logs)).toEqual([...seeded.kept.logs].sort());
  expect(await present(db, 'email_outbox', seeded.kept.emails)).toEqual([...seeded.kept.emails].sort());
  expect(await present(db, 'webhook_deliveries', seeded.kept.webhooks)).toEqual([...seeded.kept.webhooks].sort());
}

describe('the retention job', () => {
  it('deletes what is older than 30 days and delivered, keeps the rest, and counts what it deleted', async () => {
    const now = new Date('2027-03-01T03:00:00.000Z');
    const seeded = await seed(f, now);

    const summary = await runCleanup(t.db, { now });

    expect(summary).toEqual({
      ok: true,
      startedAt: now.toISOString(),
      durationMs: expect.any(Number),
      retentionDays: 30,
      refreshLogsDeleted: 1,
      emailsDeleted: 2,
      webhookDeliveriesDeleted: 1,
      connectSessionsDeleted: 0,
    });
    await expectRetention(t.db, seeded);

    // Nothing left to remove at the same moment.
    const again = await runCleanup(t.db, { now });
    expect(again).toMatchObject({ refreshLogsDeleted: 0, emailsDeleted: 0, webhookDeliveriesDeleted: 0 });
  });

  it('drains a backlog larger than one batch', async () => {
    const now = new Date('2027-06-01T03:00:00.000Z');
    const old = new Date(now.getTime() - 45 * DAY).toISOString();
    await t.db.query(
      `insert into public.token_refresh_logs (integration_id, provider, trigger, outcome, duration_ms, attempts, created_at)
       select $1, 'google', 'cron', 'refreshed', 100, 1, $2::timestamptz from generate_series(1, 7)`,
      [f.integrationId, old],
    );
    const [before] = await t.db.query<{ n: number }>(
      `select count(*)::int as n from public.token_refresh_logs where created_at < $1::timestamptz - interval '30 days'`,
      [now.toISOString()],
    );

    const summary = await runCleanup(t.db, { now, batchSize: 3 });

    // The 7 new ones plus whatever earlier cases left that is old by this clock.
    expect(summary.refreshLogsDeleted).toBe(before!.n);
    expect(summary.refreshLogsDeleted).toBeGreaterThanOrEqual(7);
    const [after] = await t.db.query<{ n: number }>(
      `select count(*)::int as n from public.token_refresh_logs where created_at < $1::timestamptz - interval '30 days'`,
      [now.toISOString()],
    );
    expect(after!.n).toBe(0);
  });

  // The CLI needs a connection string: PostgreSQL only.
  it.skipIf(!hasPostgres)('`tokenwarden cleanup --json` runs the same job on DATABASE_URL and prints one JSON document with the counts', async () => {
    // Its own database, seeded relative to the real clock: the CLI cleans up as of now.
    const own = await createTestDatabase({ engine: 'postgres' });
    const dir = mkdtempSync(join(tmpdir(), 'tw-cleanup-cli-'));
    try {
      const seeded = await seed(await fixture(own.db), new Date());
      let stdout = '';
      let stderr = '';
      const code = await runCli(['cleanup', '--json'], {
        stdout: (text) => (stdout += text),
        stderr: (text) => (stderr += text),
        env: {
          DATABASE_URL: own.url!,
          TOKEN_ENCRYPTION_KEYS: `cli:${randomBytes(32).toString('base64')}`,
          NODE_ENV: 'test',
          TOKENWARDEN_DATA_DIR: join(dir, 'data'),
        },
      });

      expect(code, stderr).toBe(0);
      expect(stdout.endsWith('\n')).toBe(true);
      expect(stdout.trimEnd().split('\n')).toHaveLength(1);
      expect(JSON.parse(stdout)).toEqual({
        ok: true,
        startedAt: expect.any(String),
        durationMs: expect.any(Number),
        retentionDays: 30,
        refreshLogsDeleted: 1,
        emailsDeleted: 2,
        webhookDeliveriesDeleted: 1,
        connectSessionsDeleted: 0,
      });
      await expectRetention(own.db, seeded);
    } finally {
      await own.drop();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
