import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createPostgresDb } from '../../lib/db/postgres-client';
import type { Db } from '../../lib/db/client';
import { DELIVERY_LEASE_SECONDS, DeliverPassInterruptedError, runDeliverPass, type DeliverDeps } from '../../lib/notify/deliver';
import { createResendMailer } from '../../lib/notify/mailer';
import { RETRY_SCHEDULES } from '../../lib/notify/retry-schedule';
import { createTestDatabase, postgresAnswers, type TestDatabase } from '../support/database';
import { testKeyRing } from '../support/fixtures';
import { organizationWithEndpoint, oweEmail, oweWebhook, type OrganizationWithEndpoint } from '../support/outbox';
import { resendErrors, startResendCapture, type ResendCapture } from '../support/resend-capture';
import { startTcpProxy, type TcpProxy } from '../support/tcp-proxy';
import { startWebhookReceiver, type WebhookReceiver } from '../support/webhook-receiver';

/**
 * Messages survive long outages: the deliver job driven as its every-minute cron on an
 * injected clock across hours of a Resend outage or a receiver that is down overnight, with
 * the real `resend` SDK against the local capture server, real HTTP to a local receiver and
 * a real PostgreSQL (reached through a TCP proxy where the database itself fails).
 */

const hasPostgres = await postgresAnswers();
const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const T0 = new Date('2026-11-25T12:00:00.000Z');
const at = (ms: number) => new Date(T0.getTime() + ms);

let t: TestDatabase;
let capture: ResendCapture;
let receiver: WebhookReceiver;
const keyRing = testKeyRing();

beforeAll(async () => {
  t = await createTestDatabase();
  capture = await startResendCapture();
  receiver = await startWebhookReceiver();
});

afterAll(async () => {
  await receiver?.close();
  await capture?.close();
  await t?.drop();
});

beforeEach(async () => {
  await t.db.exec(`delete from public.email_outbox; delete from public.webhook_deliveries; delete from public.webhook_endpoint_leases;`);
  capture.reset();
});

/** Reproducible jitter (mulberry32). */
function seeded(seed: number): () => number {
  let state = seed;
  return () => {
    state = (state + 0x6d2b79f5) | 0;
    let x = Math.imul(state ^ (state >>> 15), 1 | state);
    x = (x + Math.imul(x ^ (x >>> 7), 61 | x)) ^ x;
    return ((x ^ (x >>> 14)) >>> 0) / 4294967296;
  };
}

function deps(now: Date, overrides: Partial<DeliverDeps> = {}): DeliverDeps {
  return {
    db: t.db,
    mailer: createResendMailer(`re_test_${randomBytes(8).toString('hex')}`, { baseUrl: capture.url }),
    emailFrom: 'Tokenwarden <alerts@tokenwarden.example>',
    keyRing,
    fetch: globalThis.fetch,
    now: () => now,
    random: seeded(now.getTime() % 1_000_003),
    sleep: async () => undefined,
    emailsPerSecond: 1000,
    webhookTimeoutMs: 2_000,
    ...overrides,
  };
}

/** The earliest next attempt of any pending row, or null when nothing is pending. */
async function nextDue(): Promise<Date | null> {
  const [row] = await t.db.query<{ due: Date | null }>(
    `select least((select min(next_attempt_at) from public.email_outbox where status = 'pending'),
                  (select min(next_attempt_at) from public.webhook_deliveries where status = 'pending')) as due`,
  );
  return row?.due ?? null;
}

/**
 * The every-minute cron from `from` while the clock is before `until`: one pass a minute,
 * minutes in which nothing is due skipped (such a pass would do nothing). Returns the
 * clock of the next pass it would have run.
 */
async function cron(from: Date, until: Date): Promise<{ next: Date; passes: number }> {
  let now = from;
  let passes = 0;
  while (now.getTime() < until.getTime()) {
    await runDeliverPass(deps(now), { timeBudgetMs: 60_000 });
    passes += 1;
    const due = await nextDue();
    const following = now.getTime() + MINUTE;
    if (!due) return { next: new Date(following), passes };
    // The first cron minute at which something is due.
    now = new Date(Math.max(following, T0.getTime() + Math.ceil((due.getTime() - T0.getTime()) / MINUTE) * MINUTE));
  }
  return { next: now, passes };
}

