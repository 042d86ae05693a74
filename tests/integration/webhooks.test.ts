import { randomBytes, randomUUID } from 'node:crypto';
import { Webhook, WebhookVerificationError } from 'standardwebhooks';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runDeliverPass, MAX_WEBHOOK_ATTEMPTS, type DeliverDeps, type DeliverSummary } from '../../lib/notify/deliver';
import {
  createWebhookEndpoint,
  deleteWebhookEndpoint,
  webhookEndpointInputSchema,
  type CreatedWebhookEndpoint,
} from '../../lib/notify/webhook-endpoints';
import { webhookEventFor } from '../../lib/owed/webhook-events';
import { RETRY_SCHEDULES, retryStepSeconds } from '../../lib/notify/retry-schedule';
import type { ClaimedIntegration } from '../../lib/refresh/claim';
import { decide } from '../../lib/refresh/policy';
import { recordResult } from '../../lib/refresh/record';
import { tokenTimes } from '../../lib/refresh/refresh-one';
import { responses, startFaultProvider, type FaultProvider } from '../support/fault-provider';
import { insertOrganization, insertUser } from '../support/fixtures';
import { createRefreshHarness, instantSleep, type RefreshHarness } from '../support/refresh-harness';
import { startWebhookReceiver, type ReceivedRequest, type WebhookReceiver } from '../support/webhook-receiver';

/**
 * Webhooks to host applications (docs/contracts.md §7) end to end: the refresh engine queues a
 * delivery in the transaction that disconnects an organization's integration, the deliver
 * job POSTs it signed (Standard Webhooks) to a real HTTP receiver on 127.0.0.1, which
 * verifies it with the `standardwebhooks` package, exactly as a host app would.
 */

const CLIENT_SECRET = `fault-client-secret-${randomBytes(8).toString('hex')}`;
const APP_URL = 'https://app.example.com';
const TIMEOUT_MS = 300;

let fault: FaultProvider;
let h: RefreshHarness;
let receiver: WebhookReceiver;

/** Every secret value this file creates: none may appear in what a receiver gets. */
const secrets = new Set<string>([CLIENT_SECRET]);

beforeAll(async () => {
  fault = await startFaultProvider();
  // Every refresh in this file is refused: the refresh token is dead.
  fault.setFallback(responses.oauthError(400, 'invalid_grant', 'refresh token revoked'));
  h = await createRefreshHarness([
    { id: 'fault', name: 'Fault Co', tokenUrl: fault.tokenUrl, clientId: 'fault-client-id', clientSecret: CLIENT_SECRET },
  ]);
  receiver = await startWebhookReceiver();
});

afterAll(async () => {
  await receiver?.close();
  await h?.close();
  await fault?.close();
});

// ---------------------------------------------------------------------------------------------
// Helpers

interface DeliveryRow {
  id: string;
  endpoint_id: string;
  event_id: string;
  event_type: string;
  payload: unknown;
  status: string;
  attempts: number;
  next_attempt_at: Date;
  last_error: string | null;
  last_status_code: number | null;
  sent_at: Date | null;
  [key: string]: unknown;
}

async function organization(label: string): Promise<{ orgId: string; ownerId: string }> {
  const ownerId = await insertUser(h.t.db, `${label}-owner-${randomUUID()}@example.com`);
  const orgId = await insertOrganization(h.t.db, `${label} ${randomUUID()}`, [{ userId: ownerId, role: 'owner' }]);
  return { orgId, ownerId };
}

async function endpoint(orgId: string, url: string, events: string[]): Promise<CreatedWebhookEndpoint> {
  const created = await createWebhookEndpoint(h.t.db, h.keyRing, orgId, webhookEndpointInputSchema.parse({ url, events }), { actor: 'test:webhooks' });
  secrets.add(created.secret);
  return created;
}

/** Seeds a due connection with distinctive tokens and lets one refresh pass disconnect it. */
async function disconnect(organizationId: string | null, userId: string): Promise<{ id: string; accessToken: string; refreshToken: string }> {
  const accessToken = `at-secret-${randomBytes(12).toString('hex')}`;
  const refreshToken = `rt-secret-${randomBytes(12).toString('hex')}`;
  secrets.add(accessToken);
  secrets.add(refreshToken);
  const id = await h.seed({ provider: 'fault', accessToken, refreshToken, organizationId, userId });
  const summary = await h.pass({ integrationId: id });
  expect(summary).toMatchObject({ claimed: 1, authFailures: 1, disconnected: 1 });
  expect((await h.row(id)).status).toBe('needs_reauthorization');
  return { id, accessToken, refreshToken };
}

