/**
 * The limits of docs/contracts.md §6 as data. Platform limits protect the providers' quotas
 * (host code calls through lib/kv/platform-limiter.ts); app limits protect Tokenwarden's own
 * routes (lib/kv/rate-limit.ts).
 */

export interface PlatformLimit {
  /** Calls per period the provider allows one connection. */
  limit: number;
  periodSeconds: number;
  /** Calls that may go out back to back after a quiet spell (the token bucket's capacity). */
  burst: number;
}

export const PLATFORM_LIMITS = {
  meta: { limit: 200, periodSeconds: 60 * 60, burst: 50 },
  tiktok: { limit: 100, periodSeconds: 60 * 60, burst: 25 },
  linkedin: { limit: 100, periodSeconds: 24 * 60 * 60, burst: 20 },
  twitter: { limit: 300, periodSeconds: 15 * 60, burst: 100 },
  google_ads: { limit: 15000, periodSeconds: 24 * 60 * 60, burst: 500 },
  snapchat: { limit: 100, periodSeconds: 60 * 60, burst: 25 },
} as const satisfies Record<string, PlatformLimit>;

/**
 * Other names of the same platform: they share its limit and its counters (Facebook and
 * Instagram are both Meta's Graph API; X is Twitter's API).
 */
export const PLATFORM_ALIASES = {
  facebook: 'meta',
  instagram: 'meta',
  x: 'twitter',
} as const satisfies Record<string, keyof typeof PLATFORM_LIMITS>;

export type PlatformName = keyof typeof PLATFORM_LIMITS | keyof typeof PLATFORM_ALIASES;

/**
 * Host code's changes to the table, per platform (createPlatformLimiter's second argument):
 * some fields of a listed platform, or a whole entry for a platform the table does not list.
 */
export type PlatformLimitOverrides = Partial<Record<keyof typeof PLATFORM_LIMITS, Partial<PlatformLimit>>> & Record<string, Partial<PlatformLimit>>;

export type WhenKvDown = 'open' | 'closed';

export interface AppLimit {
  /** Requests per window; `api` takes API_RATE_LIMIT_PER_MINUTE instead (createAppLimiter). */
  limit: number;
  windowSeconds: number;
  keyedOn: 'user' | 'ip' | 'api_key';
  whenKvDown: WhenKvDown;
}

/** API_RATE_LIMIT_PER_MINUTE unset (docs/contracts.md §2). */
export const DEFAULT_API_RATE_LIMIT_PER_MINUTE = 600;

export const APP_LIMITS = {
  // Closed: each one makes a real refresh at the provider, which costs the connection's own
  // provider quota and can rotate its refresh token; an unlimited button while KV is down is the
  // abuse the limit exists for, and a 503 asks the person only to try again shortly.
  manual_refresh: { limit: 5, windowSeconds: 60 * 60, keyedOn: 'user', whenKvDown: 'closed' },
  // Closed: a live call to the provider with the user's token each time; the same reasoning.
  test_connection: { limit: 30, windowSeconds: 60 * 60, keyedOn: 'user', whenKvDown: 'closed' },
  // Closed: this limit is what stands between a password-guessing script and the sign-in;
  // refusing sign-ins for the minutes KV is down is the lesser harm.
  sign_in: { limit: 20, windowSeconds: 60, keyedOn: 'ip', whenKvDown: 'closed' },
  // Closed: each start writes a connect session and sends a browser to the provider; unlimited,
  // a script could fill the table and burn the app's standing with the provider.
  connect_start: { limit: 20, windowSeconds: 60, keyedOn: 'ip', whenKvDown: 'closed' },
  // Open (logged): the host app's own servers call /api/v1 to get tokens; refusing them because
  // our KV is down would break the host product for a fairness limit. Each key is already an
  // authenticated organization, and the routes are bounded by the database behind them.
  api: { limit: DEFAULT_API_RATE_LIMIT_PER_MINUTE, windowSeconds: 60, keyedOn: 'api_key', whenKvDown: 'open' },
} as const satisfies Record<string, AppLimit>;

export type AppLimitName = keyof typeof APP_LIMITS;

/** Platform limits fail open (logged): the provider itself still enforces its quota, answering 429, which is fed back. */
export const PLATFORM_WHEN_KV_DOWN: WhenKvDown = 'open';
