import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { runDeliverPass, type DeliverDeps } from '../../lib/notify/deliver';
import { createResendMailer } from '../../lib/notify/mailer';
import {
  createWebhookEndpoint,
  MAX_WEBHOOK_ENDPOINTS_PER_ORGANIZATION,
  WebhookEndpointLimitError,
  webhookEndpointInputSchema,
} from '../../lib/notify/webhook-endpoints';
import { createTestDatabase, type TestDatabase } from '../support/database';
import { insertOrganization, insertUser, testKeyRing } from '../support/fixtures';
import { organizationWithEndpoint, oweEmail, oweWebhook } from '../support/outbox';
import { startResendCapture, type ResendCapture } from '../support/resend-capture';
import { startWebhookReceiver, type WebhookReceiver } from '../support/webhook-receiver';

/**
 * Webhook delivery on its own: concurrent across endpoints, one request in flight per
 * endpoint (also across overlapping passes), its own time budget beside the emails', and
 * a cap on each organization's endpoints. Real HTTP to a local receiver, real PostgreSQL.
 */

const TIMEOUT_MS = 1_000;
let t: TestDatabase;
let receiver: WebhookReceiver;
let capture: ResendCapture;
const keyRing = testKeyRing();

beforeAll(async () => {
  t = await createTestDatabase();
  receiver = await startWebhookReceiver();
  capture = await startResendCapture();
});

afterAll(async () => {
  await capture?.close();
  await receiver?.close();
  await t?.drop();
});

beforeEach(async () => {
  await t.db.exec(`delete from public.email_outbox; delete from public.webhook_deliveries; delete from public.webhook_endpoint_leases;`);
  capture.reset();
});

function deps(overrides: Partial<DeliverDeps> = {}): DeliverDeps {
  return {
    db: t.db,
    mailer: null,
    emailFrom: null,
    keyRing,
    fetch: globalThis.fetch,
    now: () => new Date(),
    random: () => 0.5,
    sleep: async () => undefined,
    emailsPerSecond: 1000,
    webhookTimeoutMs: TIMEOUT_MS,
    ...overrides,
  };
}

const minutesAgo = (minutes: number) => new Date(Date.now() - minutes * 60_000);

describe('webhook deliveries in one pass', () => {
  it("a hanging endpoint does not delay another organization's deliveries, and gets one request at a time within its budget", async () => {
    receiver.setFallback('/hangs', { hang: true });
    const hanging = await organizationWithEndpoint(t.db, keyRing, `${receiver.url}/hangs`);
    const healthy = await organizationWithEndpoint(t.db, keyRing, `${receiver.url}/healthy`);
    // The hanging endpoint's deliveries are due first.
    for (let i = 0; i < 5; i += 1) await oweWebhook(t.db, hanging, minutesAgo(10));
    for (let i = 0; i < 3; i += 1) await oweWebhook(t.db, healthy, minutesAgo(1));

    const started = Date.now();
    const summary = await runDeliverPass(deps(), { timeBudgetMs: 60_000, webhookTimeBudgetMs: 2_500, webhookConcurrency: 4 });

    const healthyRequests = receiver.at('/healthy');
    expect(healthyRequests).toHaveLength(3);
    // All of them before the first request to the hanging endpoint even gave up.
    for (const request of healthyRequests) expect(request.receivedAt - started).toBeLessThan(TIMEOUT_MS);
    expect(receiver.maxConcurrent('/hangs')).toBe(1);
    const hangingAttempts = receiver.at('/hangs').length;
    expect(hangingAttempts).toBeGreaterThanOrEqual(1);
    expect(hangingAttempts).toBeLessThan(5);
    expect(summary.webhookBudgetExhausted).toBe(true);
    expect(summary.webhooks).toEqual({ claimed: 3 + hangingAttempts, sent: 3, retrying: hangingAttempts, dead: 0 });
    // What the budget did not reach is untouched: due, no attempt used.
    const untouched = await t.db.query<{ attempts: number }>(
      `select attempts from public.webhook_deliveries where endpoint_id = $1 and attempts = 0 and status = 'pending'`,
      [hanging.endpointId],
    );
    expect(untouched).toHaveLength(5 - hangingAttempts);
  });

  it('sends to many endpoints at once, never two requests at once to one endpoint, even from overlapping passes', async () => {
    const orgs = [];
    for (let i = 0; i < 6; i += 1) {
      const path = `/slow/${i}`;
      receiver.setFallback(path, { status: 204, delayMs: 150 });
      const org = await organizationWithEndpoint(t.db, keyRing, `${receiver.url}${path}`);
      orgs.push({ path, org });
      for (let e = 0; e < 3; e += 1) await oweWebhook(t.db, org, minutesAgo(1));
    }

    const options = { timeBudgetMs: 30_000, webhookConcurrency: 4 };
    const [a, b] = await Promise.all([runDeliverPass(deps(), options), runDeliverPass(deps(), options)]);

    expect(a.webhooks.sent + b.webhooks.sent).toBe(18);
    expect(a.webhooks.claimed + b.webhooks.claimed).toBe(18);
    for (const { path } of orgs) {
      expect(receiver.at(path)).toHaveLength(3);
      expect(new Set(receiver.at(path).map((r) => r.headers['webhook-id'])).size).toBe(3);
      expect(receiver.maxConcurrent(path)).toBe(1);
    }
    expect(receiver.maxConcurrentOverall()).toBeGreaterThan(1);
    expect(receiver.maxConcurrentOverall()).toBeLessThanOrEqual(2 * options.webhookConcurrency);
    const leftover = await t.db.query(`select 1 from public.webhook_endpoint_leases`);
    expect(leftover).toHaveLength(0);
  });

  it('emails cannot starve webhooks: a large email backlog still leaves webhooks delivered within their budget', async () => {
    for (let i = 0; i < 30; i += 1) await oweEmail(t.db, keyRing, minutesAgo(5));
    const org = await organizationWithEndpoint(t.db, keyRing, `${receiver.url}/beside-emails`);
    for (let i = 0; i < 3; i += 1) await oweWebhook(t.db, org, minutesAgo(1));
    // Each email takes Resend 100 ms to accept: the email backlog takes seconds.
    capture.setDefaultDelay(100);
    const mailer = createResendMailer(`re_test_${randomBytes(8).toString('hex')}`, { baseUrl: capture.url });

    const started = Date.now();
    const summary = await runDeliverPass(deps({ mailer, emailFrom: 'Tokenwarden <alerts@tokenwarden.example>' }), {
      timeBudgetMs: 60_000,
      webhookTimeBudgetMs: 1_000,
    });

    expect(summary.emails).toMatchObject({ claimed: 30, sent: 30 });
    expect(summary.webhooks).toMatchObject({ claimed: 3, sent: 3 });
    const webhooks = receiver.at('/beside-emails');
    expect(webhooks).toHaveLength(3);
    const lastEmail = Math.max(...capture.requests.map((r) => r.receivedAt));
    for (const request of webhooks) {
      expect(request.receivedAt - started).toBeLessThan(1_000);
      expect(request.receivedAt).toBeLessThan(lastEmail);
    }
  });
});