function deliverDeps(overrides: Partial<DeliverDeps> = {}): DeliverDeps {
  return {
    db: h.t.db,
    mailer: null,
    emailFrom: null,
    keyRing: h.keyRing,
    fetch: globalThis.fetch,
    now: () => new Date(),
    random: () => 0.5,
    sleep: instantSleep,
    emailsPerSecond: 5,
    webhookTimeoutMs: TIMEOUT_MS,
    ...overrides,
  };
}

const deliver = (overrides: Partial<DeliverDeps> = {}): Promise<DeliverSummary> =>
  runDeliverPass(deliverDeps(overrides), { timeBudgetMs: 20_000 });

function deliveriesOf(integrationId: string): Promise<DeliveryRow[]> {
  return h.t.db.query<DeliveryRow>(
    `select * from public.webhook_deliveries where payload->'data'->>'integration_id' = $1 order by created_at, id`,
    [integrationId],
  );
}

async function delivery(id: string): Promise<DeliveryRow> {
  const [row] = await h.t.db.query<DeliveryRow>(`select * from public.webhook_deliveries where id = $1`, [id]);
  if (!row) throw new Error(`no webhook delivery ${id}`);
  return row;
}

/** The Standard Webhooks headers of a received request, as a receiver passes them to verify(). */
function signatureHeaders(request: ReceivedRequest): Record<string, string> {
  const pick = (name: string) => {
    const value = request.headers[name];
    if (typeof value !== 'string') throw new Error(`header ${name} missing or repeated`);
    return value;
  };
  return {
    'webhook-id': pick('webhook-id'),
    'webhook-timestamp': pick('webhook-timestamp'),
    'webhook-signature': pick('webhook-signature'),
  };
}

function expectNoSecrets(request: ReceivedRequest): void {
  const everything = `${request.rawBody}\n${JSON.stringify(request.headers)}`;
  for (const secret of secrets) expect(everything).not.toContain(secret);
  expect(everything).not.toContain('whsec_');
}

const whsec = () => `whsec_${randomBytes(32).toString('base64')}`;

// ---------------------------------------------------------------------------------------------

