import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import request from 'supertest';
import { KeyRing } from '../../lib/crypto/key-ring';
import { createTestDatabase, type TestDatabase } from '../support/database';
import { ensureBuild, freePort, startNext, type RunningServer, supabaseServerEnv } from '../support/next-server';
import { insertIntegration, insertOrganization, insertUser } from '../support/fixtures';
import { startSupabaseAuthMock, type MockSupabaseAuth, type MockUser } from '../support/supabase-auth-mock';
import { startFaultProvider, responses, type FaultProvider } from '../support/fault-provider';
import { startLocalHttpServer, type LocalHttpServer } from '../support/local-http-server';

/**
 * Refresh now and Test connection over real HTTP (next start, the in-process KV store since
 * KV_REST_API_URL is unset, Supabase Auth mocked at its HTTP API, the provider's token and
 * health-check endpoints local): docs/contracts.md §3's outcome, verdict and 429 contract,
 * who may, the per-client limits a client cannot escape with its own x-forwarded-for, and
 * bearer sessions that do not cost Supabase Auth a call per request.
 */
describe('refresh and test routes (next start)', () => {
  let t: TestDatabase;
  let server: RunningServer;
  let auth: MockSupabaseAuth;
  let ring: KeyRing;
  let fault: FaultProvider;
  let health: LocalHttpServer;
  let owner: MockUser;
  let stranger: MockUser;
  /** An admin of the organization who uses up their Refresh now budget. */
  let refresher: MockUser;
  let orgId: string;
  /** Access tokens the health-check endpoints accept. */
  const valid = new Set<string>();
  const healthCalls: { path: string; token: string }[] = [];
  const CLIENT = { clientId: 'tw-e2e-routes', clientSecret: 'tw-e2e-routes-secret' };

  const user = async (email: string): Promise<MockUser> => ({ id: await insertUser(t.db, email), email });
  const bearer = (who: MockUser) => `Bearer ${auth.accessToken(who)}`;
  const token = () => `at-${randomBytes(10).toString('hex')}`;
  const connection = (provider: string, accessToken: string, userId = owner.id) =>
    insertIntegration(t.db, ring, { userId, organizationId: orgId, provider, accessToken, refreshToken: `rt-${randomBytes(8).toString('hex')}` });

  beforeAll(async () => {
    ensureBuild();
    t = await createTestDatabase();
    auth = await startSupabaseAuthMock();
    fault = await startFaultProvider();
    health = await startLocalHttpServer('health checks', async (req, res) => {
      const presented = (req.headers.authorization ?? '').replace(/^Bearer /, '');
      healthCalls.push({ path: req.url ?? '', token: presented });
      const ok = valid.has(presented);
      res.setHeader('content-type', 'application/json');
      if (req.url === '/slack/auth.test') {
        // Slack's auth.test: HTTP 200 either way, the verdict in `ok` (https://api.slack.com/methods/auth.test).
        res.end(JSON.stringify(ok ? { ok: true, url: 'https://example.slack.com/', team: 'Example', user: 'u', team_id: 'T1', user_id: 'U1' } : { ok: false, error: 'invalid_auth' }));
        return;
      }
      res.statusCode = ok ? 200 : 401;
      res.end(JSON.stringify(ok ? { id: 'me' } : { error: 'invalid_token' }));
    });
    const key = randomBytes(32);
    ring = new KeyRing([{ id: 'k1', key }]);
    owner = await user('owner@example.com');
    stranger = await user('stranger@example.com');
    refresher = await user('refresher@example.com');
    orgId = await insertOrganization(t.db, 'Routes', [
      { userId: owner.id, role: 'owner' },
      { userId: refresher.id, role: 'admin' },
    ]);
    await insertOrganization(t.db, 'Elsewhere', [{ userId: stranger.id, role: 'owner' }]);
    const providersFile = join(mkdtempSync(join(tmpdir(), 'tw-routes-')), 'providers.json');
    writeFileSync(
      providersFile,
      JSON.stringify({
        providers: [
          { id: 'localcrm', name: 'Local CRM', tokenUrl: fault.tokenUrl, healthCheckUrl: `${health.url}/crm/me`, ...CLIENT, clientAuth: 'client_secret_basic' },
          { id: 'nohealth', name: 'No Health', tokenUrl: fault.tokenUrl, ...CLIENT, clientAuth: 'client_secret_basic' },
          { id: 'slack', tokenUrl: fault.tokenUrl, healthCheckUrl: `${health.url}/slack/auth.test`, ...CLIENT },
        ],
      }),
    );
    server = await startNext(supabaseServerEnv({ databaseUrl: t.url ?? undefined, auth, key }, { TOKENWARDEN_PROVIDERS_FILE: providersFile }), await freePort());
  }, 240_000);

  afterAll(async () => {
    await server?.stop();
    await health?.close();
    await fault?.close();
    await auth?.close();
    await t?.drop();
  });

  const refresh = (id: string, who: MockUser) => request(server.url).post(`/api/integrations/${id}/refresh`).set('Authorization', bearer(who));
  const test = (id: string, who: MockUser) => request(server.url).post(`/api/integrations/${id}/test`).set('Authorization', bearer(who));

  function expectLimitHeaders(response: request.Response, limit: number, remaining: number) {
    expect(response.headers['x-ratelimit-limit']).toBe(String(limit));
    expect(response.headers['x-ratelimit-remaining']).toBe(String(remaining));
    expect(Number(response.headers['x-ratelimit-reset'])).toBeGreaterThan(Date.now() / 1000);
    expect(Number(response.headers['x-ratelimit-reset'])).toBeLessThanOrEqual(Date.now() / 1000 + 3600 + 1);
  }

  it('refreshes now with trigger manual, audited, answering the outcome and never a token; the 6th call in an hour is 429', async () => {
    const id = await connection('localcrm', token());
    const fresh = token();
    fault.enqueue(responses.tokens({ accessToken: fresh, refreshToken: 'rt-next' }));
    const first = await refresh(id, refresher);
    expect(first.status).toBe(200);
    expect(first.body).toEqual({ outcome: 'refreshed', status: 'connected', expires_at: expect.any(String), last_refreshed_at: expect.any(String) });
    expect(new Date(first.body.expires_at).getTime()).toBeGreaterThan(Date.now() + 3000_000);
    expect(first.text).not.toContain(fresh);
    expect(first.headers['cache-control']).toBe('no-store');
    expectLimitHeaders(first, 5, 4);
    const logs = await t.db.query<{ trigger: string; outcome: string }>(`select trigger, outcome from public.token_refresh_logs where integration_id = $1`, [id]);
    expect(logs).toEqual([{ trigger: 'manual', outcome: 'refreshed' }]);
    const audit = await t.db.query<{ actor: string; metadata: unknown }>(`select actor, metadata from public.audit_log where target_id = $1 and action = 'integration.refreshed'`, [id]);
    expect(audit).toEqual([{ actor: `user:${refresher.id}`, metadata: { provider: 'localcrm', outcome: 'refreshed' } }]);

    for (let call = 2; call <= 5; call += 1) {
      fault.enqueue(responses.tokens({ refreshToken: `rt-${call}` }));
      const response = await refresh(id, refresher);
      expect(response.status).toBe(200);
      expectLimitHeaders(response, 5, 5 - call);
    }
    const sixth = await refresh(id, refresher);
    expect(sixth.status).toBe(429);
    expectLimitHeaders(sixth, 5, 0);
    expect(sixth.body).toEqual({
      error: 'Rate limit exceeded',
      message: expect.stringMatching(/^Limit of 5 reached; try again in \d+ seconds?\.$/),
      retry_after: Number(sixth.headers['retry-after']),
      reset_at: new Date(Number(sixth.headers['x-ratelimit-reset']) * 1000).toISOString(),
      limit: 5,
    });
    expect(sixth.body.retry_after).toBeGreaterThan(0);
    expect(sixth.body.retry_after).toBeLessThanOrEqual(3600);
    // The refused call never reached the engine.
    expect(await t.db.query(`select 1 from public.token_refresh_logs where integration_id = $1`, [id])).toHaveLength(5);
  });

  it('answers 409 with reconnect_url when the provider refuses the grant', async () => {
    const id = await connection('localcrm', token());
    fault.enqueue(responses.oauthError(400, 'invalid_grant'));
    const response = await refresh(id, owner);
    expect(response.status).toBe(409);
    expect(response.body).toMatchObject({ error: 'reconnect_required', outcome: 'auth_failure', status: 'needs_reauthorization', reconnect_url: expect.stringContaining(`/integrations/${id}/reconnect`) });
  });

  it('answers 404 to a stranger on both routes, changing nothing', async () => {
    const id = await connection('localcrm', token());
    for (const response of [await refresh(id, stranger), await test(id, stranger)]) {
      expect(response.status).toBe(404);
      expect(response.body).toEqual({ error: 'Not found' });
    }
    expect(await t.db.query(`select 1 from public.token_refresh_logs where integration_id = $1`, [id])).toHaveLength(0);
  });

  it('tests a healthy connection live, then answers the cached verdict', async () => {
    const accessToken = token();
    valid.add(accessToken);
    const id = await connection('localcrm', accessToken);
    healthCalls.length = 0;
    const before = Date.now();
    const first = await test(id, owner);
    expect(first.status).toBe(200);
    expect(first.body).toEqual({ healthy: true, checked_at: expect.any(String), http_status: 200, cached: false });
    // checked_at: ISO-8601 UTC, the moment of the live call (within this request).
    const checkedAt = String(first.body.checked_at);
    expect(new Date(checkedAt).toISOString()).toBe(checkedAt);
    expect(Date.parse(checkedAt)).toBeGreaterThanOrEqual(before);
    expect(Date.parse(checkedAt)).toBeLessThanOrEqual(Date.now());
    expect(first.headers['x-ratelimit-limit']).toBe('30');
    // The cached answer keeps the live call's checked_at.
    const second = await test(id, owner);
    expect(second.body).toEqual({ ...first.body, cached: true });
    expect(healthCalls).toEqual([{ path: '/crm/me', token: accessToken }]);
  });

  it('a 401 from the health check triggers one refresh and one retry, so the verdict and the status agree', async () => {
    const id = await connection('localcrm', token());
    const fresh = token();
    valid.add(fresh);
    fault.enqueue(responses.tokens({ accessToken: fresh, refreshToken: 'rt-after-401' }));
    healthCalls.length = 0;
    const response = await test(id, owner);
    expect(response.body).toEqual({ healthy: true, checked_at: expect.any(String), http_status: 200, cached: false });
    expect(healthCalls.map((call) => call.token)).toHaveLength(2);
    expect(healthCalls[1]!.token).toBe(fresh);
    const logs = await t.db.query<{ trigger: string }>(`select trigger from public.token_refresh_logs where integration_id = $1`, [id]);
    expect(logs).toEqual([{ trigger: 'on_demand' }]);

    // A refresh the provider refuses: unhealthy, and the connection now says reconnect.
    const broken = await connection('localcrm', token());
    fault.enqueue(responses.oauthError(400, 'invalid_grant'));
    const failing = await test(broken, owner);
    expect(failing.body).toEqual({ healthy: false, checked_at: expect.any(String), http_status: 401, error: 'needs_reauthorization', cached: false });
    const [row] = await t.db.query<{ status: string }>(`select status from public.integrations where id = $1`, [broken]);
    expect(row!.status).toBe('needs_reauthorization');
  });

  it("reads Slack's 200 ok:false as a refused token (refresh, retry), by the provider's data", async () => {
    const id = await connection('slack', token());
    const fresh = `xoxe.xoxp-${randomBytes(8).toString('hex')}`;
    valid.add(fresh);
    fault.enqueue({ status: 200, json: { ok: true, access_token: fresh, token_type: 'user', expires_in: 43200, refresh_token: `xoxe-1-${randomBytes(8).toString('hex')}`, scope: 'users:read' } });
    healthCalls.length = 0;
    const response = await test(id, owner);
    expect(response.body).toEqual({ healthy: true, checked_at: expect.any(String), http_status: 200, cached: false });
    expect(healthCalls).toHaveLength(2);
  });

  it('answers 422 naming healthCheckUrl for a provider without one', async () => {
    const id = await connection('nohealth', token());
    const response = await test(id, owner);
    expect(response.status).toBe(422);
    expect(response.body).toEqual({ error: 'Invalid input', field: 'healthCheckUrl', message: expect.stringContaining('No Health has no healthCheckUrl') });
  });

  it('limits sign-in and connect start per client: new x-forwarded-for values do not escape the limit', async () => {
    for (const [method, path] of [
      ['post', '/api/auth/local-sign-in'],
      ['get', '/connect/localcrm'],
    ] as const) {
      for (let call = 1; call <= 20; call += 1) {
        const response = await request(server.url)[method](path).set('x-forwarded-for', `203.0.113.${call}`).set('x-real-ip', `198.51.100.${call}`);
        expect(response.status).not.toBe(429);
        expect(response.headers['x-ratelimit-limit']).toBe('20');
      }
      const escaped = await request(server.url)[method](path).set('x-forwarded-for', '192.0.2.77');
      expect(escaped.status).toBe(429);
      expect(escaped.headers['retry-after']).toBe(String(escaped.body.retry_after));
      expect(escaped.body).toMatchObject({ error: 'Rate limit exceeded', limit: 20 });
    }
  });

  it('never sends a garbage bearer to Supabase Auth, and verifies a remote-verified session once, not per request', async () => {
    auth.requests.length = 0;
    for (let call = 0; call < 3; call += 1) {
      const response = await request(server.url).get('/api/notifications').set('Authorization', 'Bearer not-a-jwt');
      expect(response.status).toBe(401);
    }
    expect(auth.requests).toEqual([]);

    // HS256 (a legacy symmetric key): getClaims asks Supabase Auth; the second request is answered from the cache.
    const legacy = auth.accessToken(owner, { alg: 'HS256' });
    for (let call = 0; call < 3; call += 1) {
      expect((await request(server.url).get('/api/notifications').set('Authorization', `Bearer ${legacy}`)).status).toBe(200);
    }
    expect(auth.requests.filter((seen) => seen.path === '/auth/v1/user')).toHaveLength(1);

    // A forged HS256 token: refused by Supabase Auth once, then refused from the cache.
    const forged = auth.accessToken(owner, { alg: 'HS256', forged: true });
    auth.requests.length = 0;
    for (let call = 0; call < 3; call += 1) {
      expect((await request(server.url).get('/api/notifications').set('Authorization', `Bearer ${forged}`)).status).toBe(401);
    }
    expect(auth.requests.filter((seen) => seen.path === '/auth/v1/user')).toHaveLength(1);
  });
});

