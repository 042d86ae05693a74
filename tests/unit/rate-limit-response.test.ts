import { describe, expect, it, vi } from 'vitest';
import { createWithUser, NotFoundError, type WithUserDeps } from '../../lib/auth/with-user';
import { rateLimited, type AppLimiter, type LimitDecision, type RateLimitDeps } from '../../lib/auth/rate-limit-response';
import type { SessionUser } from '../../lib/auth/session';

/**
 * The 429 contract of docs/contracts.md §3 at the wrapper: headers exact on success and
 * refusal, the body exact, Retry-After equal to retry_after, 503 when a fail-closed limit's
 * store is down. The limiter is a stand-in answering fixed decisions (its real counting is
 * lib/kv's and tested there and end to end over next start).
 */

const RESET = new Date('2026-12-02T01:00:00.000Z');
const RESET_EPOCH = String(RESET.getTime() / 1000);
const alice: SessionUser = { id: 'u-alice', email: 'alice@example.com', via: 'supabase_bearer' };

class StoreDown extends Error {}

function fakeLimiter(decisions: LimitDecision[]): AppLimiter & { calls: [string, string][] } {
  const calls: [string, string][] = [];
  return {
    calls,
    async check(name, key) {
      calls.push([name, key]);
      const next = decisions.shift();
      if (!next) throw new StoreDown('down');
      return next;
    },
  };
}

const allowed = (remaining: number): LimitDecision => ({ allowed: true, limit: 5, remaining, resetAt: RESET, retryAfterSeconds: 0 });
const refused: LimitDecision = { allowed: false, limit: 5, remaining: 0, resetAt: RESET, retryAfterSeconds: 1234.2 };

function route(limiter: AppLimiter, handler: () => Promise<object> = async () => ({ ok: true })) {
  const rateLimit: RateLimitDeps = { limiter, isUnavailable: (error) => error instanceof StoreDown };
  const deps: WithUserDeps = { resolveUser: async () => alice, organizationRole: async () => null, rateLimit };
  return createWithUser(() => deps)({ limit: 'manual_refresh' }, handler);
}

const call = (handler: ReturnType<typeof route>) => handler(new Request('http://app.test/api/x', { method: 'POST' }), { params: Promise.resolve({}) });

describe('withUser limit option', () => {
  it('keys the limit on the user and sends the three headers on a success', async () => {
    const limiter = fakeLimiter([allowed(4)]);
    const response = await call(route(limiter));
    expect(response.status).toBe(200);
    expect(limiter.calls).toEqual([['manual_refresh', 'user:u-alice']]);
    expect(response.headers.get('x-ratelimit-limit')).toBe('5');
    expect(response.headers.get('x-ratelimit-remaining')).toBe('4');
    expect(response.headers.get('x-ratelimit-reset')).toBe(RESET_EPOCH);
    expect(response.headers.get('retry-after')).toBeNull();
    expect(response.headers.get('cache-control')).toBe('no-store');
  });

  it('sends the headers on a handler error too (404)', async () => {
    const response = await call(route(fakeLimiter([allowed(2)]), async () => { throw new NotFoundError(); }));
    expect(response.status).toBe(404);
    expect(response.headers.get('x-ratelimit-remaining')).toBe('2');
  });

  it('answers 429 with the exact body, Retry-After equal to retry_after, and never runs the handler', async () => {
    const handler = vi.fn(async () => ({ ok: true }));
    const response = await call(route(fakeLimiter([refused]), handler));
    expect(response.status).toBe(429);
    expect(handler).not.toHaveBeenCalled();
    expect(await response.json()).toEqual({
      error: 'Rate limit exceeded',
      message: 'Limit of 5 reached; try again in 1235 seconds.',
      retry_after: 1235,
      reset_at: '2026-12-02T01:00:00.000Z',
      limit: 5,
    });
    expect(response.headers.get('retry-after')).toBe('1235');
    expect(response.headers.get('x-ratelimit-limit')).toBe('5');
    expect(response.headers.get('x-ratelimit-remaining')).toBe('0');
    expect(response.headers.get('x-ratelimit-reset')).toBe(RESET_EPOCH);
    expect(response.headers.get('cache-control')).toBe('no-store');
  });

  it('answers 503 rate_limit_unavailable when the store is down (fail closed), never running the handler', async () => {
    const handler = vi.fn(async () => ({ ok: true }));
    const response = await call(route(fakeLimiter([]), handler));
    expect(response.status).toBe(503);
    expect(handler).not.toHaveBeenCalled();
    expect(await response.json()).toEqual({
      error: 'rate_limit_unavailable',
      message: 'The rate limit store is unreachable, so this limited action is refused; try again shortly.',
    });
  });
});

describe('rateLimited', () => {
  it('puts the headers on an immutable redirect', async () => {
    const deps: RateLimitDeps = { limiter: fakeLimiter([allowed(19)]), isUnavailable: () => false };
    const response = await rateLimited(deps, 'connect_start', 'ip:1', async () => Response.redirect('http://app.test/next', 302));
    expect(response.status).toBe(302);
    expect(response.headers.get('location')).toBe('http://app.test/next');
    expect(response.headers.get('x-ratelimit-remaining')).toBe('19');
  });

  it("answers 500 with the headers when the route's own work throws (the routes outside withUser)", async () => {
    const deps: RateLimitDeps = { limiter: fakeLimiter([allowed(3)]), isUnavailable: () => false };
    const errors = vi.spyOn(console, 'error').mockImplementation(() => undefined);
    const response = await rateLimited(deps, 'sign_in', 'ip:1', async () => {
      throw new Error('database gone');
    });
    errors.mockRestore();
    expect(response.status).toBe(500);
    expect(await response.json()).toEqual({ error: 'Internal error' });
    expect(response.headers.get('x-ratelimit-limit')).toBe('5');
    expect(response.headers.get('x-ratelimit-remaining')).toBe('3');
    expect(response.headers.get('x-ratelimit-reset')).toBe(RESET_EPOCH);
  });

  it('rethrows an error that is not the store being down', async () => {
    const limiter: AppLimiter = { check: async () => { throw new TypeError('bug'); } };
    await expect(rateLimited({ limiter, isUnavailable: () => false }, 'sign_in', 'k', async () => new Response())).rejects.toThrow('bug');
  });
});
