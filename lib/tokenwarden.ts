/**
 * Tokenwarden's API for host application code running in the same deployment.
 *
 *   import { getValidAccessToken, TokenUnavailableError } from '@/lib/tokenwarden';
 *   const token = await getValidAccessToken(integrationId, { minValiditySeconds: 120 });
 */
import { getRefreshDeps } from './runtime';
import { getValidAccessTokenWith, type GetTokenOptions } from './refresh/get-valid-access-token';

export { TokenUnavailableError, type GetTokenOptions, type TokenUnavailableReason } from './refresh/get-valid-access-token';

/**
 * A usable access token for the integration, refreshed on demand if it expires within
 * `minValiditySeconds`. Throws TokenUnavailableError; `reconnectRequired` says whether the
 * user must reconnect.
 */
export async function getValidAccessToken(integrationId: string, options: GetTokenOptions = {}): Promise<string> {
  return getValidAccessTokenWith(await getRefreshDeps(), integrationId, options);
}
