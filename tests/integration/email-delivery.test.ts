import { randomBytes, randomUUID } from 'node:crypto';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { MAX_EMAIL_ATTEMPTS, runDeliverPass, type DeliverDeps, type DeliverSummary } from '../../lib/notify/deliver';
import { createResendMailer } from '../../lib/notify/mailer';
import { raiseConfigAlerts } from '../../lib/notify/operator-alerts';
import { insertIntegration, insertUser } from '../support/fixtures';
import { responses, startFaultProvider, type FaultProvider } from '../support/fault-provider';
import { createRefreshHarness, type RefreshHarness } from '../support/refresh-harness';
import { resendErrors, startResendCapture, type ResendCapture } from '../support/resend-capture';

/**
 * The deliver job's email half end to end: outbox rows written by the real SQL (the refresh
 * engine's record_refresh_result, or queue_owed_messages as it calls it), a real PostgreSQL,
 * and the real `resend` SDK talking HTTP to a local capture server that answers with
 * Resend's documented shapes. Time is injected: a row's next_attempt_at is compared with the
 * pass's `now`, never with the wall clock.
 */

const API_KEY = `re_test_${randomBytes(12).toString('hex')}`;
const EMAIL_FROM = 'Tokenwarden <alerts@tokenwarden.example>';
const APP_URL = 'https://app.example.com'; // the refresh harness's appUrl
/** A fixed instant for the rows these tests queue themselves. */
const T0 = new Date('2026-11-25T09:00:00.000Z');
const at = (base: Date, ms: number) => new Date(base.getTime() + ms);

let fault: FaultProvider;
let h: RefreshHarness;
let capture: ResendCapture;

interface OutboxRow {
  id: string;
  to_email: string;
  template: string;
  status: string;
  idempotency_key: string;
  attempts: number;
  next_attempt_at: Date;
  last_error: string | null;
  sent_at: Date | null;
  provider_message_id: string | null;
  payload: Record<string, unknown>;
  integration_id: string | null;
  [key: string]: unknown;
}

beforeAll(async () => {
  fault = await startFaultProvider();
  fault.setFallback(responses.oauthError(400, 'unscripted_request'));
  h = await createRefreshHarness([
    { id: 'fault', name: 'Fault Co', tokenUrl: fault.tokenUrl, clientId: 'fault-client', clientSecret: `fault-secret-${randomBytes(8).toString('hex')}` },
  ]);
  capture = await startResendCapture();
});

afterAll(async () => {
  await h?.close();
  await fault?.close();
  await capture?.close();
});

beforeEach(async () => {
  // Each case owns the outbox: a pass delivers every due row, whoever queued it.
  await h.t.db.query(`delete from public.email_outbox`);
  capture.reset();
});

// ---------------------------------------------------------------------------------------------
// Helpers

function deps(overrides: Partial<DeliverDeps> = {}): DeliverDeps {
  return {
    db: h.t.db,
    mailer: createResendMailer(API_KEY, { baseUrl: capture.url }),
    emailFrom: EMAIL_FROM,
    keyRing: h.keyRing,
    fetch: globalThis.fetch,
    now: () => T0,
    random: () => 0.5,
    sleep: async () => undefined,
    emailsPerSecond: 1000,
    webhookTimeoutMs: 2_000,
    ...overrides,
  };
}

function deliver(now: Date, overrides: Partial<DeliverDeps> = {}, batchSize?: number): Promise<DeliverSummary> {
  return runDeliverPass(deps({ now: () => now, ...overrides }), { timeBudgetMs: 60_000, ...(batchSize ? { batchSize } : {}) });
}

function emailCounts(summary: DeliverSummary, counts: Partial<DeliverSummary['emails']>): void {
  expect(summary.emails).toEqual({ claimed: 0, sent: 0, retrying: 0, failed: 0, skipped: 0, ...counts });
}

async function outbox(id: string): Promise<OutboxRow> {
  const [row] = await h.t.db.query<OutboxRow>(`select * from public.email_outbox where id = $1`, [id]);
  if (!row) throw new Error(`no outbox row ${id}`);
  return row;
}

/**
 * Queues one integration_disconnected email the way the engine does (queue_owed_messages,
 * with the payload lib/refresh/record.ts writes), for a fresh user and integration so the
 * 24-hour throttle never interferes.
 */