describe('integration.disconnected to a subscribed endpoint', () => {
  let signed: { request: ReceivedRequest; secret: string } | undefined;

  it('queues one delivery with the disconnect and POSTs it signed, without any token', async () => {
    const { orgId, ownerId } = await organization('Signed');
    const hook = await endpoint(orgId, `${receiver.url}/hooks/signed`, ['integration.disconnected']);
    expect(hook.secret).toMatch(/^whsec_[A-Za-z0-9+/]+=*$/);
    const before = Date.now();
    const { id } = await disconnect(orgId, ownerId);

    const queued = await deliveriesOf(id);
    expect(queued).toHaveLength(1);
    expect(queued[0]).toMatchObject({ endpoint_id: hook.id, event_type: 'integration.disconnected', status: 'pending', attempts: 0 });
    expect(queued[0]!.event_id).toMatch(/^msg_[A-Za-z0-9_-]{27}$/);
    // The secret is sealed at rest, never stored in the clear.
    const [stored] = await h.t.db.query<{ secret_encrypted: string }>(`select secret_encrypted from public.webhook_endpoints where id = $1`, [hook.id]);
    expect(stored!.secret_encrypted).not.toContain(hook.secret.slice('whsec_'.length));

    const summary = await deliver();
    expect(summary.webhooks).toMatchObject({ claimed: 1, sent: 1, retrying: 0, dead: 0 });

    const received = receiver.at('/hooks/signed');
    expect(received).toHaveLength(1);
    const request = received[0]!;
    expect(request.method).toBe('POST');
    expect(request.headers['content-type']).toBe('application/json');
    expect(request.headers['webhook-id']).toBe(queued[0]!.event_id);
    expect(Number(request.headers['webhook-timestamp'])).toBeGreaterThanOrEqual(Math.floor(before / 1000));
    expect(request.headers['webhook-signature']).toMatch(/^v1,[A-Za-z0-9+/]+=*$/);

    // What a host app does: verify the raw body against the headers with its secret.
    const verified = new Webhook(hook.secret).verify(request.rawBody, signatureHeaders(request));
    const body: unknown = JSON.parse(request.rawBody);
    expect(verified).toEqual(body);
    expect(body).toEqual({
      type: 'integration.disconnected',
      timestamp: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/),
      data: {
        integration_id: id,
        organization_id: orgId,
        user_id: ownerId,
        provider: 'fault',
        provider_name: 'Fault Co',
        account_label: 'fault account',
        status: 'needs_reauthorization',
        reason: expect.stringContaining('invalid_grant'),
        reconnect_url: `${APP_URL}/integrations/${id}/reconnect`,
      },
    });
    const timestamp = Date.parse((body as { timestamp: string }).timestamp);
    expect(timestamp).toBeGreaterThanOrEqual(before - 1000);
    expect(timestamp).toBeLessThanOrEqual(Date.now());
    expectNoSecrets(request);

    const row = await delivery(queued[0]!.id);
    expect(row).toMatchObject({ status: 'sent', attempts: 1, last_status_code: 204, last_error: null });
    expect(row.sent_at).toBeInstanceOf(Date);

    // Sent is final: the next pass sends nothing again.
    expect((await deliver()).webhooks.claimed).toBe(0);
    expect(receiver.at('/hooks/signed')).toHaveLength(1);
    signed = { request, secret: hook.secret };
  });

  it('fails verification for a tampered body, a tampered id or a wrong secret', () => {
    expect(signed).toBeDefined();
    const { request, secret } = signed!;
    const headers = signatureHeaders(request);
    const tampered = request.rawBody.replace('"needs_reauthorization"', '"connected"');
    expect(tampered).not.toBe(request.rawBody);
    expect(() => new Webhook(secret).verify(tampered, headers)).toThrow(WebhookVerificationError);
    expect(() => new Webhook(secret).verify(request.rawBody, { ...headers, 'webhook-id': 'msg_other' })).toThrow(WebhookVerificationError);
    expect(() => new Webhook(whsec()).verify(request.rawBody, headers)).toThrow(WebhookVerificationError);
    // And the untouched request still verifies: the failures above are the tampering.
    expect(() => new Webhook(secret).verify(request.rawBody, headers)).not.toThrow();
  });
});

describe('who receives a webhook', () => {
  it('only enabled endpoints of the integration organization subscribed to the event', async () => {
    const a = await organization('Routing A');
    const b = await organization('Routing B');
    const subscribed = await endpoint(a.orgId, `${receiver.url}/hooks/routing-yes`, ['integration.disconnected']);
    await endpoint(a.orgId, `${receiver.url}/hooks/routing-unsubscribed`, ['integration.restored', 'integration.expiring']);
    const disabled = await endpoint(a.orgId, `${receiver.url}/hooks/routing-disabled`, ['integration.disconnected']);
    await h.t.db.query(`update public.webhook_endpoints set enabled = false where id = $1`, [disabled.id]);
    await endpoint(b.orgId, `${receiver.url}/hooks/routing-other-org`, ['integration.disconnected']);

    const { id } = await disconnect(a.orgId, a.ownerId);
    const queued = await deliveriesOf(id);
    expect(queued.map((row) => row.endpoint_id)).toEqual([subscribed.id]);

    const summary = await deliver();
    expect(summary.webhooks).toMatchObject({ claimed: 1, sent: 1 });
    expect(receiver.at('/hooks/routing-yes')).toHaveLength(1);
    expect(receiver.at('/hooks/routing-unsubscribed')).toHaveLength(0);
    expect(receiver.at('/hooks/routing-disabled')).toHaveLength(0);
    expect(receiver.at('/hooks/routing-other-org')).toHaveLength(0);
  });

  it('queues nothing for an integration without organization, even if its user has one with endpoints', async () => {
    const { orgId, ownerId } = await organization('Personal');
    await endpoint(orgId, `${receiver.url}/hooks/personal`, ['integration.disconnected']);
    const [{ count: before }] = (await h.t.db.query<{ count: number }>(`select count(*)::int as count from public.webhook_deliveries`)) as [
      { count: number },
    ];

    const { id } = await disconnect(null, ownerId);
    expect(await deliveriesOf(id)).toHaveLength(0);
    const [{ count: after }] = (await h.t.db.query<{ count: number }>(`select count(*)::int as count from public.webhook_deliveries`)) as [
      { count: number },
    ];
    expect(after).toBe(before);
    // The user still hears about it in-app: the webhook is what is missing, not the notification.
    const notifications = await h.t.db.query(`select 1 from public.notifications where integration_id = $1`, [id]);
    expect(notifications).toHaveLength(1);

    expect((await deliver()).webhooks.claimed).toBe(0);
    expect(receiver.at('/hooks/personal')).toHaveLength(0);
  });
});

