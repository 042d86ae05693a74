import { Ratelimit } from '@upstash/ratelimit';
import { decisionOf, type LimitDecision } from './decision';
import { kvCall } from './errors';
import { keySegment } from './keys';
import { createOutageLog, type OutageLog } from './kv-log';
import { PLATFORM_ALIASES, PLATFORM_LIMITS, type PlatformLimit, type PlatformLimitOverrides } from './limits';
import type { KvStore } from './store';

export interface PlatformRemaining {
  remaining: number;
  reset_at: Date;
  limit: number;
}

export interface PlatformLimiter {
  /** Takes one call from `key`'s allowance at `platform` (key: the connection, or host code's own key). */
  attempt(platform: string, key: string): Promise<LimitDecision>;
  /** What `key` may still call now, without taking any. */
  remaining(platform: string, key: string): Promise<PlatformRemaining>;
  /**
   * attempt(), and while refused, sleeps until the refusal's reset and tries again, for at most
   * `maxWaitSeconds`. Never polls: it sleeps until the moment a call can be allowed, and when
   * that moment is beyond the bound it answers the refusal at once instead of waiting for nothing.
   */
  waitUntilReady(platform: string, key: string, maxWaitSeconds: number): Promise<LimitDecision>;
  /** Forgets `key`'s use and any penalty at `platform`. */
  reset(platform: string, key: string): Promise<void>;
  /** The provider answered 429 with Retry-After: nothing goes to it for `key` until then. */
  penalize(platform: string, key: string, retryAfterSeconds: number): Promise<void>;
  /** The platform's limit as configured, or undefined for a platform the table does not list (not limited). */
  limitOf(platform: string): PlatformLimit | undefined;
}

export class UnknownPlatformError extends Error {
  constructor(readonly platform: string) {
    super(`No rate limit is configured for platform "${platform}" (docs/contracts.md §6)`);
    this.name = 'UnknownPlatformError';
  }
}

const PREFIX = 'tw:platform';
/** A refusal whose reset has passed is retried no sooner than this: never a tight loop. */
const MIN_SLEEP_MS = 50;

/**
 * The §6 platform limits as token buckets (@upstash/ratelimit's tokenBucket): capacity = burst,
 * refilled one call at a time at limit per period (meta: one every 18 s). Chosen over a short
 * window because the providers meter a rolling rate: a bucket lets a quiet connection make its
 * burst at once and then paces it evenly, where a window would let the whole burst go out again
 * at every window's start, the pattern that draws a provider's 429. One atomic script per call.
 * The price: right after a quiet spell, one period can see up to burst + limit calls; a provider
 * that minds answers 429, and its Retry-After is fed back through penalize().
 *
 * Fails open when KV is down (one log line per outage): the provider still enforces its own
 * quota, and refusing host code's calls because our KV is down would turn an outage of ours
 * into an outage of theirs.
 */