async function owe(now: Date, payloadOverrides: Record<string, unknown> = {}, omit: string[] = []) {
  const email = `user-${randomUUID()}@example.com`;
  const userId = await insertUser(h.t.db, email);
  const integrationId = await insertIntegration(h.t.db, h.keyRing, { userId, provider: 'fault' });
  const idempotencyKey = `integration_disconnected/${integrationId}/${randomUUID()}/${userId}`;
  const payload: Record<string, unknown> = {
    provider: 'fault',
    provider_name: 'Fault Co',
    account_label: 'fault account',
    title: 'Fault Co disconnected',
    message: 'Fault Co disconnected. Your workflows are paused. Reconnect now.',
    reason: "Fault Co no longer accepts this connection's refresh token (invalid_grant).",
    action_url: `${APP_URL}/integrations/${integrationId}/reconnect`,
    ...payloadOverrides,
  };
  for (const key of omit) delete payload[key];
  const [result] = await h.t.db.query<{ queued: { emails: number } }>(
    `select public.queue_owed_messages($1, $2, $3::jsonb, '[]'::jsonb) as queued`,
    [
      integrationId,
      now.toISOString(),
      JSON.stringify([{ to_email: email, template: 'integration_disconnected', idempotency_key: idempotencyKey, user_id: userId, payload }]),
    ],
  );
  expect(result!.queued.emails).toBe(1);
  const [row] = await h.t.db.query<{ id: string }>(`select id from public.email_outbox where idempotency_key = $1`, [idempotencyKey]);
  return { id: row!.id, email, integrationId, idempotencyKey };
}

// ---------------------------------------------------------------------------------------------