describe('retries', () => {
  it('retries a failing endpoint with backoff, then dead-letters it; one that recovers on the 3rd attempt is sent', async () => {
    const flaky = await startWebhookReceiver();
    try {
      const c = await organization('Dead letter');
      const d = await organization('Third time');
      const deadHook = await endpoint(c.orgId, `${flaky.url}/hooks/dead`, ['integration.disconnected']);
      const thirdHook = await endpoint(d.orgId, `${receiver.url}/hooks/third-time`, ['integration.disconnected']);
      // 500, then no answer (the sender's timeout), then the server is gone (connection refused).
      flaky.enqueue('/hooks/dead', { status: 500, body: 'boom' }, { hang: true });
      receiver.enqueue('/hooks/third-time', { status: 500 }, { status: 503 }, { status: 200, body: 'ok' });

      const deadRow = (await deliveriesOf((await disconnect(c.orgId, c.ownerId)).id))[0]!;
      const thirdRow = (await deliveriesOf((await disconnect(d.orgId, d.ownerId)).id))[0]!;
      expect(deadRow.endpoint_id).toBe(deadHook.id);
      expect(thirdRow.endpoint_id).toBe(thirdHook.id);

      let t = new Date(Math.max(deadRow.next_attempt_at.getTime(), thirdRow.next_attempt_at.getTime()) + 1000);
      const delays: number[] = [];
      for (let attempt = 1; attempt <= MAX_WEBHOOK_ATTEMPTS; attempt += 1) {
        if (attempt === 3) await flaky.close();
        const summary = await deliver({ now: () => t });
        expect(summary.webhooks.claimed).toBe(attempt <= 3 ? 2 : 1);

        const dead = await delivery(deadRow.id);
        const third = await delivery(thirdRow.id);
        expect(dead.attempts).toBe(attempt);
        expect(third.attempts).toBe(Math.min(attempt, 3));
        expect(third.status).toBe(attempt >= 3 ? 'sent' : 'pending');

        if (attempt === 1) expect(dead).toMatchObject({ last_error: 'endpoint answered 500', last_status_code: 500 });
        if (attempt === 2) expect(dead).toMatchObject({ last_error: `no answer within ${TIMEOUT_MS} ms`, last_status_code: null });
        if (attempt >= 3 && attempt < MAX_WEBHOOK_ATTEMPTS) expect(dead.last_error).toBe('endpoint unreachable');

        if (attempt < MAX_WEBHOOK_ATTEMPTS) {
          expect(dead.status).toBe('pending');
          const delay = dead.next_attempt_at.getTime() - t.getTime();
          // The schedule's step (exponential from 30 s, capped), shortened by at most its jitter share.
          const step = retryStepSeconds('webhook', attempt) * 1000;
          expect(delay).toBeGreaterThanOrEqual(step * (1 - RETRY_SCHEDULES.webhook.jitter));
          expect(delay).toBeLessThanOrEqual(step);
          delays.push(delay);
          // Not due yet: a pass just before next_attempt_at leaves it alone.
          const early = await deliver({ now: () => new Date(dead.next_attempt_at.getTime() - 1000) });
          expect(early.webhooks.claimed).toBe(0);
          t = new Date(dead.next_attempt_at.getTime() + 1000);
        } else {
          expect(dead.status).toBe('dead');
          expect(dead.last_error).toMatch(new RegExp(`^dead-lettered after ${MAX_WEBHOOK_ATTEMPTS} attempts: endpoint unreachable`));
          expect(dead.sent_at).toBeNull();
        }
      }
      expect(delays).toHaveLength(MAX_WEBHOOK_ATTEMPTS - 1);
      // Each wait longer than the one before until the cap, then as long.
      for (let i = 1; i < delays.length; i += 1) {
        if (retryStepSeconds('webhook', i + 1) < RETRY_SCHEDULES.webhook.maxDelaySeconds) expect(delays[i]!).toBeGreaterThan(delays[i - 1]!);
        else expect(delays[i]!).toBeGreaterThanOrEqual(delays[i - 1]!);
      }

      // Dead is final, however late the next pass.
      expect((await deliver({ now: () => new Date(t.getTime() + 30 * 86_400_000) })).webhooks.claimed).toBe(0);

      // The same message id on every attempt, each freshly signed and verifiable.
      const deadRequests = flaky.at('/hooks/dead');
      expect(deadRequests).toHaveLength(2);
      const thirdRequests = receiver.at('/hooks/third-time');
      expect(thirdRequests).toHaveLength(3);
      for (const request of deadRequests) {
        expect(request.headers['webhook-id']).toBe(deadRow.event_id);
        expect(() => new Webhook(deadHook.secret).verify(request.rawBody, signatureHeaders(request))).not.toThrow();
      }
      for (const request of thirdRequests) {
        expect(request.headers['webhook-id']).toBe(thirdRow.event_id);
        expect(() => new Webhook(thirdHook.secret).verify(request.rawBody, signatureHeaders(request))).not.toThrow();
        expect(request.rawBody).toBe(thirdRequests[0]!.rawBody);
      }
      expect(await delivery(thirdRow.id)).toMatchObject({ status: 'sent', last_status_code: 200, last_error: null });
    } finally {
      await flaky.close().catch(() => undefined);
    }
  });

  it('does not follow a redirect, and a redirect is not a delivery', async () => {
    const { orgId, ownerId } = await organization('Redirect');
    const hook = await endpoint(orgId, `${receiver.url}/hooks/redirect`, ['integration.disconnected']);
    receiver.setFallback('/hooks/redirect', { status: 302, headers: { location: `${receiver.url}/hooks/redirect-target` } });

    const { id } = await disconnect(orgId, ownerId);
    const [queued] = await deliveriesOf(id);
    const summary = await deliver();
    expect(summary.webhooks).toMatchObject({ claimed: 1, sent: 0, retrying: 1 });
    expect(receiver.at('/hooks/redirect')).toHaveLength(1);
    expect(receiver.at('/hooks/redirect-target')).toHaveLength(0);
    const row = await delivery(queued!.id);
    expect(row).toMatchObject({ status: 'pending', attempts: 1, last_status_code: 302, last_error: 'endpoint answered 302', sent_at: null });
    expect(row.next_attempt_at.getTime()).toBeGreaterThan(Date.now());

    // Deleting the endpoint takes its pending deliveries with it (and keeps later passes clean).
    expect(await deleteWebhookEndpoint(h.t.db, orgId, hook.id, { actor: 'test:webhooks' })).toBe(true);
    expect(await deliveriesOf(id)).toHaveLength(0);
  });
});