export function createPlatformLimiter(
  store: KvStore,
  overrides: PlatformLimitOverrides = {},
  options: { log?: OutageLog; sleep?: (ms: number) => Promise<void> } = {},
): PlatformLimiter {
  const log = options.log ?? createOutageLog('platform-limit');
  const sleep = options.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));
  const table = resolveTable(overrides);
  const limiters = new Map<string, Ratelimit>();

  const canonical = (platform: string): string => (PLATFORM_ALIASES as Record<string, string>)[platform] ?? platform;
  const configOf = (platform: string): { name: string; config: PlatformLimit; intervalMs: number } => {
    const name = canonical(platform);
    const config = table.get(name);
    if (!config) throw new UnknownPlatformError(platform);
    return { name, config, intervalMs: Math.max(1, Math.round((config.periodSeconds * 1000) / config.limit)) };
  };
  const limiterOf = (platform: string): Ratelimit => {
    const { name, config, intervalMs } = configOf(platform);
    let limiter = limiters.get(name);
    if (!limiter) {
      limiter = new Ratelimit({
        redis: store,
        limiter: Ratelimit.tokenBucket(1, `${intervalMs} ms`, config.burst),
        prefix: `${PREFIX}:${name}`,
        timeout: 0,
        ephemeralCache: false,
        analytics: false,
        enableTelemetry: false,
      });
      limiters.set(name, limiter);
    }
    return limiter;
  };
  const bucketKey = (name: string, key: string) => `${PREFIX}:${name}:${keySegment(key)}`;
  const penaltyKey = (name: string, key: string) => `${PREFIX}-penalty:${name}:${keySegment(key)}`;

  const penaltyUntil = async (name: string, key: string): Promise<number> => {
    const until = await store.get<number>(penaltyKey(name, key));
    return typeof until === 'number' && until > Date.now() ? until : 0;
  };

  const attempt = async (platform: string, key: string): Promise<LimitDecision> => {
    const { name, config } = configOf(platform);
    const limiter = limiterOf(platform);
    try {
      // Both at once (one round trip with the KV client's auto-pipelining); a call taken while
      // a penalty holds is given back.
      const [until, result] = await kvCall(`platform limit ${name}`, () =>
        Promise.all([penaltyUntil(name, key), limiter.limit(keySegment(key))]),
      );
      const at = Date.now();
      if (until > 0) {
        if (result.success) await kvCall(`platform limit ${name}`, () => limiter.limit(keySegment(key), { rate: -1 }));
        return decisionOf(false, config.limit, 0, until, at);
      }
      return decisionOf(result.success, config.limit, result.remaining, result.reset, at);
    } catch (error) {
      log.failed(`platform limit ${name} failed open`, error);
      return { ...decisionOf(true, config.limit, config.burst, Date.now(), Date.now()), unchecked: true };
    }
  };

  return {
    attempt,
    limitOf(platform) {
      return table.get(canonical(platform));
    },
    async remaining(platform, key) {
      const { name, config, intervalMs } = configOf(platform);
      try {
        const [until, raw] = await kvCall(`platform remaining ${name}`, () =>
          Promise.all([penaltyUntil(name, key), limiterOf(platform).getRemaining(keySegment(key))]),
        );
        if (until > 0) return { remaining: 0, reset_at: new Date(until), limit: config.limit };
        // The stored bucket is as of its last refill; add the refills since, as the next attempt will.
        const now = Date.now();
        const refilledAt = raw.reset - intervalMs;
        const refills = Math.max(0, Math.floor((now - refilledAt) / intervalMs));
        const remaining = Math.min(config.burst, raw.remaining + refills);
        return { remaining, reset_at: new Date(refilledAt + (refills + 1) * intervalMs), limit: config.limit };
      } catch (error) {
        log.failed(`platform remaining ${name} failed open`, error);
        return { remaining: config.burst, reset_at: new Date(), limit: config.limit };
      }
    },
    async waitUntilReady(platform, key, maxWaitSeconds) {
      if (!(maxWaitSeconds >= 0)) throw new RangeError('maxWaitSeconds must be 0 or more');
      const deadline = Date.now() + maxWaitSeconds * 1000;
      for (;;) {
        const decision = await attempt(platform, key);
        if (decision.allowed) return decision;
        const wakeAt = decision.resetAt.getTime();
        if (wakeAt > deadline) return decision;
        await sleep(Math.max(MIN_SLEEP_MS, wakeAt - Date.now()));
        if (Date.now() > deadline + MIN_SLEEP_MS) return attempt(platform, key);
      }
    },
    async reset(platform, key) {
      const { name } = configOf(platform);
      await kvCall(`platform reset ${name}`, () => store.del(bucketKey(name, key), penaltyKey(name, key)));
    },
    async penalize(platform, key, retryAfterSeconds) {
      const { name } = configOf(platform);
      if (!(retryAfterSeconds > 0)) return;
      const ms = Math.ceil(retryAfterSeconds * 1000);
      try {
        await kvCall(`platform penalize ${name}`, () => store.set(penaltyKey(name, key), Date.now() + ms, { px: ms }));
      } catch (error) {
        // Open, as the limit itself: the provider keeps refusing until then anyway.
        log.failed(`platform penalty ${name} not stored`, error);
      }
    },
  };
}

function resolveTable(overrides: PlatformLimitOverrides): Map<string, PlatformLimit> {
  const table = new Map<string, PlatformLimit>(Object.entries(PLATFORM_LIMITS).map(([name, limit]) => [name, { ...limit }]));
  for (const [platform, change] of Object.entries(overrides)) {
    const name = (PLATFORM_ALIASES as Record<string, string>)[platform] ?? platform;
    const merged = { ...table.get(name), ...change };
    for (const field of ['limit', 'periodSeconds', 'burst'] as const) {
      const value = merged[field];
      if (typeof value !== 'number' || !Number.isInteger(value) || value < 1) {
        throw new RangeError(`platform limit override for "${platform}": ${field} must be a whole number of at least 1`);
      }
    }
    table.set(name, merged as PlatformLimit);
  }
  return table;
}
