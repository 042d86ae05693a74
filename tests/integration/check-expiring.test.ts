import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { runCheckExpiring } from '../../lib/notify/check-expiring';
import { createWebhookEndpoint, webhookEndpointInputSchema } from '../../lib/notify/webhook-endpoints';
import { createRefreshHarness, type RefreshHarness } from '../support/refresh-harness';
import { startFaultProvider, responses, type FaultProvider } from '../support/fault-provider';
import { insertOrganization } from '../support/fixtures';

const CLIENT = { clientId: 'tw-test', clientSecret: 'tw-test-secret' };
const DAY = 86_400_000;

describe('the daily expiry check', () => {
  let fault: FaultProvider;
  let h: RefreshHarness;

  beforeAll(async () => {
    fault = await startFaultProvider();
    h = await createRefreshHarness([
      // Meta's long-lived tokens are renewed by exchange at /oauth/access_token.
      { id: 'facebook', tokenUrl: `${fault.url}/oauth/access_token`, ...CLIENT, clientAuth: 'client_secret_post' },
      // A provider whose refresh tokens do not rotate: their end date cannot be pushed back.
      { id: 'static_crm', name: 'Static CRM', tokenUrl: fault.tokenUrl, ...CLIENT, rotatesRefreshTokens: false },
      { id: 'google', tokenUrl: fault.tokenUrl, ...CLIENT },
    ]);
  });
  afterAll(async () => {
    await h?.close();
    await fault?.close();
  });
  beforeEach(async () => {
    await h.t.db.exec(`delete from public.integrations; delete from public.notifications; delete from public.email_outbox;`);
    fault.requests.length = 0;
  });

  async function setRefreshTokenEnd(id: string, at: Date) {
    await h.t.db.query(`update public.integrations set refresh_token_expires_at = $2 where id = $1`, [id, at.toISOString()]);
  }

  it('renews a long-lived Meta token by exchange instead of warning anyone', async () => {
    fault.enqueue(responses.metaExchange());
    const id = await h.seed({ provider: 'facebook', refreshToken: null, expiresIn: 3 * 86_400 });
    const summary = await runCheckExpiring(h.deps(), { days: 7, autoRefresh: true });
    expect(summary).toMatchObject({ checked: 1, autoRefreshed: 1, refreshFailed: 0, warned: 0, notificationsCreated: 0 });
    const row = await h.row(id);
    expect(row.expires_at!.getTime()).toBeGreaterThan(Date.now() + 50 * DAY);
    expect(fault.requests).toHaveLength(1);
  });

  it('warns once, in-app and by email, about a token nothing can renew, with its end date', async () => {
    const id = await h.seed({ provider: 'facebook', refreshToken: null, expiresIn: 2 * 86_400 + 3600 });
    const first = await runCheckExpiring(h.deps(), { days: 7, autoRefresh: false });
    expect(first).toMatchObject({ checked: 1, autoRefreshed: 0, warned: 1, notificationsCreated: 1, emailsQueued: 1 });
    const [note] = await h.t.db.query<{ type: string; title: string; message: string; metadata: { provider: string; expires_at: string } }>(
      `select type, title, message, metadata from public.notifications where integration_id = $1`,
      [id],
    );
    expect(note).toMatchObject({ type: 'integration_token_expiring', title: 'Facebook connection expires in 2 days' });
    expect(note!.metadata.provider).toBe('facebook');
    const [email] = await h.t.db.query<{ template: string; status: string; payload: { expires_at: string; action_url: string } }>(
      `select template, status, payload from public.email_outbox where integration_id = $1`,
      [id],
    );
    expect(email).toMatchObject({ template: 'integration_token_expiring', status: 'pending' });
    expect(email!.payload.action_url).toBe(`https://app.example.com/integrations/${id}/reconnect`);
    expect(new Date(email!.payload.expires_at).getTime()).toBe((await h.row(id)).expires_at!.getTime());
    // The next day's check says nothing new about the same end date.
    const again = await runCheckExpiring(h.deps(), { days: 7, autoRefresh: false });
    expect(again).toMatchObject({ checked: 1, warned: 0, notificationsCreated: 0, emailsQueued: 0 });
    expect(fault.requests).toHaveLength(0);
  });

  it('warns about a refresh token that ends soon when its provider cannot rotate it', async () => {
    const id = await h.seed({ provider: 'static_crm', expiresIn: 3600 });
    await setRefreshTokenEnd(id, new Date(Date.now() + 4 * DAY));
    const summary = await runCheckExpiring(h.deps(), { days: 7, autoRefresh: true });
    expect(summary).toMatchObject({ checked: 1, autoRefreshed: 0, warned: 1 });
    expect(fault.requests).toHaveLength(0);
  });

  it('leaves ordinary refreshable tokens to the 5-minute refresh', async () => {
    await h.seed({ provider: 'google', expiresIn: 2 * 86_400 });
    const summary = await runCheckExpiring(h.deps(), { days: 7, autoRefresh: true });
    expect(summary).toMatchObject({ checked: 0, warned: 0 });
  });

  it('ignores ends beyond the window', async () => {
    await h.seed({ provider: 'facebook', refreshToken: null, expiresIn: 20 * 86_400 });
    expect((await runCheckExpiring(h.deps(), { days: 7, autoRefresh: false })).checked).toBe(0);
    expect((await runCheckExpiring(h.deps(), { days: 30, autoRefresh: false })).warned).toBe(1);
  });

  it("sends integration.expiring to the organization's subscribed webhook endpoints", async () => {
    const org = await insertOrganization(h.t.db, `Org ${Date.now()}`, [{ userId: h.userId, role: 'owner' }]);
    await createWebhookEndpoint(
      h.t.db,
      h.keyRing,
      org,
      webhookEndpointInputSchema.parse({ url: 'https://hooks.example.com/tw', events: ['integration.expiring'] }),
      { actor: 'test:check-expiring' },
    );
    const id = await h.seed({ provider: 'facebook', refreshToken: null, expiresIn: 86_400 / 2, organizationId: org });
    const summary = await runCheckExpiring(h.deps(), { days: 7, autoRefresh: false });
    expect(summary.webhooksQueued).toBe(1);
    const [delivery] = await h.t.db.query<{ event_type: string; payload: { type: string; data: { integration_id: string; expires_at: string } } }>(
      `select event_type, payload from public.webhook_deliveries`,
    );
    expect(delivery!.event_type).toBe('integration.expiring');
    expect(delivery!.payload.type).toBe('integration.expiring');
    expect(delivery!.payload.data.integration_id).toBe(id);
    expect(delivery!.payload.data.expires_at).toBeTruthy();
    const [note] = await h.t.db.query<{ severity: string }>(`select severity from public.notifications where integration_id = $1`, [id]);
    expect(note!.severity).toBe('critical');
  });
});