describe('a Resend outage of six hours', () => {
  it('sends every email exactly once when Resend is back, and fails none', async () => {
    const owed = await Promise.all(Array.from({ length: 20 }, () => oweEmail(t.db, keyRing, T0)));
    // Resend answers 500 application_error to everything for six hours.
    capture.setFallback(resendErrors.application());
    const outage = await cron(T0, at(6 * HOUR));
    expect(outage.passes).toBeGreaterThan(20);
    const during = await t.db.query<{ status: string; attempts: number }>(`select status, attempts from public.email_outbox`);
    expect(during.every((row) => row.status === 'pending')).toBe(true);
    expect(Math.min(...during.map((row) => row.attempts))).toBeGreaterThanOrEqual(8);
    expect(capture.sent()).toHaveLength(0);

    capture.setFallback(null);
    await cron(outage.next, at(14 * 86_400_000));

    const rows = await t.db.query<{ id: string; status: string; sent_at: Date | null; idempotency_key: string; last_error: string | null }>(
      `select id, status, sent_at, idempotency_key, last_error from public.email_outbox`,
    );
    expect(rows).toHaveLength(20);
    expect(rows.filter((row) => row.status !== 'sent')).toEqual([]);
    // Every email really sent once: one successful send per idempotency key, none repeated.
    const sentKeys = capture.sent().map((request) => request.idempotencyKey);
    expect(sentKeys).toHaveLength(20);
    expect(new Set(sentKeys)).toEqual(new Set(owed.map((o) => o.idempotencyKey)));
    // Retries never wait longer than the schedule's cap: all out within it of Resend's return.
    const cap = RETRY_SCHEDULES.email.maxDelaySeconds * 1000;
    for (const row of rows) expect(row.sent_at!.getTime()).toBeLessThanOrEqual(at(6 * HOUR + cap).getTime());
  });
});

describe('a webhook receiver down overnight', () => {
  it('delivers every event once to every endpoint when the receiver is back, dead-lettering none', async () => {
    const orgs: OrganizationWithEndpoint[] = [];
    const events: { path: string; eventId: string }[] = [];
    for (let i = 0; i < 3; i += 1) {
      const path = `/overnight/${i}`;
      receiver.setFallback(path, { status: 503, body: 'down for maintenance' });
      const org = await organizationWithEndpoint(t.db, keyRing, `${receiver.url}${path}`);
      orgs.push(org);
      for (let e = 0; e < 4; e += 1) events.push({ path, eventId: (await oweWebhook(t.db, org, T0)).eventId });
    }
    // 12 hours of 503s, e.g. 20:00 to 08:00.
    const night = await cron(T0, at(12 * HOUR));
    const dead = await t.db.query(`select 1 from public.webhook_deliveries where status <> 'pending'`);
    expect(dead).toHaveLength(0);

    const seenBefore = receiver.requests.length;
    for (let i = 0; i < 3; i += 1) receiver.setFallback(`/overnight/${i}`, { status: 204 });
    await cron(night.next, at(14 * 86_400_000));

    const rows = await t.db.query<{ status: string; last_status_code: number }>(`select status, last_status_code from public.webhook_deliveries`);
    expect(rows).toHaveLength(12);
    expect(rows.every((row) => row.status === 'sent' && row.last_status_code === 204)).toBe(true);
    // Once the receiver answers, each event arrives exactly once at its endpoint.
    const after = receiver.requests.slice(seenBefore).map((request) => `${request.path} ${String(request.headers['webhook-id'])}`);
    expect(after.sort()).toEqual(events.map((e) => `${e.path} ${e.eventId}`).sort());
  });
});

