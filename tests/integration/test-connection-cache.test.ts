import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createRefreshHarness, type RefreshHarness } from '../support/refresh-harness';
import { startFaultProvider, type FaultProvider } from '../support/fault-provider';
import { startLocalHttpServer, type LocalHttpServer } from '../support/local-http-server';
import { MemoryStore } from '../../lib/kv/store';
import { createCache, type KvCache } from '../../lib/kv/cache';
import { testConnection } from '../../lib/connect/test-connection';

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
  const statuses: number[] = [];
  let calls = 0;

  beforeAll(async () => {
    fault = await startFaultProvider();
    api = await startLocalHttpServer('health api', async (_req: IncomingMessage, res: ServerResponse) => {
      calls += 1;
      res.writeHead(statuses.shift() ?? 200, { 'content-type': 'application/json' });
      res.end('{}');
    });
    h = await createRefreshHarness([{ id: 'health_crm', name: 'Health CRM', tokenUrl: fault.tokenUrl, ...CLIENT, healthCheckUrl: `${api.url}/me` }]);
  });
  afterAll(async () => {
    await h?.close();
    await fault?.close();
    await api?.close();
  });
  beforeEach(() => {
    statuses.length = 0;
    calls = 0;
    cache = createCache(new MemoryStore());
  });

  const deps = () => ({ ...h.deps(), cache });
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
});