describe('sending an owed email through Resend', () => {
  it('sends the disconnection email the refresh engine queued: one POST /emails with the key, the idempotency key and the reconnect link', async () => {
    const [user] = await h.t.db.query<{ email: string }>(`select email from auth.users where id = $1`, [h.userId]);
    const id = await h.seed({ provider: 'fault' });
    fault.enqueue(responses.oauthError(400, 'invalid_grant'));
    const refresh = await h.pass({ integrationId: id });
    expect(refresh.disconnected).toBe(1);
    expect(refresh.emailsQueued).toBe(1);
    const integration = await h.row(id);
    const [queued] = await h.t.db.query<OutboxRow>(`select * from public.email_outbox where integration_id = $1`, [id]);
    expect(queued).toMatchObject({ status: 'pending', template: 'integration_disconnected', to_email: user!.email, attempts: 0 });

    const summary = await deliver(new Date());

    emailCounts(summary, { claimed: 1, sent: 1 });
    expect(capture.requests).toHaveLength(1);
    const request = capture.requests[0]!;
    const link = `${APP_URL}/integrations/${id}/reconnect`;
    expect(request.method).toBe('POST');
    expect(request.path).toBe('/emails');
    expect(request.authorization).toBe(`Bearer ${API_KEY}`);
    expect(request.idempotencyKey).toBe(queued!.idempotency_key);
    expect(request.headers['content-type']).toBe('application/json');
    expect(request.body).toEqual({
      from: EMAIL_FROM,
      to: [user!.email],
      // Issue 8 item 7: the subject is the policy's title (was the template's own re-wording).
      subject: 'Fault Co disconnected',
      html: expect.stringContaining(`href="${link}"`),
      text: expect.stringContaining(link),
    });
    // The reason the engine recorded reaches the person.
    const body = request.body as { text: string; html: string };
    expect(body.text.replace(/\s+/g, ' ')).toContain(integration.disconnect_reason);

    const sent = await outbox(queued!.id);
    expect(sent).toMatchObject({ status: 'sent', attempts: 1, last_error: null });
    expect(sent.sent_at).toBeInstanceOf(Date);
    expect(request.answer).toEqual({ status: 200, id: expect.any(String) });
    expect(sent.provider_message_id).toBe((request.answer as { id: string }).id);

    // Sent is final: a later pass sends nothing again.
    emailCounts(await deliver(at(new Date(), 86_400_000)), {});
    expect(capture.requests).toHaveLength(1);
  });

  it('retries a 500 application_error later, with the same Idempotency-Key, and not before next_attempt_at', async () => {
    const owed = await owe(T0);
    capture.enqueue(resendErrors.application());

    emailCounts(await deliver(T0), { claimed: 1, retrying: 1 });
    const first = await outbox(owed.id);
    expect(first.status).toBe('pending');
    expect(first.attempts).toBe(1);
    expect(first.last_error).toMatch(/500 application_error/);
    expect(first.next_attempt_at.getTime()).toBeGreaterThan(T0.getTime());
    expect(first.sent_at).toBeNull();

    emailCounts(await deliver(at(first.next_attempt_at, -1000)), {});
    expect(capture.requests).toHaveLength(1);

    emailCounts(await deliver(first.next_attempt_at), { claimed: 1, sent: 1 });
    expect(capture.requests).toHaveLength(2);
    expect(capture.requests.map((r) => r.idempotencyKey)).toEqual([owed.idempotencyKey, owed.idempotencyKey]);
    const sent = await outbox(owed.id);
    expect(sent).toMatchObject({ status: 'sent', attempts: 2, last_error: null });
    expect(sent.sent_at!.getTime()).toBe(first.next_attempt_at.getTime());
  });

  it("honours a 429's retry-after: 40 s before the next attempt", async () => {
    const owed = await owe(T0);
    capture.enqueue(resendErrors.rateLimited(40));

    emailCounts(await deliver(T0), { claimed: 1, retrying: 1 });
    const row = await outbox(owed.id);
    expect(row.status).toBe('pending');
    expect(row.last_error).toMatch(/429 rate_limit_exceeded/);
    expect(row.next_attempt_at.getTime()).toBeGreaterThanOrEqual(T0.getTime() + 40_000);

    emailCounts(await deliver(at(T0, 39_000)), {});
    expect(capture.requests).toHaveLength(1);
    emailCounts(await deliver(row.next_attempt_at), { claimed: 1, sent: 1 });
    expect(capture.requests).toHaveLength(2);
  });

  it('fails a permanent 422 validation_error with the reason, and never retries it', async () => {
    const owed = await owe(T0);
    capture.enqueue(resendErrors.validation());

    emailCounts(await deliver(T0), { claimed: 1, failed: 1 });
    const row = await outbox(owed.id);
    expect(row.status).toBe('failed');
    expect(row.attempts).toBe(1);
    expect(row.last_error).toMatch(/^422 validation_error: Invalid `to` field/);
    expect(row.sent_at).toBeNull();

    emailCounts(await deliver(at(T0, 7 * 86_400_000)), {});
    expect(capture.requests).toHaveLength(1);
  });

  it('retries a 409 concurrent_idempotent_requests (the same send still in progress) and fails a 409 invalid_idempotent_request', async () => {
    const inProgress = await owe(T0);
    capture.enqueue(resendErrors.concurrentIdempotent());
    emailCounts(await deliver(T0), { claimed: 1, retrying: 1 });
    const retrying = await outbox(inProgress.id);
    expect(retrying.status).toBe('pending');
    expect(retrying.last_error).toMatch(/^409 concurrent_idempotent_requests/);
    emailCounts(await deliver(retrying.next_attempt_at), { claimed: 1, sent: 1 });
    expect(capture.requests.map((r) => r.idempotencyKey)).toEqual([inProgress.idempotencyKey, inProgress.idempotencyKey]);

    const mismatch = await owe(T0);
    capture.enqueue(resendErrors.invalidIdempotent());
    emailCounts(await deliver(T0), { claimed: 1, failed: 1 });
    const failed = await outbox(mismatch.id);
    expect(failed.status).toBe('failed');
    expect(failed.last_error).toMatch(/^409 invalid_idempotent_request/);
  });

  it('retries when Resend cannot be reached (connection refused) and sends once it can', async () => {
    const gone = await startResendCapture();
    const refusedUrl = gone.url;
    await gone.close();
    const owed = await owe(T0);

    emailCounts(await deliver(T0, { mailer: createResendMailer(API_KEY, { baseUrl: refusedUrl }) }), { claimed: 1, retrying: 1 });
    const row = await outbox(owed.id);
    expect(row.status).toBe('pending');
    expect(row.attempts).toBe(1);
    expect(row.last_error).toMatch(/^network /);
    expect(row.next_attempt_at.getTime()).toBeGreaterThan(T0.getTime());
    expect(capture.requests).toHaveLength(0);

    emailCounts(await deliver(row.next_attempt_at), { claimed: 1, sent: 1 });
    expect(capture.requests.map((r) => r.idempotencyKey)).toEqual([owed.idempotencyKey]);
    expect((await outbox(owed.id)).status).toBe('sent');
  });

  it('retries when the connection is reset mid-request', async () => {
    const owed = await owe(T0);
    capture.enqueue({ destroy: true });

    emailCounts(await deliver(T0), { claimed: 1, retrying: 1 });
    const row = await outbox(owed.id);
    expect(row).toMatchObject({ status: 'pending', attempts: 1 });
    expect(row.last_error).toMatch(/^network /);

    emailCounts(await deliver(row.next_attempt_at), { claimed: 1, sent: 1 });
    expect(capture.requests.map((r) => r.idempotencyKey)).toEqual([owed.idempotencyKey, owed.idempotencyKey]);
  });

  it('gives up on a send that gets no answer in time, retries it later with the same key, and does not hang the pass', async () => {
    const owed = await owe(T0);
    capture.enqueue({ status: 200, json: { id: randomUUID() }, delayMs: 5_000 });
    const mailer = createResendMailer(API_KEY, { baseUrl: capture.url, timeoutMs: 300 });

    const started = Date.now();
    emailCounts(await deliver(T0, { mailer }), { claimed: 1, retrying: 1 });
    expect(Date.now() - started).toBeLessThan(3_000);
    const row = await outbox(owed.id);
    expect(row).toMatchObject({ status: 'pending', attempts: 1 });
    expect(row.last_error).toMatch(/^network /);

    emailCounts(await deliver(row.next_attempt_at, { mailer }), { claimed: 1, sent: 1 });
    expect(capture.requests.map((r) => r.idempotencyKey)).toEqual([owed.idempotencyKey, owed.idempotencyKey]);
  });

  it(`gives up after MAX_EMAIL_ATTEMPTS (${MAX_EMAIL_ATTEMPTS}) failed attempts, saying so`, async () => {
    const owed = await owe(T0);
    capture.enqueue(...Array.from({ length: MAX_EMAIL_ATTEMPTS }, () => resendErrors.application()));

    let now = T0;
    for (let attempt = 1; attempt < MAX_EMAIL_ATTEMPTS; attempt++) {
      emailCounts(await deliver(now), { claimed: 1, retrying: 1 });
      const row = await outbox(owed.id);
      expect(row).toMatchObject({ status: 'pending', attempts: attempt });
      // Each retry waits: the next attempt is later than this one.
      expect(row.next_attempt_at.getTime()).toBeGreaterThan(now.getTime());
      now = row.next_attempt_at;
    }
    emailCounts(await deliver(now), { claimed: 1, failed: 1 });
    const row = await outbox(owed.id);
    expect(row.status).toBe('failed');
    expect(row.attempts).toBe(MAX_EMAIL_ATTEMPTS);
    expect(row.last_error).toMatch(new RegExp(`^gave up after ${MAX_EMAIL_ATTEMPTS} attempts: 500 application_error`));
    expect(capture.requests).toHaveLength(MAX_EMAIL_ATTEMPTS);
    expect(new Set(capture.requests.map((r) => r.idempotencyKey))).toEqual(new Set([owed.idempotencyKey]));

    emailCounts(await deliver(at(now, 7 * 86_400_000)), {});
    expect(capture.requests).toHaveLength(MAX_EMAIL_ATTEMPTS);
  });

  it('two overlapping passes send each of 20 emails exactly once', async () => {
    const owed = await Promise.all(Array.from({ length: 20 }, () => owe(T0)));
    capture.setDefaultDelay(50);

    // Small batches, so both passes keep claiming while the other is sending.
    const [a, b] = await Promise.all([deliver(T0, {}, 5), deliver(T0, {}, 5)]);

    expect(a.emails.claimed + b.emails.claimed).toBe(20);
    expect(a.emails.sent + b.emails.sent).toBe(20);
    expect(a.emails.claimed).toBeGreaterThan(0);
    expect(b.emails.claimed).toBeGreaterThan(0);
    expect(capture.requests).toHaveLength(20);
    const keys = capture.requests.map((r) => r.idempotencyKey);
    expect(new Set(keys).size).toBe(20);
    expect(new Set(keys)).toEqual(new Set(owed.map((o) => o.idempotencyKey)));
    const rows = await h.t.db.query<{ status: string; attempts: number }>(`select status, attempts from public.email_outbox`);
    expect(rows).toHaveLength(20);
    expect(rows.every((r) => r.status === 'sent' && r.attempts === 1)).toBe(true);
  });

  it('without a mailer (RESEND_API_KEY unset) marks emails skipped with the reason and sends nothing', async () => {
    const owed = await Promise.all([owe(T0), owe(T0)]);

    emailCounts(await deliver(T0, { mailer: null }), { claimed: 2, skipped: 2 });
    for (const { id } of owed) {
      const row = await outbox(id);
      expect(row.status).toBe('skipped');
      expect(row.last_error).toMatch(/RESEND_API_KEY/);
      expect(row.sent_at).toBeNull();
    }
    expect(capture.requests).toHaveLength(0);
    // Skipped is final for the deliver job (the rows stay for the dev mailbox).
    emailCounts(await deliver(at(T0, 86_400_000)), {});
  });

  it('paces sends under emailsPerSecond: three emails at 2/s ask for a second of sleep', async () => {
    await Promise.all([owe(T0), owe(T0), owe(T0)]);
    // The pass's clock: it moves only when the pass sleeps, so every millisecond of spacing
    // between two requests to Resend has to come from a requested sleep.
    let clock = T0.getTime();
    const sleeps: number[] = [];

    const summary = await runDeliverPass(
      deps({
        now: () => new Date(clock),
        emailsPerSecond: 2,
        sleep: async (ms) => {
          sleeps.push(ms);
          clock += ms;
        },
      }),
      { timeBudgetMs: 60_000 },
    );

    emailCounts(summary, { claimed: 3, sent: 3 });
    expect(capture.requests).toHaveLength(3);
    // The first request goes at once; each later one waits out its 500 ms slot.
    expect(sleeps).toEqual([500, 500]);
    expect(sleeps.reduce((sum, ms) => sum + ms, 0)).toBeGreaterThanOrEqual(1000);
  });

  it('spends no pacing slot on rows that send nothing', async () => {
    await owe(T0, {}, ['action_url']);
    await owe(at(T0, 1));
    const sleeps: number[] = [];

    // Batches of one: the unrenderable row (due first) goes first, then the good one.
    const summary = await deliver(
      at(T0, 1),
      {
        emailsPerSecond: 2,
        sleep: async (ms) => {
          sleeps.push(ms);
        },
      },
      1,
    );

    emailCounts(summary, { claimed: 2, sent: 1, failed: 1 });
    expect(sleeps).toEqual([]);
  });

  it('renders and sends an operator alert', async () => {
    const ops = 'ops@tokenwarden.example';
    const raised = await raiseConfigAlerts(
      h.t.db,
      [{ provider: 'fault', providerName: 'Fault Co', errorCode: 'invalid_client', count: 3 }],
      T0,
      { operatorEmails: [ops], failureRateThreshold: 0.1, minAttempts: 10 },
    );
    expect(raised).toBe(1);
    const [queued] = await h.t.db.query<OutboxRow>(`select * from public.email_outbox where template = 'operator_alert'`);
    expect(queued).toMatchObject({ status: 'pending', to_email: ops });
    const payload = queued!.payload as { title: string; message: string; provider: string };
    expect(Object.keys(payload).sort()).toEqual(['message', 'provider', 'title']);

    emailCounts(await deliver(T0), { claimed: 1, sent: 1 });
    expect(capture.requests).toHaveLength(1);
    const request = capture.requests[0]!;
    expect(request.idempotencyKey).toBe(queued!.idempotency_key);
    expect(request.body).toEqual({
      from: EMAIL_FROM,
      to: [ops],
      subject: `[Tokenwarden] ${payload.title}`,
      html: expect.stringContaining('Fault Co'),
      text: expect.any(String),
    });
    const body = request.body as { text: string };
    expect(body.text.replace(/\s+/g, ' ')).toContain(payload.message);
    expect(await outbox(queued!.id)).toMatchObject({ status: 'sent' });
  });

  it('fails a row whose payload lacks action_url, naming the field, and goes on to the next row', async () => {
    const bad = await owe(T0, {}, ['action_url']);
    const good = await owe(at(T0, 1000));

    // Batches of one: the bad row (due first) is certainly handled before the good one.
    emailCounts(await deliver(at(T0, 1000), {}, 1), { claimed: 2, sent: 1, failed: 1 });
    const failed = await outbox(bad.id);
    expect(failed.status).toBe('failed');
    expect(failed.last_error).toMatch(/^cannot render: payload action_url/);
    expect((await outbox(good.id)).status).toBe('sent');
    expect(capture.requests.map((r) => r.idempotencyKey)).toEqual([good.idempotencyKey]);

    emailCounts(await deliver(at(T0, 7 * 86_400_000)), {});
  });
});
