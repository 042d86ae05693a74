import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAppLimiter } from '../../lib/kv/rate-limit';
import { createPlatformLimiter } from '../../lib/kv/platform-limiter';
import { createCache } from '../../lib/kv/cache';
import { createOutageLog } from '../../lib/kv/kv-log';
import { createKvClient, KvUnavailableError } from '../../lib/kv/store';
import { APP_LIMITS, type AppLimitName } from '../../lib/kv/limits';
import { REDIS_HOST, REDIS_PORT } from '../support/redis';
import { startTcpProxy, type TcpProxy } from '../support/tcp-proxy';
import { startUpstashBridge, type UpstashBridge } from '../support/upstash-bridge';
import { startLocalHttpServer, type LocalHttpServer } from '../support/local-http-server';
import { capturedLog } from '../support/kv-stores';

/**
 * KV down, each limit in its documented direction (lib/kv/limits.ts, README "KV"): Redis is cut
 * away from the bridge with a TCP proxy (the shared Redis itself is never touched), and a KV
 * that accepts connections but never answers is cut short by the client's timeout.
 */
describe('KV unreachable mid-test', () => {
  let proxy: TcpProxy;
  let bridge: UpstashBridge;
  beforeAll(async () => {
    proxy = await startTcpProxy({ host: REDIS_HOST, port: REDIS_PORT });
    bridge = await startUpstashBridge({ redis: { host: '127.0.0.1', port: proxy.port } });
  });
  afterAll(async () => {
    await bridge.close();
    await proxy.close();
  });

  it('fail-closed limits throw KvUnavailableError, fail-open ones answer allowed with one log line, the cache misses; all recover', async () => {
    const store = createKvClient({ url: bridge.url, token: bridge.token });
    const appLog = capturedLog();
    const platformLog = capturedLog();
    const cacheLog = capturedLog();
    const app = createAppLimiter(store, { apiRateLimitPerMinute: 100, log: createOutageLog('rate-limit', { write: appLog.write }) });
    const platform = createPlatformLimiter(store, {}, { log: createOutageLog('platform-limit', { write: platformLog.write }) });
    const cache = createCache(store, { log: createOutageLog('kv-cache', { write: cacheLog.write }) });
    const user = `user-${randomUUID()}`;
    const integration = `integration-${randomUUID()}`;

    expect((await app.check('manual_refresh', user)).remaining).toBe(4);
    expect((await platform.attempt('meta', integration)).remaining).toBe(49);
    await cache.set(`verdict-${user}`, { healthy: true }, 30);

    proxy.cut();
    const closed = (Object.keys(APP_LIMITS) as AppLimitName[]).filter((name) => APP_LIMITS[name].whenKvDown === 'closed');
    expect(closed).toEqual(['manual_refresh', 'test_connection', 'sign_in', 'connect_start']);
    for (const name of closed) {
      const error = await app.check(name, user).catch((caught: unknown) => caught);
      expect(error).toBeInstanceOf(KvUnavailableError);
      expect((error as KvUnavailableError).cause).toBeDefined();
      expect((error as Error).message).toContain(`limit ${name}`);
    }
    const api = [await app.check('api', 'key-1'), await app.check('api', 'key-1')];
    expect(api.map((d) => [d.allowed, d.unchecked])).toEqual([
      [true, true],
      [true, true],
    ]);
    expect(appLog.lines).toHaveLength(1);
    expect(appLog.lines[0]).toMatch(/^\[rate-limit\] limit api failed open: KV store unavailable/);

    const attempts = [await platform.attempt('meta', integration), await platform.attempt('meta', integration)];
    expect(attempts.every((d) => d.allowed && d.unchecked)).toBe(true);
    expect((await platform.waitUntilReady('meta', integration, 5)).allowed).toBe(true);
    expect(platformLog.lines).toHaveLength(1);
    expect(platformLog.lines[0]).toMatch(/^\[platform-limit\] platform limit meta failed open/);

    expect(await cache.get(`verdict-${user}`)).toBeUndefined();
    await cache.set(`verdict-${user}`, { healthy: false }, 30);
    expect(cacheLog.lines).toHaveLength(1);

    proxy.restore();
    expect((await app.check('manual_refresh', user)).remaining).toBe(3);
    expect((await platform.attempt('meta', integration)).remaining).toBe(48);
    expect(await cache.get(`verdict-${user}`)).toEqual({ healthy: true });
  });
});

describe('a KV that never answers', () => {
  let silent: LocalHttpServer;
  beforeAll(async () => {
    silent = await startLocalHttpServer('silent KV', () => new Promise<void>(() => {}));
  });
  afterAll(async () => {
    await silent.close();
  });

  it('every call is cut at the timeout: closed limits throw, open ones and the cache answer', async () => {
    const store = createKvClient({ url: silent.url, token: 'any', timeoutMs: 300 });
    const log = capturedLog();
    const app = createAppLimiter(store, { log: createOutageLog('rate-limit', { write: log.write }) });
    const cache = createCache(store, { log: createOutageLog('kv-cache', { write: () => {} }) });
    const started = Date.now();
    await expect(app.check('sign_in', '198.51.100.1')).rejects.toBeInstanceOf(KvUnavailableError);
    expect(Date.now() - started).toBeLessThan(1500);
    const again = Date.now();
    expect((await app.check('api', 'key')).allowed).toBe(true);
    expect(await cache.get('anything')).toBeUndefined();
    expect(Date.now() - again).toBeLessThan(2000);
    expect(log.lines).toHaveLength(1);
  });

  it('a wrong token is refused by the bridge: the store is unavailable, not a silent allow', async () => {
    const bridge = await startUpstashBridge();
    try {
      const store = createKvClient({ url: bridge.url, token: 'wrong' });
      await expect(createAppLimiter(store).check('manual_refresh', 'u')).rejects.toThrow(/Unauthorized/);
    } finally {
      await bridge.close();
    }
  });
});
