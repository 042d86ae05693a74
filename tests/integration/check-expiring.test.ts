import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { runCheckExpiring } from '../../lib/refresh/check-expiring';
import type { RecordedRequest } from '../support/fault-provider';
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
    fault.clearQueue();
    fault.onRequest(null);
    fault.resetInFlight();
  });

  /** A long-lived Facebook token (renewed by exchange) ending in `hours`, its access token named. */
  const facebook = (token: string, hours: number) => h.seed({ provider: 'facebook', refreshToken: null, accessToken: token, expiresIn: hours * 3600 });
  const exchanged = (request: RecordedRequest) => request.form.fb_exchange_token;

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

  describe('over a large fleet', () => {
    it('checks the soonest end first', async () => {
      const hours = [100, 30, 140, 10, 80, 50];
      for (const h_ of hours) await facebook(`EAA-ends-in-${h_}h`, h_);
      fault.enqueue(...hours.map(() => responses.metaExchange()));
      const summary = await runCheckExpiring(h.deps(), { days: 7, autoRefresh: true, concurrency: 1 });
      expect(summary).toMatchObject({ checked: 6, autoRefreshed: 6, refreshFailed: 0, errors: 0, remaining: 0, budgetExhausted: false });
      expect(fault.requests.map(exchanged)).toEqual([...hours].sort((a, b) => a - b).map((h_) => `EAA-ends-in-${h_}h`));
    });

    it('keeps at most `concurrency` renewals in flight at the provider', async () => {
      for (let i = 0; i < 10; i += 1) await facebook(`EAA-fleet-${i}`, 24 + i);
      fault.enqueue(...Array.from({ length: 10 }, () => ({ ...responses.metaExchange(), delayMs: 150 })));
      const summary = await runCheckExpiring(h.deps(), { days: 7, autoRefresh: true, concurrency: 3 });
      expect(summary).toMatchObject({ checked: 10, autoRefreshed: 10, remaining: 0 });
      expect(fault.requests).toHaveLength(10);
      expect(fault.maxInFlight()).toBe(3);
    });

    it('stops starting connections when its time budget is spent: renewals in flight finish and are recorded', async () => {
      const ids: string[] = [];
      for (let i = 0; i < 8; i += 1) ids.push(await facebook(`EAA-budget-${i}`, 24 + i));
      fault.enqueue(...Array.from({ length: 8 }, () => ({ ...responses.metaExchange(), delayMs: 300 })));
      const summary = await runCheckExpiring(h.deps(), { days: 7, autoRefresh: true, concurrency: 2, timeBudgetMs: 450 });

      expect(summary.budgetExhausted).toBe(true);
      const started = fault.requests.length;
      expect(started).toBeGreaterThanOrEqual(2);
      expect(summary.remaining).toBeGreaterThan(0);
      expect(summary).toMatchObject({ checked: 8, autoRefreshed: started, refreshFailed: 0, errors: 0, remaining: 8 - started });
      // Every renewal that was started reached its end and was written: new expiry and a log row.
      const logs = await h.t.db.query<{ integration_id: string }>(`select integration_id from public.token_refresh_logs where integration_id = any($1::uuid[])`, [ids]);
      expect(logs).toHaveLength(started);
      // The soonest ends were the ones reached.
      expect(new Set(logs.map((log) => log.integration_id))).toEqual(new Set(ids.slice(0, started)));
      for (const [index, id] of ids.entries()) {
        const row = await h.row(id);
        if (index < started) expect(row.expires_at!.getTime()).toBeGreaterThan(Date.now() + 50 * DAY);
        else expect(row.expires_at!.getTime()).toBeLessThan(Date.now() + 2 * DAY);
      }
    });

    it("warns each connection right after its own renewal: A's warning is written before B's renewal starts, whatever happens to B", async () => {
      const a = await facebook('EAA-first', 20);
      const b = await facebook('EAA-second', 40);
      const c = await facebook('EAA-third', 60);
      // A's renewal fails (Meta is down for it, all three tries): A still ends soon and is warned.
      fault.enqueue(responses.serviceUnavailable(), responses.serviceUnavailable(), responses.serviceUnavailable());
      let seenAtB: { warned: number; emails: number; logs: number } | null = null;
      fault.onRequest(async (request) => {
        if (exchanged(request) !== 'EAA-second') return;
        // What a crash at this moment would leave: A renewed (or tried) and warned, all of it written.
        const [state] = await h.t.db.query<{ warned: number; emails: number; logs: number }>(
          `select (select count(*)::int from public.notifications where integration_id = $1 and type = 'integration_token_expiring') as warned,
                  (select count(*)::int from public.email_outbox where integration_id = $1) as emails,
                  (select count(*)::int from public.token_refresh_logs where integration_id = $1) as logs`,
          [a],
        );
        seenAtB = state ?? null;
      });
      // B's result is refused by the database (a test trigger on this test's own database).
      await h.t.db.exec(`
        create function public.test_refuse_b() returns trigger language plpgsql as $$
        begin
          if new.integration_id = '${b}' then raise exception 'refused for this test'; end if;
          return new;
        end $$;
        create trigger test_refuse_b before insert on public.token_refresh_logs for each row execute function public.test_refuse_b();`);
      try {
        // B's exchange succeeds at Meta but cannot be recorded; C's succeeds.
        fault.enqueue(responses.metaExchange(), responses.metaExchange());
        const summary = await runCheckExpiring(h.deps(), { days: 7, autoRefresh: true, concurrency: 1 });

        expect(seenAtB).toEqual({ warned: 1, emails: 1, logs: 1 });
        expect(summary).toMatchObject({ checked: 3, autoRefreshed: 1, refreshFailed: 1, errors: 1, warned: 1, remaining: 0 });
        // C, after B's failure, was renewed all the same.
        expect((await h.row(c)).expires_at!.getTime()).toBeGreaterThan(Date.now() + 50 * DAY);
        expect(fault.requests.map(exchanged)).toEqual(['EAA-first', 'EAA-first', 'EAA-first', 'EAA-second', 'EAA-third']);
      } finally {
        await h.t.db.exec(`drop trigger test_refuse_b on public.token_refresh_logs; drop function public.test_refuse_b();`);
      }
    });
  });
});