describe('the endpoint cap', () => {
  async function organization(): Promise<string> {
    const owner = await insertUser(t.db, `cap-${randomBytes(6).toString('hex')}@example.com`);
    return insertOrganization(t.db, `Cap ${randomBytes(6).toString('hex')}`, [{ userId: owner, role: 'owner' }]);
  }
  const add = (orgId: string, i: number) =>
    createWebhookEndpoint(t.db, keyRing, orgId, webhookEndpointInputSchema.parse({ url: `https://hooks.example.com/${i}` }), { actor: 'test:cap' });

  it(`refuses an organization's endpoint beyond ${MAX_WEBHOOK_ENDPOINTS_PER_ORGANIZATION}, naming the limit, and counts each organization alone`, async () => {
    const orgId = await organization();
    for (let i = 0; i < MAX_WEBHOOK_ENDPOINTS_PER_ORGANIZATION; i += 1) await add(orgId, i);
    const refused = await add(orgId, 99).then(
      () => null,
      (error: unknown) => error,
    );
    expect(refused).toBeInstanceOf(WebhookEndpointLimitError);
    expect((refused as Error).message).toContain(`at most ${MAX_WEBHOOK_ENDPOINTS_PER_ORGANIZATION} webhook endpoints`);
    const [count] = await t.db.query<{ n: number }>(`select count(*)::int as n from public.webhook_endpoints where organization_id = $1`, [orgId]);
    expect(count!.n).toBe(MAX_WEBHOOK_ENDPOINTS_PER_ORGANIZATION);
    // Another organization is not affected.
    await expect(add(await organization(), 0)).resolves.toMatchObject({ enabled: true });
  });

  it('holds under concurrent additions', async () => {
    const orgId = await organization();
    for (let i = 0; i < MAX_WEBHOOK_ENDPOINTS_PER_ORGANIZATION - 2; i += 1) await add(orgId, i);
    const results = await Promise.allSettled(Array.from({ length: 6 }, (_, i) => add(orgId, 100 + i)));
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(2);
    const rejected = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
    expect(rejected).toHaveLength(4);
    for (const r of rejected) expect(r.reason).toBeInstanceOf(WebhookEndpointLimitError);
    const [count] = await t.db.query<{ n: number }>(`select count(*)::int as n from public.webhook_endpoints where organization_id = $1`, [orgId]);
    expect(count!.n).toBe(MAX_WEBHOOK_ENDPOINTS_PER_ORGANIZATION);
  });
});

describe('on the embedded database (PGlite)', () => {
  it('claims, sends and records webhook deliveries with the same SQL', async () => {
    const embedded = await createTestDatabase({ engine: 'pglite' });
    try {
      const org = await organizationWithEndpoint(embedded.db, keyRing, `${receiver.url}/embedded`);
      for (let i = 0; i < 2; i += 1) await oweWebhook(embedded.db, org, minutesAgo(1));
      const summary = await runDeliverPass(deps({ db: embedded.db }), { timeBudgetMs: 10_000 });
      expect(summary.webhooks).toEqual({ claimed: 2, sent: 2, retrying: 0, dead: 0 });
      expect(receiver.at('/embedded')).toHaveLength(2);
      expect(await embedded.db.query(`select 1 from public.webhook_endpoint_leases`)).toHaveLength(0);
    } finally {
      await embedded.drop();
    }
  });
});
