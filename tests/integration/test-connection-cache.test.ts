import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createRefreshHarness, type RefreshHarness } from '../support/refresh-harness';
import { startFaultProvider, type FaultProvider } from '../support/fault-provider';
import { startLocalHttpServer, type LocalHttpServer } from '../support/local-http-server';
import { MemoryStore } from '../../lib/kv/store';
import { createCache, type KvCache } from '../../lib/kv/cache';
import { HEALTHY_VERDICT_TTL_SECONDS, FAILING_VERDICT_TTL_SECONDS, testConnection, verdictCacheKey } from '../../lib/connect/test-connection';
import { createPlatformLimiter, type PlatformLimiter } from '../../lib/kv/platform-limiter';

/**
 * Test connection's verdict cache (lib/connect/test-connection.ts): a verdict belongs to the
 * tokens it judged. A reconnect (or any token change: token_version + 1) must not be answered
 * with the verdict of the tokens it replaced, failing (10 s) or healthy (30 s).
 */

const CLIENT = { clientId: 'tw-tc', clientSecret: 'tw-tc-secret' };

describe('testConnection verdict cache', () => {
  let h: RefreshHarness;
  let fault: FaultProvider;
  let api: LocalHttpServer;
  let cache: KvCache;
  let limiter: PlatformLimiter;
  /** The clock of the cache's store and of the verdicts (checked_at), moved by the tests. */
  let clock: number;
  const statuses: number[] = [];
  const headers: Record<string, string>[] = [];
  let calls = 0;

  beforeAll(async () => {
    fault = await startFaultProvider();
    api = await startLocalHttpServer('health api', async (_req: IncomingMessage, res: ServerResponse) => {
      calls += 1;
      res.writeHead(statuses.shift() ?? 200, { 'content-type': 'application/json', ...headers.shift() });
      res.end('{}');
    });
    h = await createRefreshHarness([
      { id: 'health_crm', name: 'Health CRM', tokenUrl: fault.tokenUrl, ...CLIENT, healthCheckUrl: `${api.url}/me` },
      // LinkedIn: a §6 platform (100 per day, burst 20).
      { id: 'linkedin', tokenUrl: fault.tokenUrl, ...CLIENT, clientAuth: 'client_secret_post', healthCheckUrl: `${api.url}/v2/userinfo` },
    ]);
  });
  afterAll(async () => {
    await h?.close();
    await fault?.close();
    await api?.close();
  });
  beforeEach(() => {
    statuses.length = 0;
    headers.length = 0;
    calls = 0;
    clock = Date.parse('2026-03-18T14:03:12.000Z');
    cache = createCache(new MemoryStore(() => clock));
    limiter = createPlatformLimiter(new MemoryStore());
  });

  const deps = () => ({ ...h.deps({ now: () => new Date(clock) }), cache, platformLimiter: limiter });
  const bumpTokenVersion = (id: string) => h.t.db.query(`update public.integrations set token_version = token_version + 1 where id = $1`, [id]);

  it('answers a second press from the cache while the tokens are the same', async () => {
    const id = await h.seed({ provider: 'health_crm', accessToken: 'at-1', expiresIn: 3600 });
    expect(await testConnection(deps(), id)).toMatchObject({ healthy: true, cached: false });
    expect(await testConnection(deps(), id)).toMatchObject({ healthy: true, cached: true });
    expect(calls).toBe(1);
  });

  it('does not answer new tokens with the failing verdict of the old ones', async () => {
    const id = await h.seed({ provider: 'health_crm', accessToken: 'at-2', expiresIn: 3600 });
    statuses.push(503);
    expect(await testConnection(deps(), id)).toMatchObject({ healthy: false, http_status: 503, cached: false });
    await bumpTokenVersion(id);
    expect(await testConnection(deps(), id)).toMatchObject({ healthy: true, cached: false });
    expect(calls).toBe(2);
  });

  it('does not answer new tokens with the healthy verdict of the old ones', async () => {
    const id = await h.seed({ provider: 'health_crm', accessToken: 'at-3', expiresIn: 3600 });
    expect(await testConnection(deps(), id)).toMatchObject({ healthy: true, cached: false });
    await bumpTokenVersion(id);
    statuses.push(503);
    expect(await testConnection(deps(), id)).toMatchObject({ healthy: false, cached: false });
  });

  it("counts the live call against the connection's platform limit, and refuses without calling when it is used up", async () => {
    const id = await h.seed({ provider: 'linkedin', accessToken: 'at-li', expiresIn: 3600 });
    expect(await testConnection(deps(), id)).toMatchObject({ healthy: true, cached: false });
    expect((await limiter.remaining('linkedin', id)).remaining).toBe(19);
    await bumpTokenVersion(id);
    for (let call = 0; call < 19; call += 1) await limiter.attempt('linkedin', id);
    expect(await testConnection(deps(), id)).toMatchObject({ healthy: false, error: 'rate_limited', cached: false });
    expect(calls).toBe(1);
  });

  it("feeds the provider's 429 Retry-After back into the platform limiter", async () => {
    const id = await h.seed({ provider: 'linkedin', accessToken: 'at-li-busy', expiresIn: 3600 });
    statuses.push(429);
    headers.push({ 'retry-after': '120' });
    expect(await testConnection(deps(), id)).toMatchObject({ healthy: false, http_status: 429 });
    const next = await limiter.attempt('linkedin', id);
    expect(next.allowed).toBe(false);
    expect(next.retryAfterSeconds).toBeGreaterThan(100);
  });

  it('says when the provider was asked: checked_at of the live call, kept by the cached answer', async () => {
    const id = await h.seed({ provider: 'health_crm', accessToken: 'at-when', expiresIn: 3600 });
    const first = await testConnection(deps(), id);
    expect(first).toEqual({ healthy: true, http_status: 200, checked_at: '2026-03-18T14:03:12.000Z', cached: false });
    clock += 5_000;
    expect(await testConnection(deps(), id)).toEqual({ ...first, cached: true });
    expect(calls).toBe(1);
  });

  it('answers a new checked_at once the healthy verdict expires', async () => {
    const id = await h.seed({ provider: 'health_crm', accessToken: 'at-expire', expiresIn: 3600 });
    const first = await testConnection(deps(), id);
    clock += HEALTHY_VERDICT_TTL_SECONDS * 1000 - 1;
    expect(await testConnection(deps(), id)).toMatchObject({ checked_at: first!.checked_at, cached: true });
    clock += 1;
    expect(await testConnection(deps(), id)).toEqual({ healthy: true, http_status: 200, checked_at: new Date(clock).toISOString(), cached: false });
    expect(calls).toBe(2);
  });

  it('answers a new checked_at once the failing verdict expires, and for new tokens', async () => {
    const id = await h.seed({ provider: 'health_crm', accessToken: 'at-fail-when', expiresIn: 3600 });
    statuses.push(503, 503);
    const first = await testConnection(deps(), id);
    expect(first).toMatchObject({ healthy: false, http_status: 503, checked_at: '2026-03-18T14:03:12.000Z', cached: false });
    clock += FAILING_VERDICT_TTL_SECONDS * 1000;
    expect(await testConnection(deps(), id)).toMatchObject({ healthy: false, checked_at: new Date(clock).toISOString(), cached: false });
    clock += 1_000;
    await bumpTokenVersion(id);
    expect(await testConnection(deps(), id)).toEqual({ healthy: true, http_status: 200, checked_at: new Date(clock).toISOString(), cached: false });
    expect(calls).toBe(3);
  });

  it('takes a cache entry written before checked_at existed for a miss, and tests afresh', async () => {
    const id = await h.seed({ provider: 'health_crm', accessToken: 'at-old-entry', expiresIn: 3600 });
    const [row] = await h.t.db.query<{ token_version: number }>(`select token_version from public.integrations where id = $1`, [id]);
    await cache.set(verdictCacheKey(id, row!.token_version), { healthy: false, http_status: 503 }, HEALTHY_VERDICT_TTL_SECONDS);
    expect(await testConnection(deps(), id)).toEqual({ healthy: true, http_status: 200, checked_at: '2026-03-18T14:03:12.000Z', cached: false });
    expect(calls).toBe(1);
    // The fresh verdict replaced the old entry.
    expect(await testConnection(deps(), id)).toMatchObject({ healthy: true, cached: true });
    expect(calls).toBe(1);
  });
});