describe('the expiry steps (docs/contracts.md §5), with an injected clock', () => {
  let fault: FaultProvider;
  let h: RefreshHarness;
  const HOUR = 3_600_000;

  beforeAll(async () => {
    fault = await startFaultProvider();
    // Any call to the provider is a test bug here: nothing in these cases may be renewed.
    fault.setFallback(responses.oauthError(400, 'unscripted_request'));
    h = await createRefreshHarness([
      { id: 'facebook', tokenUrl: `${fault.url}/oauth/access_token`, ...CLIENT, clientAuth: 'client_secret_post' },
      { id: 'google', tokenUrl: fault.tokenUrl, ...CLIENT },
    ]);
  });
  afterAll(async () => {
    await h?.close();
    await fault?.close();
  });
  beforeEach(async () => {
    await h.t.db.exec(`delete from public.integrations; delete from public.notifications; delete from public.email_outbox; delete from public.webhook_deliveries;`);
    fault.requests.length = 0;
  });

  interface Told {
    notes: { dedupe_key: string; severity: string; step: string | null }[];
    emails: number;
  }
  async function told(id: string): Promise<Told> {
    const notes = await h.t.db.query<{ dedupe_key: string; severity: string; step: string | null }>(
      `select dedupe_key, severity, metadata->>'severity' as step from public.notifications
       where integration_id = $1 and type = 'integration_token_expiring' order by created_at, dedupe_key`,
      [id],
    );
    const [emails] = await h.t.db.query<{ count: number }>(`select count(*)::int as count from public.email_outbox where integration_id = $1`, [id]);
    return { notes, emails: emails!.count };
  }

  it('tells each step once at its boundary (6 d 23 h, 3 d, 2 d 23 h, 1 d, 23 h), by email only at urgent and critical, and the pass the 2-hour step', async () => {
    const org = await insertOrganization(h.t.db, `Steps ${Date.now()}`, [{ userId: h.userId, role: 'owner' }]);
    await createWebhookEndpoint(
      h.t.db,
      h.keyRing,
      org,
      webhookEndpointInputSchema.parse({ url: 'https://hooks.example.com/steps', events: ['integration.expiring'] }),
      { actor: 'test:expiry-steps' },
    );
    // A long-lived Meta token nothing renews (auto-refresh off) ends at `end`.
    const id = await h.seed({ provider: 'facebook', refreshToken: null, expiresIn: 30 * 86_400, organizationId: org });
    const end = new Date(Math.floor(Date.now() / HOUR) * HOUR + 30 * 86_400_000);
    await h.t.db.query(`update public.integrations set expires_at = $2, refresh_due_at = null where id = $1`, [id, end.toISOString()]);
    const date = end.toISOString().slice(0, 10);
    const at = (hoursBefore: number) => new Date(end.getTime() - hoursBefore * HOUR);
    const check = (hoursBefore: number) => runCheckExpiring(h.deps({ now: () => at(hoursBefore) }), { days: 7, autoRefresh: false });
    const key = (step: string) => `expiring/${id}/${date}/${step}`;

    // 6 d 23 h: `warning`, in-app and webhook, no email.
    expect(await check(6 * 24 + 23)).toMatchObject({ warned: 1, notificationsCreated: 1, emailsQueued: 0, webhooksQueued: 1 });
    expect(await told(id)).toEqual({ notes: [{ dedupe_key: key('warning'), severity: 'warning', step: 'warning' }], emails: 0 });
    // Exactly 3 days left is still `warning`: nothing new.
    expect(await check(72)).toMatchObject({ warned: 0, notificationsCreated: 0, emailsQueued: 0, webhooksQueued: 0 });
    // 2 d 23 h: `urgent`, with an email.
    expect(await check(71)).toMatchObject({ warned: 1, notificationsCreated: 1, emailsQueued: 1, webhooksQueued: 1 });
    // A second check at the same step says nothing new.
    expect(await check(70)).toMatchObject({ warned: 0, notificationsCreated: 0, emailsQueued: 0 });
    // Exactly 1 day left is still `urgent`; 23 hours is `critical`, with an email.
    expect(await check(24)).toMatchObject({ warned: 0, notificationsCreated: 0 });
    expect(await check(23)).toMatchObject({ warned: 1, notificationsCreated: 1, emailsQueued: 1, webhooksQueued: 1 });
    // The daily check at 5 hours: still the 1-day `critical`, told already.
    expect(await check(5)).toMatchObject({ warned: 0, notificationsCreated: 0 });

    // The 5-minute pass: nothing at exactly 2 hours, the 2-hour `critical` just under it, once.
    const pass = (hoursBefore: number) => h.pass({}, { now: () => at(hoursBefore) });
    expect((await pass(2)).expiryNotices).toBe(0);
    expect((await pass(2 - 1 / 60)).expiryNotices).toBe(1);
    expect((await pass(1.5)).expiryNotices).toBe(0);
    expect(fault.requests).toHaveLength(0);

    expect(await told(id)).toEqual({
      notes: [
        { dedupe_key: key('warning'), severity: 'warning', step: 'warning' },
        { dedupe_key: key('urgent'), severity: 'warning', step: 'urgent' },
        { dedupe_key: key('critical'), severity: 'critical', step: 'critical' },
        { dedupe_key: key('critical-2h'), severity: 'critical', step: 'critical' },
      ],
      emails: 3,
    });
    const hooks = await h.t.db.query<{ severity: string }>(
      `select payload->'data'->>'severity' as severity from public.webhook_deliveries where event_type = 'integration.expiring' order by created_at`,
    );
    expect(hooks.map((hook) => hook.severity)).toEqual(['warning', 'urgent', 'critical', 'critical']);
    const emails = await h.t.db.query<{ title: string }>(`select payload->>'title' as title from public.email_outbox where integration_id = $1 order by created_at`, [id]);
    expect(emails.map((email) => email.title)).toEqual([
      'Facebook connection expires in 2 days',
      'Facebook connection expires in 23 hours',
      'Facebook connection expires in 1 hour',
    ]);
  });

  it('starts over for a new end date', async () => {
    const id = await h.seed({ provider: 'facebook', refreshToken: null, expiresIn: 5 * 86_400 });
    const deps = h.deps();
    expect(await runCheckExpiring(deps, { days: 7, autoRefresh: false })).toMatchObject({ warned: 1 });
    // Reconnected (or renewed by hand): a new end, 6 days away. The same step is owed again.
    await h.t.db.query(`update public.integrations set expires_at = now() + interval '6 days' where id = $1`, [id]);
    expect(await runCheckExpiring(deps, { days: 7, autoRefresh: false })).toMatchObject({ warned: 1 });
    expect((await told(id)).notes.map((note) => note.step)).toEqual(['warning', 'warning']);
  });

  it('leaves connections the 5-minute refresh renews out of the 2-hour step', async () => {
    const id = await h.seed({ provider: 'google', expiresIn: 3600 });
    const summary = await h.pass({}, { now: () => new Date(Date.now() + 60_000) });
    expect(summary.expiryNotices).toBe(0);
    expect((await told(id)).notes).toEqual([]);
  });

  it('tells the people in-app, once per renewal, when the check renews a long-lived token', async () => {
    const answer = responses.metaExchange();
    fault.enqueue(answer);
    const id = await h.seed({ provider: 'facebook', refreshToken: null, expiresIn: 2 * 86_400 });
    const summary = await runCheckExpiring(h.deps(), { days: 7, autoRefresh: true });
    expect(summary).toMatchObject({ autoRefreshed: 1, warned: 0, emailsQueued: 0 });
    const notes = await h.t.db.query<{ type: string; severity: string; metadata: { expires_at: string } }>(
      `select type, severity, metadata from public.notifications where integration_id = $1`,
      [id],
    );
    expect(notes).toHaveLength(1);
    expect(notes[0]).toMatchObject({ type: 'integration_token_refreshed', severity: 'success' });
    expect(new Date(notes[0]!.metadata.expires_at).getTime()).toBe((await h.row(id)).expires_at!.getTime());
    expect(await h.t.db.query(`select 1 from public.email_outbox where integration_id = $1`, [id])).toHaveLength(0);
    expect(await h.t.db.query(`select 1 from public.webhook_deliveries`)).toHaveLength(0);
  });
});