/**
 * KV configured but unreachable (a closed port): the routes' limits fail closed with 503
 * `rate_limit_unavailable` and the route does not run; the session cache fails open, so a
 * signed-in request still answers (README, "Rate limits on Tokenwarden's own routes").
 */
describe('KV down (next start, KV_REST_API_URL on a closed port)', () => {
  let t: TestDatabase;
  let server: RunningServer;
  let auth: MockSupabaseAuth;
  let ring: KeyRing;
  let owner: MockUser;

  beforeAll(async () => {
    ensureBuild();
    t = await createTestDatabase();
    auth = await startSupabaseAuthMock();
    const key = randomBytes(32);
    ring = new KeyRing([{ id: 'k1', key }]);
    owner = { id: await insertUser(t.db, 'down@example.com'), email: 'down@example.com' };
    server = await startNext(supabaseServerEnv({ databaseUrl: t.url ?? undefined, auth, key }, { KV_REST_API_URL: `http://127.0.0.1:${await freePort()}`, KV_REST_API_TOKEN: 'kv-token' }), await freePort());
  }, 240_000);

  afterAll(async () => {
    await server?.stop();
    await auth?.close();
    await t?.drop();
  });

  it('refuses Refresh now, Test connection, sign-in and connect start with 503, and still serves a signed-in read', async () => {
    const id = await insertIntegration(t.db, ring, { userId: owner.id, provider: 'google' });
    const authorization = `Bearer ${auth.accessToken(owner)}`;
    for (const path of [`/api/integrations/${id}/refresh`, `/api/integrations/${id}/test`]) {
      const response = await request(server.url).post(path).set('Authorization', authorization);
      expect(response.status).toBe(503);
      expect(response.body).toEqual({ error: 'rate_limit_unavailable', message: expect.stringContaining('unreachable') });
    }
    expect((await request(server.url).post('/api/auth/local-sign-in')).status).toBe(503);
    expect((await request(server.url).get('/connect/google')).status).toBe(503);
    expect(await t.db.query(`select 1 from public.token_refresh_logs where integration_id = $1`, [id])).toHaveLength(0);
    const read = await request(server.url).get('/api/notifications').set('Authorization', authorization);
    expect(read.status).toBe(200);
  });
});