describe('integration.restored', () => {
  /*
   * The refresh engine only claims connected integrations, so a pass never turns a
   * needs_reauthorization connection back into a connected one: nothing in lib/ produces
   * integration.restored through a pass today (a reconnect flow would). The event is
   * therefore recorded here the way such a flow would: the policy's decision for a
   * successful refresh of a needs_reauthorization connection, written by recordResult
   * (webhookEventFor + record_refresh_result -> queue_owed_messages), then delivered.
   */
  it('is not produced by a refresh pass: needs_reauthorization connections are not claimed', async () => {
    const { orgId, ownerId } = await organization('Not claimed');
    const id = await h.seed({ provider: 'fault', organizationId: orgId, userId: ownerId, status: 'needs_reauthorization' });
    const summary = await h.pass({ integrationId: id });
    expect(summary.claimed).toBe(0);
    expect(await deliveriesOf(id)).toHaveLength(0);
  });

  it('is queued with the recorded reconnection and delivered signed', async () => {
    const { orgId, ownerId } = await organization('Restored');
    const hook = await endpoint(orgId, `${receiver.url}/hooks/restored`, ['integration.restored']);
    const { id } = await disconnect(orgId, ownerId);
    expect(await deliveriesOf(id)).toHaveLength(0); // not subscribed to integration.disconnected

    const row = await h.row(id);
    const integration: ClaimedIntegration = {
      id,
      user_id: ownerId,
      organization_id: orgId,
      provider: 'fault',
      account_label: 'fault account',
      status: 'needs_reauthorization',
      access_token_encrypted: row.access_token_encrypted as string,
      refresh_token_encrypted: row.refresh_token_encrypted as string,
      token_version: row.token_version,
      expires_at: row.expires_at,
      consecutive_failures: row.consecutive_failures,
      consecutive_transient_failures: row.consecutive_transient_failures,
      metadata: {},
      unrecorded_call: false,
    };
    const newAccess = `at-secret-${randomBytes(12).toString('hex')}`;
    const newRefresh = `rt-secret-${randomBytes(12).toString('hex')}`;
    secrets.add(newAccess);
    secrets.add(newRefresh);
    const outcome = { type: 'refreshed' as const, httpStatus: 200, tokens: { accessToken: newAccess, refreshToken: newRefresh, expiresInSeconds: 3600 } };
    const now = new Date();
    const decision = decide({
      outcome,
      integration: {
        id,
        status: 'needs_reauthorization',
        consecutiveFailures: row.consecutive_failures,
        consecutiveTransientFailures: row.consecutive_transient_failures,
        tokenVersion: row.token_version,
      },
      provider: { id: 'fault', name: 'Fault Co' },
      reconnectUrl: `${APP_URL}/integrations/${id}/reconnect`,
      now,
    });
    expect(decision.messages.map((message) => message.type)).toEqual(['integration_restored']);
    const recorded = await recordResult(h.t.db, {
      integration,
      leaseOwner: 'reconnect-flow',
      now,
      keyRing: h.keyRing,
      newTokens: tokenTimes(outcome, h.providers.get('fault')!, now, () => 0.5),
      decision,
      log: { provider: 'fault', trigger: 'manual', outcome: 'refreshed', errorCode: null, httpStatus: 200, durationMs: 1, attempts: 1, metadata: {} },
      providerName: 'Fault Co',
    });
    expect(recorded).toMatchObject({ notifications: 1, webhooks: 1 });
    expect((await h.row(id)).status).toBe('connected');

    const queued = await deliveriesOf(id);
    expect(queued).toHaveLength(1);
    expect(queued[0]).toMatchObject({ endpoint_id: hook.id, event_type: 'integration.restored' });

    expect((await deliver()).webhooks).toMatchObject({ claimed: 1, sent: 1 });
    const [request] = receiver.at('/hooks/restored');
    expect(request).toBeDefined();
    const body = new Webhook(hook.secret).verify(request!.rawBody, signatureHeaders(request!));
    expect(body).toEqual({
      type: 'integration.restored',
      timestamp: now.toISOString(),
      data: expect.objectContaining({
        integration_id: id,
        organization_id: orgId,
        provider: 'fault',
        status: 'connected',
        reason: null,
        reconnect_url: `${APP_URL}/integrations/${id}/reconnect`,
      }),
    });
    expectNoSecrets(request!);
  });

  it('derives the message id from the business event: the same event is one delivery per endpoint', async () => {
    const { orgId, ownerId } = await organization('Event id');
    const hook = await endpoint(orgId, `${receiver.url}/hooks/event-id`, ['integration.restored']);
    const id = await h.seed({ provider: 'fault', organizationId: orgId, userId: ownerId });
    const event = (type: Parameters<typeof webhookEventFor>[0], eventKey: string) =>
      webhookEventFor(type, {
        eventKey,
        occurredAt: new Date(),
        integration: { id, organizationId: orgId, userId: ownerId, provider: 'fault', providerName: 'Fault Co', accountLabel: null },
        status: 'connected',
        reason: null,
        reconnectUrl: `${APP_URL}/integrations/${id}/reconnect`,
      });
    const first = event('integration_restored', `restored/${id}/1`)!;
    expect(first.event_id).toBe(event('integration_restored', `restored/${id}/1`)!.event_id);
    expect(first.event_id).not.toBe(event('integration_restored', `restored/${id}/2`)!.event_id);
    // In-app-only notification types are no webhook events.
    expect(event('integration_warning', `auth-warning/${id}/1`)).toBeNull();
    expect(event('integration_rate_limit', `rate-limit/${id}/1/0`)).toBeNull();

    const queue = () =>
      h.t.db.query<{ queued: { emails: number; webhooks: number } }>(
        `select public.queue_owed_messages($1::uuid, now(), '[]'::jsonb, $2::jsonb) as queued`,
        [id, JSON.stringify([first])],
      );
    expect((await queue())[0]!.queued).toEqual({ emails: 0, webhooks: 1 });
    expect((await queue())[0]!.queued).toEqual({ emails: 0, webhooks: 0 });
    const rows = await deliveriesOf(id);
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ endpoint_id: hook.id, event_id: first.event_id });

    expect((await deliver()).webhooks).toMatchObject({ claimed: 1, sent: 1 });
    expect(receiver.at('/hooks/event-id').map((request) => request.headers['webhook-id'])).toEqual([first.event_id]);
  });
});

