import { Ratelimit } from '@upstash/ratelimit';
import { decisionOf, type LimitDecision } from './decision';
import { kvCall, KvUnavailableError } from './errors';
import { keySegment } from './keys';
import { createOutageLog, type OutageLog } from './kv-log';
import { APP_LIMITS, DEFAULT_API_RATE_LIMIT_PER_MINUTE, type AppLimit, type AppLimitName } from './limits';
import type { KvStore } from './store';

export type { LimitDecision } from './decision';
export type { AppLimitName } from './limits';

export interface AppLimiter {
  /**
   * Counts one request of `key` (a user id, client IP or API key id) against the named limit.
   * Throws KvUnavailableError only for a fail-closed limit when KV cannot answer; a fail-open
   * limit answers allowed (`unchecked`) and logs one line per outage.
   */
  check(name: AppLimitName, key: string): Promise<LimitDecision>;
  /** Forgets `key`'s count in the current window (tests, operators). */
  reset(name: AppLimitName, key: string): Promise<void>;
  /** The limit as configured (the `api` entry with API_RATE_LIMIT_PER_MINUTE applied). */
  limitOf(name: AppLimitName): AppLimit;
}

export interface AppLimiterOptions {
  /** API_RATE_LIMIT_PER_MINUTE (docs/contracts.md §2); default 600. */
  apiRateLimitPerMinute?: number;
  log?: OutageLog;
}

const PREFIX = 'tw:limit';

/**
 * The app's own limits on @upstash/ratelimit's fixed window. Chosen over its sliding window
 * because the routes promise exact numbers: with a fixed window the count really is zero at
 * `X-RateLimit-Reset`, so `Retry-After` is the truth and `remaining` is an exact count, whereas
 * the sliding window's weighted previous window can still refuse a client that waited until the
 * reset it was told. The cost, at most twice the limit across one window boundary, is harmless
 * for limits that guard against scripts, not against a second request.
 */
export function createAppLimiter(store: KvStore, options: AppLimiterOptions = {}): AppLimiter {
  // Date.now, as @upstash/ratelimit reads the clock for its windows.
  const now = Date.now;
  const log = options.log ?? createOutageLog('rate-limit');
  const limits: Record<AppLimitName, AppLimit> = {
    ...APP_LIMITS,
    api: { ...APP_LIMITS.api, limit: options.apiRateLimitPerMinute ?? DEFAULT_API_RATE_LIMIT_PER_MINUTE },
  };
  const limiters = new Map<AppLimitName, Ratelimit>();
  const limiterOf = (name: AppLimitName): Ratelimit => {
    let limiter = limiters.get(name);
    if (!limiter) {
      const { limit, windowSeconds } = limits[name];
      limiter = new Ratelimit({
        redis: store,
        limiter: Ratelimit.fixedWindow(limit, `${windowSeconds} s`),
        prefix: `${PREFIX}:${name}`,
        // Off: its timeout answers "allowed" by itself, which a fail-closed limit must not; the
        // store's own timeout (lib/kv/store.ts) bounds every call instead.
        timeout: 0,
        // Off: a per-process memory of blocked keys would survive reset() and disagree between instances.
        ephemeralCache: false,
        analytics: false,
        enableTelemetry: false,
      });
      limiters.set(name, limiter);
    }
    return limiter;
  };

  return {
    limitOf: (name) => limits[name],
    async check(name, key) {
      const { limit, windowSeconds, whenKvDown } = limits[name];
      try {
        const result = await kvCall(`limit ${name}`, () => limiterOf(name).limit(keySegment(key)));
        return decisionOf(result.success, result.limit, result.remaining, result.reset, now());
      } catch (error) {
        const failure = error instanceof KvUnavailableError ? error : new KvUnavailableError(`limit ${name}`, { cause: error });
        if (whenKvDown === 'closed') throw failure;
        log.failed(`limit ${name} failed open`, failure);
        return { ...decisionOf(true, limit, limit, now() + windowSeconds * 1000, now()), unchecked: true };
      }
    },
    async reset(name, key) {
      const windowMs = limits[name].windowSeconds * 1000;
      // The fixed window's key, as @upstash/ratelimit names it: `${prefix}:${identifier}:${bucket}`.
      // Deleted directly: its resetUsedTokens SCANs the whole keyspace.
      const bucket = Math.floor(now() / windowMs);
      await kvCall(`reset ${name}`, () => store.del(`${PREFIX}:${name}:${keySegment(key)}:${bucket}`));
    },
  };
}
