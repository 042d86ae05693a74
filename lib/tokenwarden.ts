/**
 * Tokenwarden's API for host application code running in the same deployment.
 *
 *   import { getValidAccessToken, TokenUnavailableError } from '@/lib/tokenwarden';
 *   const token = await getValidAccessToken(integrationId, { minValiditySeconds: 120 });
 *   const response = await fetchWithIntegration(integrationId, 'https://graph.facebook.com/me');
 */
import { getPlatformLimiter, getRefreshDeps } from './runtime';
import { fetchWithIntegrationWith, type FetchWithIntegrationOptions } from './connect/fetch-with-integration';
import { getValidAccessTokenWith, type GetTokenOptions } from './refresh/get-valid-access-token';

export { RateLimitedError, type FetchWithIntegrationOptions } from './connect/fetch-with-integration';
export type { PlatformLimiter, PlatformRemaining } from './kv/platform-limiter';
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
 * A provider API call as the connection (docs/contracts.md §7): its platform's limit first
 * (waiting up to `maxWaitSeconds`, else RateLimitedError), a valid token, one forced refresh
 * and one retry after a 401, a provider 429 thrown as RateLimitedError with its Retry-After.
 */
export async function fetchWithIntegration(
  integrationId: string,
  input: string | URL,
  init?: RequestInit,
  options?: FetchWithIntegrationOptions,
): Promise<Response> {
  return fetchWithIntegrationWith({ ...(await getRefreshDeps()), platformLimiter: getPlatformLimiter() }, integrationId, input, init, options);
}

/** The §6 platform limiter (attempt, remaining, waitUntilReady, reset) for host code's own calls. */
export function platformLimiter() {
  return getPlatformLimiter();
}
