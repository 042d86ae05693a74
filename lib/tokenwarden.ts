/**
 * Tokenwarden's API for host application code running in the same deployment.
 *
 *   import { getValidAccessToken, TokenUnavailableError } from '@/lib/tokenwarden';
 *   const token = await getValidAccessToken(integrationId, { minValiditySeconds: 120 });
 *   const me = await fetchWithIntegration(integrationId, 'https://graph.facebook.com/me');
 *
 * The platform limiter of docs/contracts.md §6 and §7, for host code calling a provider itself:
 *
 *   import { platformLimiter } from '@/lib/tokenwarden';
 *   const decision = await platformLimiter.waitUntilReady('meta', integrationId, 30);
 *   if (!decision.allowed) throw new Error(`retry in ${decision.retryAfterSeconds} s`);
 */
import { getPlatformLimiter, getRefreshDeps, setPlatformLimitOverrides } from './runtime';
import type { PlatformLimitOverrides } from './kv/limits';
import type { LimitDecision } from './kv/decision';
import type { PlatformRemaining } from './kv/platform-limiter';
import { getValidAccessTokenWith, type GetTokenOptions } from './refresh/get-valid-access-token';
import { fetchWithIntegrationWith, type FetchWithIntegrationOptions } from './connect/fetch-with-integration';

export type { LimitDecision } from './kv/decision';
export type { PlatformRemaining } from './kv/platform-limiter';
export { UnknownPlatformError } from './kv/platform-limiter';
export { PLATFORM_LIMITS, PLATFORM_ALIASES, type PlatformLimit, type PlatformLimitOverrides, type PlatformName } from './kv/limits';
export { KvUnavailableError } from './kv/errors';
export { RateLimitedError, PROVIDER_PLATFORMS, type FetchWithIntegrationOptions } from './connect/fetch-with-integration';
export { TokenUnavailableError, type GetTokenOptions, type TokenUnavailableReason } from './refresh/get-valid-access-token';

/**
 * A usable access token for the integration, refreshed on demand if it expires within
 * `minValiditySeconds`. Throws TokenUnavailableError; `reconnectRequired` says whether the
 * user must reconnect.
 */
export async function getValidAccessToken(integrationId: string, options: GetTokenOptions = {}): Promise<string> {
  return getValidAccessTokenWith(await getRefreshDeps(), integrationId, options);
}

/**
 * The platform limits of docs/contracts.md §6, shared by every instance through KV (or this
 * process only without KV). `key` is the connection (its integration id) or host code's own key.
 */
export const platformLimiter = {
  /** Takes one call; `allowed: false` carries `retryAfterSeconds` and `resetAt`. */
  attempt: (platform: string, key: string): Promise<LimitDecision> => getPlatformLimiter().attempt(platform, key),
  /** `{ remaining, reset_at, limit }` without taking a call. */
  remaining: (platform: string, key: string): Promise<PlatformRemaining> => getPlatformLimiter().remaining(platform, key),
  /** attempt(), sleeping until the limit allows it, for at most maxWaitSeconds; never polls. */
  waitUntilReady: (platform: string, key: string, maxWaitSeconds: number): Promise<LimitDecision> =>
    getPlatformLimiter().waitUntilReady(platform, key, maxWaitSeconds),
  /** Forgets the key's use and any penalty. */
  reset: (platform: string, key: string): Promise<void> => getPlatformLimiter().reset(platform, key),
  /** Feeds a provider's 429 Retry-After back: nothing goes out for the key until then. */
  penalize: (platform: string, key: string, retryAfterSeconds: number): Promise<void> =>
    getPlatformLimiter().penalize(platform, key, retryAfterSeconds),
};

/**
 * Changes the platform table for this process, per platform (e.g. `{ meta: { limit: 100 } }`,
 * or a whole entry for a platform the table lacks). Call once at start, before any use.
 */
export function configurePlatformLimits(overrides: PlatformLimitOverrides): void {
  setPlatformLimitOverrides(overrides);
}

/**
 * A provider API call as the connection (docs/contracts.md §7): its platform's limit first
 * (waiting up to `maxWaitSeconds`, else RateLimitedError), a valid token, one forced refresh
 * and one retry after a 401, a provider 429 thrown as RateLimitedError with its Retry-After
 * (and fed back into the platform limiter).
 */
export async function fetchWithIntegration(
  integrationId: string,
  input: string | URL,
  init?: RequestInit,
  options?: FetchWithIntegrationOptions,
): Promise<Response> {
  return fetchWithIntegrationWith({ ...(await getRefreshDeps()), platformLimiter: getPlatformLimiter() }, integrationId, input, init, options);
}
