import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createRefreshHarness, type RefreshHarness } from '../support/refresh-harness';
import { startFaultProvider, responses, type FaultProvider } from '../support/fault-provider';
import { startLocalHttpServer, type LocalHttpServer } from '../support/local-http-server';
import { MemoryStore } from '../../lib/kv/store';
import { createPlatformLimiter, type PlatformLimiter } from '../../lib/kv/platform-limiter';
import { fetchWithIntegrationWith, RateLimitedError } from '../../lib/connect/fetch-with-integration';
import { TokenUnavailableError } from '../../lib/refresh/get-valid-access-token';

/**
 * fetchWithIntegration (docs/contracts.md §7) against a local provider API and a local token
 * endpoint, with the real refresh engine on a real database and lib/kv's in-process store:
 * one forced refresh and one retry after a 401 (never a loop), a provider 429's Retry-After
 * thrown and fed back into the platform limiter, the platform's own limit taken first.
 */

const CLIENT = { clientId: 'tw-fwi', clientSecret: 'tw-fwi-secret' };

type Scripted = { status: number; json?: unknown; headers?: Record<string, string> };

describe('fetchWithIntegration', () => {
  let h: RefreshHarness;
  let fault: FaultProvider;
  let api: LocalHttpServer;
  let limiter: PlatformLimiter;
  const seen: { path: string; authorization: string | undefined }[] = [];
  const script: Scripted[] = [];

  beforeAll(async () => {
    fault = await startFaultProvider();
    api = await startLocalHttpServer('provider api', async (req: IncomingMessage, res: ServerResponse) => {
      seen.push({ path: req.url ?? '', authorization: req.headers.authorization });
      const next = script.shift() ?? { status: 200, json: { id: 'me' } };
      res.writeHead(next.status, { 'content-type': 'application/json', ...next.headers });
      res.end(JSON.stringify(next.json ?? {}));
    });
    // LinkedIn: a §6 platform (100 per day, burst 20), its token endpoint the local one.
    h = await createRefreshHarness([
      { id: 'linkedin', tokenUrl: fault.tokenUrl, ...CLIENT, clientAuth: 'client_secret_post' },
      { id: 'unlimited_crm', name: 'Unlimited CRM', tokenUrl: fault.tokenUrl, ...CLIENT },
    ]);
  });
  afterAll(async () => {
    await h?.close();
    await fault?.close();
    await api?.close();
  });
  beforeEach(() => {
    seen.length = 0;
    script.length = 0;
    fault.requests.length = 0;
    fault.clearQueue();
    limiter = createPlatformLimiter(new MemoryStore());
  });

  const deps = () => ({ ...h.deps(), platformLimiter: limiter });
  const seedLinkedIn = (accessToken: string) => h.seed({ provider: 'linkedin', accessToken, expiresIn: 3600 });

  it('sends the current token and answers the provider response; one call taken from the platform limit', async () => {
    const id = await seedLinkedIn('at-current');
    const response = await fetchWithIntegrationWith(deps(), id, `${api.url}/v2/me`);
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ id: 'me' });
    expect(seen).toEqual([{ path: '/v2/me', authorization: 'Bearer at-current' }]);
    expect(fault.requests).toHaveLength(0);
    expect((await limiter.remaining('linkedin', id)).remaining).toBe(19);
  });

  it('after a 401: one forced refresh, one retry with the new token, and no loop when the retry is refused too', async () => {
    const id = await seedLinkedIn('at-stale');
    fault.enqueue(responses.tokens({ accessToken: 'at-fresh', refreshToken: 'rt-fresh' }));
    script.push({ status: 401, json: { error: 'invalid_token' } });
    const response = await fetchWithIntegrationWith(deps(), id, `${api.url}/v2/me`);
    expect(response.status).toBe(200);
    expect(seen.map((call) => call.authorization)).toEqual(['Bearer at-stale', 'Bearer at-fresh']);
    expect(fault.requests).toHaveLength(1);
    const [log] = await h.t.db.query<{ trigger: string; outcome: string }>(`select trigger, outcome from public.token_refresh_logs where integration_id = $1`, [id]);
    expect(log).toEqual({ trigger: 'on_demand', outcome: 'refreshed' });

    // 401 twice: one refresh, one retry, then the 401 is the caller's.
    seen.length = 0;
    fault.requests.length = 0;
    fault.enqueue(responses.tokens({ accessToken: 'at-fresher', refreshToken: 'rt-fresher' }));
    script.push({ status: 401 }, { status: 401 }, { status: 401 });
    const refused = await fetchWithIntegrationWith(deps(), id, `${api.url}/v2/me`);
    expect(refused.status).toBe(401);
    expect(seen).toHaveLength(2);
    expect(fault.requests).toHaveLength(1);
  });

  it('a refresh the provider refuses after a 401 is TokenUnavailableError with reconnectRequired', async () => {
    const id = await seedLinkedIn('at-revoked');
    fault.enqueue(responses.oauthError(400, 'invalid_grant'));
    script.push({ status: 401 });
    const error = await fetchWithIntegrationWith(deps(), id, `${api.url}/v2/me`).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(TokenUnavailableError);
    expect((error as TokenUnavailableError).reconnectRequired).toBe(true);
    expect(seen).toHaveLength(1);
  });

  it("throws RateLimitedError with the provider's Retry-After on a 429, and the limiter then refuses the connection", async () => {
    const id = await seedLinkedIn('at-busy');
    script.push({ status: 429, json: { message: 'Throttled' }, headers: { 'retry-after': '120' } });
    const error = await fetchWithIntegrationWith(deps(), id, `${api.url}/v2/me`).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(RateLimitedError);
    expect((error as RateLimitedError).retryAfterSeconds).toBe(120);
    expect((error as RateLimitedError).source).toBe('provider');

    // Penalised: the next call is refused here, without reaching the provider.
    seen.length = 0;
    const next = await fetchWithIntegrationWith(deps(), id, `${api.url}/v2/me`, {}, { maxWaitSeconds: 1 }).catch((caught: unknown) => caught);
    expect(next).toBeInstanceOf(RateLimitedError);
    expect((next as RateLimitedError).source).toBe('limiter');
    expect((next as RateLimitedError).retryAfterSeconds).toBeGreaterThan(100);
    expect(seen).toHaveLength(0);
    expect((await limiter.attempt('linkedin', id)).allowed).toBe(false);
  });

  it('takes the platform limit first: past the burst it waits at most its bound, then throws', async () => {
    const id = await seedLinkedIn('at-many');
    for (let call = 0; call < 20; call += 1) expect((await limiter.attempt('linkedin', id)).allowed).toBe(true);
    const started = Date.now();
    const error = await fetchWithIntegrationWith(deps(), id, `${api.url}/v2/me`, {}, { maxWaitSeconds: 1 }).catch((caught: unknown) => caught);
    expect(Date.now() - started).toBeLessThan(1_500);
    expect(error).toBeInstanceOf(RateLimitedError);
    expect((error as RateLimitedError).platform).toBe('linkedin');
    expect(seen).toHaveLength(0);
  });

  it('does not limit a provider of no §6 platform, and still honours its 429', async () => {
    const id = await h.seed({ provider: 'unlimited_crm', accessToken: 'at-crm', expiresIn: 3600 });
    for (let call = 0; call < 25; call += 1) {
      expect((await fetchWithIntegrationWith(deps(), id, `${api.url}/crm`)).status).toBe(200);
    }
    script.push({ status: 429, headers: { 'retry-after': '7' } });
    const error = await fetchWithIntegrationWith(deps(), id, `${api.url}/crm`).catch((caught: unknown) => caught);
    expect((error as RateLimitedError).retryAfterSeconds).toBe(7);
    expect((error as RateLimitedError).platform).toBeNull();
  });
});