describe.skipIf(!hasPostgres)('the database failing after the send', () => {
  let proxy: TcpProxy;
  let viaProxy: Db;

  beforeAll(async () => {
    const url = new URL(t.url!);
    // Reset: the pass's write must fail at once, as against a host that went away.
    proxy = await startTcpProxy({ host: url.hostname, port: Number(url.port || 5432) }, { reset: true });
    viaProxy = createPostgresDb(proxy.via(t.url!), { max: 2 });
  });
  afterAll(async () => {
    await viaProxy?.close();
    await proxy?.close();
  });

  /** Resolves once `received()` reaches `count`. */
  async function arrived(received: () => number, count: number): Promise<void> {
    const until = Date.now() + 10_000;
    while (received() < count) {
      if (Date.now() > until) throw new Error(`only ${received()} request(s) arrived`);
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
  }

  it('re-sends an email whose "sent" write failed after its lease, under the same key: Resend sends it once', async () => {
    const owed = await oweEmail(t.db, keyRing, T0);
    capture.setDefaultDelay(400);
    proxy.restore();
    const pass = runDeliverPass(deps(T0, { db: viaProxy }), { timeBudgetMs: 30_000 });
    const outcome = pass.then(
      () => null,
      (error: unknown) => error,
    );
    // Resend has the request: the database goes away before its answer is recorded.
    await arrived(() => capture.requests.length, 1);
    proxy.cut();
    const error = await outcome;
    expect(error).toBeInstanceOf(DeliverPassInterruptedError);
    expect((error as DeliverPassInterruptedError).summary).toMatchObject({
      ok: false,
      error: 'database_unreachable',
      writeFailures: 1,
      emails: { claimed: 1, sent: 0 },
    });
    expect(capture.sent()).toHaveLength(1);

    // Still claimed: pending, its attempt counted, due again when the lease ends.
    const [claimed] = await t.db.query<{ status: string; attempts: number; next_attempt_at: Date }>(
      `select status, attempts, next_attempt_at from public.email_outbox where id = $1`,
      [owed.id],
    );
    expect(claimed).toMatchObject({ status: 'pending', attempts: 1 });
    expect(claimed!.next_attempt_at.getTime()).toBe(at(DELIVERY_LEASE_SECONDS * 1000).getTime());

    proxy.restore();
    capture.setDefaultDelay(0);
    expect((await runDeliverPass(deps(at(60_000), { db: viaProxy }), { timeBudgetMs: 30_000 })).emails.claimed).toBe(0);
    const again = await runDeliverPass(deps(claimed!.next_attempt_at, { db: viaProxy }), { timeBudgetMs: 30_000 });
    expect(again.emails).toMatchObject({ claimed: 1, sent: 1 });

    expect(capture.requests.map((r) => r.idempotencyKey)).toEqual([owed.idempotencyKey, owed.idempotencyKey]);
    expect(capture.requests[1]!.answer).toMatchObject({ status: 200, replayed: true });
    expect(capture.sent()).toHaveLength(1);
    const [sent] = await t.db.query<{ status: string; attempts: number; provider_message_id: string }>(
      `select status, attempts, provider_message_id from public.email_outbox where id = $1`,
      [owed.id],
    );
    expect(sent).toMatchObject({ status: 'sent', attempts: 2 });
    expect(sent!.provider_message_id).toBe((capture.sent()[0]!.answer as { id: string }).id);
  });

  it('re-sends a webhook whose result write failed after its lease, with the same webhook-id', async () => {
    const path = '/after-send';
    receiver.setFallback(path, { status: 200, delayMs: 400 });
    const org = await organizationWithEndpoint(t.db, keyRing, `${receiver.url}${path}`);
    const { eventId } = await oweWebhook(t.db, org, T0);
    proxy.restore();
    const outcome = runDeliverPass(deps(T0, { db: viaProxy }), { timeBudgetMs: 30_000 }).then(
      () => null,
      (error: unknown) => error,
    );
    await arrived(() => receiver.at(path).length, 1);
    proxy.cut();
    const error = await outcome;
    expect(error).toBeInstanceOf(DeliverPassInterruptedError);
    expect((error as DeliverPassInterruptedError).summary).toMatchObject({ writeFailures: 1, webhooks: { claimed: 1, sent: 0 } });

    proxy.restore();
    receiver.setFallback(path, { status: 204 });
    // The delivery and its endpoint stay leased until the lease ends; then it goes again.
    expect((await runDeliverPass(deps(at(60_000), { db: viaProxy }), { timeBudgetMs: 30_000 })).webhooks.claimed).toBe(0);
    const again = await runDeliverPass(deps(at(DELIVERY_LEASE_SECONDS * 1000), { db: viaProxy }), { timeBudgetMs: 30_000 });
    expect(again.webhooks).toMatchObject({ claimed: 1, sent: 1 });
    expect(receiver.at(path).map((r) => r.headers['webhook-id'])).toEqual([eventId, eventId]);
    const [row] = await t.db.query<{ status: string; attempts: number }>(`select status, attempts from public.webhook_deliveries where endpoint_id = $1`, [
      org.endpointId,
    ]);
    expect(row).toMatchObject({ status: 'sent', attempts: 2 });
  });
});