describe('webhookEndpointInputSchema', () => {
  const refusal = (input: unknown) => {
    const result = webhookEndpointInputSchema.safeParse(input);
    expect(result.success).toBe(false);
    return result.error!.issues.map((issue) => ({ path: issue.path.join('.'), message: issue.message }));
  };

  it('accepts https anywhere and plain http only to this machine', () => {
    expect(webhookEndpointInputSchema.parse({ url: 'https://hooks.example.com/tw', events: ['integration.disconnected'] })).toEqual({
      url: 'https://hooks.example.com/tw',
      events: ['integration.disconnected'],
    });
    for (const url of ['http://127.0.0.1:8080/hook', 'http://localhost:3000/hook', 'http://[::1]:3000/hook']) {
      expect(webhookEndpointInputSchema.safeParse({ url }).success).toBe(true);
    }
    // Events default to all of them, and repeats collapse.
    expect(webhookEndpointInputSchema.parse({ url: 'https://hooks.example.com' }).events).toEqual([
      'integration.connected',
      'integration.disconnected',
      'integration.restored',
      'integration.expiring',
    ]);
    expect(
      webhookEndpointInputSchema.parse({ url: 'https://hooks.example.com', events: ['integration.expiring', 'integration.expiring'] }).events,
    ).toEqual(['integration.expiring']);
  });

  it('refuses http to another host, credentials in the URL, unknown and empty events', () => {
    for (const url of ['http://hooks.example.com/tw', 'http://10.0.0.5/hook', 'http://127.0.0.1.example.com/hook']) {
      expect(refusal({ url, events: ['integration.disconnected'] })).toEqual([
        { path: 'url', message: 'must use https (plain http only to this machine)' },
      ]);
    }
    expect(refusal({ url: 'https://user:pass@hooks.example.com/tw' })).toEqual([{ path: 'url', message: 'must not contain credentials' }]);
    expect(refusal({ url: 'https://user@hooks.example.com/tw' })).toEqual([{ path: 'url', message: 'must not contain credentials' }]);
    expect(refusal({ url: 'not a url' })[0]!.path).toBe('url');
    expect(refusal({ url: 'ftp://hooks.example.com' })[0]!.path).toBe('url');
    const unknown = refusal({ url: 'https://hooks.example.com', events: ['integration.disconnected', 'integration.deleted'] });
    expect(unknown).toHaveLength(1);
    expect(unknown[0]!.path).toBe('events.1');
    expect(unknown[0]!.message).toMatch(/must be one of integration\.connected, integration\.disconnected, integration\.restored, integration\.expiring/);
    expect(refusal({ url: 'https://hooks.example.com', events: [] })).toEqual([{ path: 'events', message: 'must name at least one event' }]);
    expect(refusal({ url: 'https://hooks.example.com', events: 'integration.disconnected' })[0]!.path).toBe('events');
    expect(refusal({ url: 'https://hooks.example.com', secret: 'whsec_mine' })[0]!.message).toMatch(/secret/);
  });
});
