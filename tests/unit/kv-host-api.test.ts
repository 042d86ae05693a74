import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { configurePlatformLimits, platformLimiter, PLATFORM_LIMITS } from '../../lib/tokenwarden';
import { getAppLimiter, getKv } from '../../lib/runtime';
import { getEnv } from '../../lib/env';

/** Host code's face of the §6 limiter, on the process's store (in-process here: no KV configured). */
describe('platformLimiter from lib/tokenwarden', () => {
  it('runs on the process store, and configurePlatformLimits changes the table', async () => {
    expect(getKv().kind).toBe(process.env.KV_REST_API_URL ? 'kv' : 'memory');
    expect(getKv()).toBe(getKv());
    const key = `integration-${randomUUID()}`;
    expect(await platformLimiter.attempt('instagram', key)).toMatchObject({ allowed: true, limit: 200, remaining: PLATFORM_LIMITS.meta.burst - 1 });
    expect(await platformLimiter.remaining('meta', key)).toMatchObject({ remaining: 49, limit: 200 });
    configurePlatformLimits({ meta: { burst: 1 } });
    const other = `integration-${randomUUID()}`;
    expect((await platformLimiter.attempt('meta', other)).allowed).toBe(true);
    expect((await platformLimiter.waitUntilReady('meta', other, 0)).allowed).toBe(false);
    await platformLimiter.penalize('meta', other, 5);
    await platformLimiter.reset('meta', other);
    expect((await platformLimiter.attempt('meta', other)).allowed).toBe(true);
    expect(getAppLimiter().limitOf('api').limit).toBe(getEnv().API_RATE_LIMIT_PER_MINUTE);
  });
});
