import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomBytes } from 'node:crypto';
import request from 'supertest';
import { createTestDatabase, type TestDatabase } from '../support/database';
import { ensureBuild, freePort, startNext, type RunningServer, supabaseServerEnv } from '../support/next-server';
import { insertIntegration, insertUser, testKeyRing } from '../support/fixtures';
import { startSupabaseAuthMock, supabaseSessionCookie, type MockSupabaseAuth, type MockUser } from '../support/supabase-auth-mock';

/**
 * The operator console over real HTTP (next start, Supabase Auth mocked at its HTTP API): 404
 * for everyone but a verified operator (signed out included) on the pages and the POST routes,
 * the trigger runs a pass and answers its summary, Retry re-queues a failed email, cross-site 403.
 */
describe('operator console (next start)', () => {
  let t: TestDatabase;
  let server: RunningServer;
  let auth: MockSupabaseAuth;
  let operator: MockUser;
  let member: MockUser;
  let integrationId: string;

  const PAGES = ['/admin', '/admin/logs', '/admin/stats', '/admin/providers', '/admin/operations'];
  const ROUTES = ['/api/admin/refresh', '/api/admin/redrive'];
  const bearer = (who: MockUser) => `Bearer ${auth.accessToken(who)}`;

  beforeAll(async () => {
    ensureBuild();
    t = await createTestDatabase();
    auth = await startSupabaseAuthMock();
    operator = { id: await insertUser(t.db, 'dana@example.com'), email: 'dana@example.com' };
    member = { id: await insertUser(t.db, 'member@example.com'), email: 'member@example.com' };
    await t.db.query(`update auth.users set email_confirmed_at = now() where id in ($1, $2)`, [operator.id, member.id]);
    integrationId = await insertIntegration(t.db, testKeyRing(), { userId: member.id, provider: 'google' });
    await t.db.query(
      `insert into public.token_refresh_logs (integration_id, provider, trigger, outcome, error_code, duration_ms, created_at)
       values ($1, 'google', 'cron', 'refreshed', null, 120, now() - interval '2 hours'),
              ($1, 'google', 'cron', 'auth_failure', 'invalid_grant', 340, now() - interval '1 hour')`,
      [integrationId],
    );
    server = await startNext(supabaseServerEnv({ databaseUrl: t.url ?? undefined, auth }, { OPERATOR_EMAILS: 'dana@example.com' }), await freePort());
  }, 240_000);

  afterAll(async () => {
    await server?.stop();
    await auth?.close();
    await t?.drop();
  });

  it('answers 404 to a member and to the signed out, on every page and POST route', async () => {
    for (const path of PAGES) {
      expect((await request(server.url).get(path).set('Authorization', bearer(member))).status, path).toBe(404);
      expect((await request(server.url).get(path).redirects(0)).status, path).toBe(404);
    }
    for (const path of ROUTES) {
      const response = await request(server.url).post(path).set('Authorization', bearer(member)).send({ kind: 'all' });
      expect(response.status, path).toBe(404);
      expect(response.body).toEqual({ error: 'Not found' });
      expect((await request(server.url).post(path).set('Origin', server.url).send({})).status, path).toBe(404);
    }
  });

  it('answers 404, never 403 or 405, to anyone but an operator on the admin routes, whatever the method or origin', async () => {
    const memberCookie = supabaseSessionCookie(auth.url, auth.session(member));
    for (const path of ROUTES) {
      for (const method of ['get', 'put', 'delete'] as const) {
        expect((await request(server.url)[method](path)).status, `${method} ${path} signed out`).toBe(404);
        expect((await request(server.url)[method](path).set('Authorization', bearer(member))).status, `${method} ${path} member`).toBe(404);
      }
      // A cross-site probe must not learn that the route exists from withUser's 403.
      expect((await request(server.url).post(path).set('Origin', 'https://evil.example').send({})).status, path).toBe(404);
      expect((await request(server.url).post(path).set('Cookie', memberCookie).set('Origin', 'https://evil.example').send({ kind: 'all' })).status, path).toBe(404);
    }
    // The operator still gets the method's answer.
    expect((await request(server.url).get('/api/admin/refresh').set('Authorization', bearer(operator))).status).toBe(405);
  });

  it('links the console from the navigation only for an operator', async () => {
    expect((await request(server.url).get('/notifications').set('Authorization', bearer(member))).text).not.toContain('href="/admin"');
    expect((await request(server.url).get('/sign-in')).text).not.toContain('href="/admin"');
    expect((await request(server.url).get('/notifications').set('Authorization', bearer(operator))).text).toContain('href="/admin"');
  });

  it("names the nav's unread count in words inside the link (a span's aria-label is ignored)", async () => {
    await t.db.query(
      `insert into public.notifications (user_id, type, severity, title, message, metadata) values ($1, 'integration_warning', 'warning', 'Trouble', 'Retrying', '{"provider": "google"}')`,
      [member.id],
    );
    const page = await request(server.url).get('/notifications').set('Authorization', bearer(member));
    const link = /<a data-unread="1" href="\/notifications">(.*?)<\/a>/.exec(page.text)?.[1] ?? '';
    expect(link).toContain('<span class="visually-hidden">, 1 unread</span>');
    expect(link).toContain('<span class="count" aria-hidden="true">1</span>');
  });

  it('answers a bad notifications page number with words, not a 500', async () => {
    const huge = await request(server.url).get('/notifications?page=1e300').set('Authorization', bearer(member));
    expect(huge.status).toBe(200);
    expect(huge.text).toContain('Page must be a whole number; showing page 1.');
    expect((await request(server.url).get('/notifications?page=100001').set('Authorization', bearer(member))).text).toContain('Page must be at most 100000; showing page 1.');
    const words = await request(server.url).get('/notifications?page=two').set('Authorization', bearer(member));
    expect(words.text).toContain('Page must be a whole number; showing page 1.');
  });

  it('says which log filter is invalid instead of silently showing every row', async () => {
    const bad = await request(server.url).get('/admin/logs?organization=not-a-uuid&outcome=exploded').set('Authorization', bearer(operator));
    expect(bad.status).toBe(200);
    expect(bad.text).toContain('Organization id must be a UUID');
    expect(bad.text).toContain('Outcome must be one of');
    expect(bad.text).not.toContain('invalid_grant'); // no rows shown for a filter that was not applied
    const backwards = await request(server.url).get('/admin/logs?from=2026-03-02T00:00&to=2026-03-01T00:00').set('Authorization', bearer(operator));
    expect(backwards.text).toContain('From must be before To');
  });

  it('filters the logs by the connect and api triggers, named in words', async () => {
    await t.db.query(
      `insert into public.token_refresh_logs (integration_id, provider, trigger, outcome, error_code, duration_ms, created_at)
       values ($1, 'google', 'connect', 'refreshed', 'connect_marker', 15, now() - interval '3 hours'),
              ($1, 'google', 'api', 'refreshed', 'api_marker', 16, now() - interval '3 hours')`,
      [integrationId],
    );
    const connect = await request(server.url).get('/admin/logs?trigger=connect').set('Authorization', bearer(operator));
    expect(connect.text).not.toContain('Trigger must be one of');
    expect(connect.text).toContain('connect_marker');
    expect(connect.text).not.toContain('api_marker');
    expect(connect.text).toContain('<option value="api">Host API</option>');
    const api = await request(server.url).get('/admin/logs?trigger=api').set('Authorization', bearer(operator));
    expect(api.text).toContain('api_marker');
    expect(api.text).not.toContain('connect_marker');
    await t.db.query(`delete from public.token_refresh_logs where error_code in ('connect_marker', 'api_marker')`);
  });

  it('serves every page to the operator; logs filter and link to the connection, stats carry the SVG', async () => {
    for (const path of PAGES) expect((await request(server.url).get(path).set('Authorization', bearer(operator))).status, path).toBe(200);
    const logs = await request(server.url).get('/admin/logs?provider=google&outcome=auth_failure').set('Authorization', bearer(operator));
    expect(logs.text).toContain('invalid_grant');
    expect(logs.text).toContain(`/integrations/${integrationId}`);
    expect(logs.text).toContain('1 refresh attempt(s)');
    const stats = await request(server.url).get('/admin/stats').set('Authorization', bearer(operator));
    expect(stats.text).toContain('data-chart="outcomes-per-hour"');
    expect(stats.text).toContain('50.0 %');
    const providers = await request(server.url).get('/admin/providers').set('Authorization', bearer(operator));
    expect(providers.text).toContain('/api/connect/callback');
    expect(providers.text).toContain('invalid_grant');
  });

  it('runs a pass on the trigger, answers its summary and audits it', async () => {
    const response = await request(server.url).post('/api/admin/refresh').set('Authorization', bearer(operator)).send({ provider: 'google' });
    expect(response.status).toBe(200);
    expect(response.body).toMatchObject({ ok: true, claimed: expect.any(Number), refreshed: expect.any(Number) });
    const audit = await t.db.query<{ actor: string }>(`select actor from public.audit_log where action = 'refresh_pass.triggered'`);
    expect(audit).toEqual([{ actor: `user:${operator.id}` }]);
    const unknown = await request(server.url).post('/api/admin/refresh').set('Authorization', bearer(operator)).send({ provider: 'nope' });
    expect(unknown.status).toBe(400);
  });

  it('re-queues one failed email on Retry, and refuses a cross-site POST with 403', async () => {
    const [email] = await t.db.query<{ id: string }>(
      `insert into public.email_outbox (to_email, template, status, idempotency_key, attempts, last_error, last_attempt_at)
       values ('someone@example.com', 'integration_disconnected', 'failed', $1, 8, 'Resend 500', now()) returning id`,
      [`admin-test-${randomBytes(6).toString('hex')}`],
    );
    const cookie = supabaseSessionCookie(auth.url, auth.session(operator));
    const crossSite = await request(server.url).post('/api/admin/redrive').set('Cookie', cookie).set('Origin', 'https://evil.example').send({ kind: 'email', id: email!.id });
    expect(crossSite.status).toBe(403);
    const page = await request(server.url).get('/admin/operations').set('Cookie', cookie);
    expect(page.text).toContain('someone@example.com');
    // Each row's Retry says which email it retries: a screen reader tabbing the column hears them apart.
    expect(page.text).toContain('aria-label="Retry the integration_disconnected email to someone@example.com"');
    const retry = await request(server.url).post('/api/admin/redrive').set('Cookie', cookie).set('Origin', server.url).send({ kind: 'email', id: email!.id });
    expect(retry.status).toBe(200);
    expect(retry.body).toEqual({ ok: true, emails: 1 });
    const [row] = await t.db.query<{ status: string; attempts: number }>(`select status, attempts from public.email_outbox where id = $1`, [email!.id]);
    expect(row).toEqual({ status: 'pending', attempts: 0 });
    const audit = await t.db.query<{ action: string }>(`select action from public.audit_log where action = 'delivery.redriven' and target_id = $1`, [email!.id]);
    expect(audit).toHaveLength(1);
  });

  it('says when a delivery table shows only its first rows', async () => {
    await t.db.query(
      `insert into public.email_outbox (to_email, template, status, idempotency_key, attempts, last_error, last_attempt_at)
       select 'many' || n || '@example.com', 'integration_disconnected', 'failed', 'admin-many-' || n, 8, 'Resend 500', now() from generate_series(1, 60) n`,
    );
    const page = await request(server.url).get('/admin/operations').set('Authorization', bearer(operator));
    expect(page.text).toContain('Emails that failed or are being retried: the first 50');
    expect(page.text).toContain('Webhook deliveries that died or are being retried: 0');
  });
});
