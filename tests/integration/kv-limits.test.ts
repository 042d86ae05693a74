import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAppLimiter } from '../../lib/kv/rate-limit';
import { createPlatformLimiter, UnknownPlatformError } from '../../lib/kv/platform-limiter';
import { createCache } from '../../lib/kv/cache';
import { APP_LIMITS } from '../../lib/kv/limits';
import { countingStore, openStore, STORE_KINDS, type StoreUnderTest } from '../support/kv-stores';

/**
 * The same suite on both stores (docs/contracts.md §6): the real @vercel/kv client through the
 * Upstash bridge to the real Redis, and the in-process store. Keys are fresh per test: Redis is
 * shared and windows outlive a run.
 */
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const fresh = (label: string) => `${label}-${randomUUID()}`;

describe.each(STORE_KINDS)('KV limits and cache on the %s store', (kind) => {
  let t: StoreUnderTest;
  beforeAll(async () => {
    t = await openStore(kind);
  });
  afterAll(async () => {
    await t.close();
  });

  describe('app limits (fixed window)', () => {
    it('allows exactly the limit, with remaining counting down exactly, then refuses until the window resets', async () => {
      const limiter = createAppLimiter(t.store);
      const user = fresh('user');
      const windowMs = APP_LIMITS.manual_refresh.windowSeconds * 1000;
      const seen: number[] = [];
      for (let i = 0; i < 5; i += 1) {
        const decision = await limiter.check('manual_refresh', user);
        expect(decision.allowed).toBe(true);
        expect(decision.retryAfterSeconds).toBe(0);
        seen.push(decision.remaining);
      }
      expect(seen).toEqual([4, 3, 2, 1, 0]);
      const before = Date.now();
      const refused = await limiter.check('manual_refresh', user);
      const after = Date.now();
      expect(refused).toMatchObject({ allowed: false, limit: 5, remaining: 0 });
      // The window's end, and Retry-After in whole seconds up to it.
      expect(refused.resetAt.getTime()).toBe((Math.floor(before / windowMs) + 1) * windowMs);
      expect(refused.retryAfterSeconds).toBeGreaterThanOrEqual(Math.ceil((refused.resetAt.getTime() - after) / 1000));
      expect(refused.retryAfterSeconds).toBeLessThanOrEqual(Math.ceil((refused.resetAt.getTime() - before) / 1000));
      expect(refused.retryAfterSeconds).toBeGreaterThanOrEqual(1);
    });

    it('reset gives the key its whole limit back', async () => {
      const limiter = createAppLimiter(t.store);
      const ip = fresh('203.0.113.7');
      for (let i = 0; i < 20; i += 1) expect((await limiter.check('sign_in', ip)).allowed).toBe(true);
      expect((await limiter.check('sign_in', ip)).allowed).toBe(false);
      await limiter.reset('sign_in', ip);
      expect(await limiter.check('sign_in', ip)).toMatchObject({ allowed: true, remaining: 19 });
    });

    it('counts users, limits and look-alike keys apart', async () => {
      const limiter = createAppLimiter(t.store);
      const base = fresh('u');
      // `a:b` vs `a` then `b`, and a glob character: the key segment is encoded, so none collide.
      const keys = [base, `${base}:x`, `${base}*`, `${base}?`];
      for (let i = 0; i < 5; i += 1) await limiter.check('manual_refresh', base);
      expect((await limiter.check('manual_refresh', base)).allowed).toBe(false);
      for (const other of keys.slice(1)) expect(await limiter.check('manual_refresh', other)).toMatchObject({ allowed: true, remaining: 4 });
      expect(await limiter.check('test_connection', base)).toMatchObject({ allowed: true, remaining: 29 });
      await limiter.reset('manual_refresh', `${base}*`);
      expect((await limiter.check('manual_refresh', base)).allowed).toBe(false);
    });

    it('the api limit takes API_RATE_LIMIT_PER_MINUTE', async () => {
      const limiter = createAppLimiter(t.store, { apiRateLimitPerMinute: 3 });
      const key = fresh('key');
      expect(limiter.limitOf('api').limit).toBe(3);
      const decisions = [];
      for (let i = 0; i < 4; i += 1) decisions.push(await limiter.check('api', key));
      expect(decisions.map((d) => d.allowed)).toEqual([true, true, true, false]);
      expect(decisions[3]?.retryAfterSeconds).toBeLessThanOrEqual(60);
    });
  });

  describe('platform limiter (token bucket)', () => {
    it('lets the burst out at once, then refuses until the next call is refilled', async () => {
      // 3600 per hour: one call a second, burst 5.
      const limiter = createPlatformLimiter(t.store, { meta: { limit: 3600, periodSeconds: 3600, burst: 5 } });
      const key = fresh('integration');
      const remaining: number[] = [];
      for (let i = 0; i < 5; i += 1) {
        const decision = await limiter.attempt('meta', key);
        expect(decision.allowed).toBe(true);
        remaining.push(decision.remaining);
      }
      expect(remaining).toEqual([4, 3, 2, 1, 0]);
      const refused = await limiter.attempt('meta', key);
      expect(refused).toMatchObject({ allowed: false, limit: 3600, remaining: 0, retryAfterSeconds: 1 });
      expect(refused.resetAt.getTime() - Date.now()).toBeLessThanOrEqual(1000);
      expect(await limiter.remaining('meta', key)).toMatchObject({ remaining: 0, limit: 3600 });
    });

    it('refills at limit per period, and remaining counts the refills without taking any', async () => {
      // 10 per second: one call every 100 ms, burst 2.
      const limiter = createPlatformLimiter(t.store, { tiktok: { limit: 10, periodSeconds: 1, burst: 2 } });
      const key = fresh('integration');
      expect(await limiter.remaining('tiktok', key)).toMatchObject({ remaining: 2, limit: 10 });
      await limiter.attempt('tiktok', key);
      await limiter.attempt('tiktok', key);
      const refused = await limiter.attempt('tiktok', key);
      expect(refused.allowed).toBe(false);
      await sleep(Math.max(0, refused.resetAt.getTime() - Date.now()) + 20);
      expect((await limiter.remaining('tiktok', key)).remaining).toBe(1);
      expect((await limiter.remaining('tiktok', key)).remaining).toBe(1);
      expect(await limiter.attempt('tiktok', key)).toMatchObject({ allowed: true, remaining: 0 });
      await sleep(350);
      expect((await limiter.remaining('tiktok', key)).remaining).toBe(2);
    });

    it('waitUntilReady sleeps until the refill, within its bound, without polling', async () => {
      const counted = countingStore(t.store);
      // 5 per second: one call every 200 ms, burst 1.
      const limiter = createPlatformLimiter(counted.store, { snapchat: { limit: 5, periodSeconds: 1, burst: 1 } });
      const key = fresh('integration');
      expect((await limiter.attempt('snapchat', key)).allowed).toBe(true);
      const callsBefore = counted.calls();
      const started = Date.now();
      const decision = await limiter.waitUntilReady('snapchat', key, 2);
      const waited = Date.now() - started;
      expect(decision.allowed).toBe(true);
      expect(waited).toBeGreaterThanOrEqual(100);
      expect(waited).toBeLessThan(1000);
      // Two attempts (each: the penalty read and the bucket's script, maybe EVAL after NOSCRIPT).
      expect(counted.calls() - callsBefore).toBeLessThanOrEqual(6);
    });

    it('waitUntilReady answers a refusal at once when the refill lies beyond its bound', async () => {
      const counted = countingStore(t.store);
      const limiter = createPlatformLimiter(counted.store, { linkedin: { limit: 1, periodSeconds: 3600, burst: 1 } });
      const key = fresh('integration');
      await limiter.attempt('linkedin', key);
      const callsBefore = counted.calls();
      const started = Date.now();
      const decision = await limiter.waitUntilReady('linkedin', key, 1);
      expect(Date.now() - started).toBeLessThan(500);
      expect(decision).toMatchObject({ allowed: false });
      expect(decision.retryAfterSeconds).toBeGreaterThan(3500);
      expect(counted.calls() - callsBefore).toBeLessThanOrEqual(3);
    });

    it('a provider 429 fed back with penalize holds every call until its Retry-After, without spending the bucket', async () => {
      const limiter = createPlatformLimiter(t.store, { twitter: { limit: 300, periodSeconds: 900, burst: 3 } });
      const key = fresh('integration');
      await limiter.penalize('x', key, 1);
      const refused = await limiter.attempt('twitter', key);
      expect(refused).toMatchObject({ allowed: false, remaining: 0, retryAfterSeconds: 1 });
      expect((await limiter.remaining('twitter', key)).remaining).toBe(0);
      await sleep(1050);
      expect(await limiter.attempt('twitter', key)).toMatchObject({ allowed: true, remaining: 2 });
    });

    it('waitUntilReady waits out a short penalty', async () => {
      const limiter = createPlatformLimiter(t.store);
      const key = fresh('integration');
      await limiter.penalize('google_ads', key, 0.3);
      const started = Date.now();
      expect((await limiter.waitUntilReady('google_ads', key, 2)).allowed).toBe(true);
      expect(Date.now() - started).toBeGreaterThanOrEqual(250);
    });

    it('reset forgets use and penalty', async () => {
      const limiter = createPlatformLimiter(t.store, { meta: { burst: 2 } });
      const key = fresh('integration');
      await limiter.attempt('meta', key);
      await limiter.attempt('meta', key);
      await limiter.penalize('meta', key, 60);
      expect((await limiter.attempt('meta', key)).allowed).toBe(false);
      await limiter.reset('meta', key);
      expect(await limiter.attempt('meta', key)).toMatchObject({ allowed: true, remaining: 1, limit: 200 });
    });

    it('aliases share one platform; other platforms and keys never collide', async () => {
      const limiter = createPlatformLimiter(t.store, { meta: { burst: 2 }, tiktok: { burst: 2 } });
      const key = fresh('integration');
      await limiter.attempt('facebook', key);
      await limiter.attempt('instagram', key);
      expect((await limiter.attempt('meta', key)).allowed).toBe(false);
      expect((await limiter.attempt('tiktok', key)).allowed).toBe(true);
      expect((await limiter.attempt('meta', `${key}:other`)).allowed).toBe(true);
      expect(await limiter.remaining('meta', fresh('integration'))).toMatchObject({ remaining: 2, limit: 200 });
    });

    it('refuses a platform the table does not list, and bad overrides', async () => {
      const limiter = createPlatformLimiter(t.store, { acme: { limit: 10, periodSeconds: 60, burst: 2 } });
      expect(limiter.limitOf('acme')).toEqual({ limit: 10, periodSeconds: 60, burst: 2 });
      expect(limiter.limitOf('google')).toBeUndefined();
      await expect(limiter.attempt('google', 'k')).rejects.toBeInstanceOf(UnknownPlatformError);
      expect(() => createPlatformLimiter(t.store, { meta: { burst: 0 } })).toThrow(RangeError);
      expect(() => createPlatformLimiter(t.store, { acme: { limit: 10 } })).toThrow(/periodSeconds/);
    });
  });

  describe('cache', () => {
    it('keeps JSON values for their TTL, null included, and deletes', async () => {
      const cache = createCache(t.store);
      const key = fresh('verdict');
      expect(await cache.get(key)).toBeUndefined();
      await cache.set(key, { healthy: true, checkedAt: '2026-01-01T00:00:00.000Z', n: 3 }, 30);
      expect(await cache.get(key)).toEqual({ healthy: true, checkedAt: '2026-01-01T00:00:00.000Z', n: 3 });
      await cache.set(`${key}:null`, null, 30);
      expect(await cache.get(`${key}:null`)).toBeNull();
      await cache.set(`${key}:text`, 'plain "text"', 30);
      expect(await cache.get(`${key}:text`)).toBe('plain "text"');
      await cache.delete(key);
      expect(await cache.get(key)).toBeUndefined();
    });

    it('forgets a value when its TTL ends', async () => {
      const cache = createCache(t.store);
      const key = fresh('short');
      await cache.set(key, 'soon gone', 0.4);
      await cache.set(`${key}:long`, 'stays', 30);
      expect(await cache.get(key)).toBe('soon gone');
      await sleep(500);
      expect(await cache.get(key)).toBeUndefined();
      expect(await cache.get(`${key}:long`)).toBe('stays');
    });

    it('refuses a TTL that is not a positive number', async () => {
      const cache = createCache(t.store);
      await expect(cache.set('k', 1, 0)).rejects.toThrow(RangeError);
      await expect(cache.set('k', 1, Number.NaN)).rejects.toThrow(RangeError);
    });
  });
});
