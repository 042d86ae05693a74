import * as oauth from 'oauth4webapi';
import type { ResolvedProvider } from '../providers/schema';
import type { TokenSet } from '../refresh/outcome';
import { callTokenEndpoint, createNormalisingFetch, recognizedTokenTypes, redacted, toTokenSet, type SeenAnswer } from '../refresh/provider-call';
import { tokenTypesFor } from '../providers/normalisers';
import { ConnectError } from './errors';

/**
 * Providers without refresh tokens hand out a short-lived token at the code exchange; the
 * long-lived one is fetched right away, by each provider's documented exchange:
 * - Meta (Facebook Login), refreshGrant `fb_exchange_token`: "Get a Long-Lived User Access
 *   Token", the same exchange the refresh engine renews with (callTokenEndpoint);
 * - Instagram API with Instagram Login, refreshGrant `ig_refresh_token`:
 *   `GET https://graph.instagram.com/access_token?grant_type=ig_exchange_token&client_secret=…
 *   &access_token=<short-lived>` (https://developers.facebook.com/docs/instagram-platform/reference/access_token),
 *   a 60-day token that `ig_refresh_token` then renews.
 * Others: the tokens as exchanged.
 */

/** Instagram Login's code exchange is not at its refresh URL (the profile's tokenUrl). */
export const INSTAGRAM_CODE_EXCHANGE_URL = 'https://api.instagram.com/oauth/access_token';
export const INSTAGRAM_LONG_LIVED_URL = 'https://graph.instagram.com/access_token';

/** Where the authorization code is exchanged. */
export function codeExchangeUrl(provider: ResolvedProvider, tokenUrl: string): string {
  return provider.refreshGrant === 'ig_refresh_token' && provider.tokenUrl.startsWith('https://graph.instagram.com/') ? INSTAGRAM_CODE_EXCHANGE_URL : tokenUrl;
}

export async function longLivedTokens(
  provider: ResolvedProvider,
  credentials: { clientId: string; clientSecret: string },
  shortLived: TokenSet,
  input: { parameters: Record<string, unknown>; fetch: typeof fetch; timeoutMs: number },
): Promise<TokenSet> {
  const failed = (detail: string, cause?: unknown) =>
    new ConnectError('long_lived_failed', `${provider.name} did not exchange the new token for a long-lived one (${detail}); nothing was saved.`, { cause });
  if (provider.refreshGrant === 'fb_exchange_token') {
    const result = await callTokenEndpoint(
      { provider, credentials, accessToken: shortLived.accessToken, refreshToken: null, parameters: input.parameters },
      { fetch: input.fetch, timeoutMs: input.timeoutMs },
    );
    if (result.kind === 'tokens') return { ...result.tokens, scopes: result.tokens.scopes ?? shortLived.scopes };
    throw failed(describe(result));
  }
  if (provider.refreshGrant === 'ig_refresh_token' && provider.tokenUrl.startsWith('https://graph.instagram.com/')) {
    // A GET with the secret and the token in the query, as documented: the URL goes nowhere else.
    const url = new URL(INSTAGRAM_LONG_LIVED_URL);
    url.searchParams.set('grant_type', 'ig_exchange_token');
    url.searchParams.set('client_secret', credentials.clientSecret);
    url.searchParams.set('access_token', shortLived.accessToken);
    const seen: SeenAnswer = {};
    const as: oauth.AuthorizationServer = { issuer: url.origin, token_endpoint: url.origin };
    try {
      const response = await createNormalisingFetch(provider.id, input.fetch, seen)(url.href, {
        method: 'GET',
        headers: { accept: 'application/json' },
        signal: AbortSignal.timeout(input.timeoutMs),
      });
      const result = await oauth.processGenericTokenEndpointResponse(as, { client_id: credentials.clientId }, response, {
        recognizedTokenTypes: recognizedTokenTypes(tokenTypesFor(provider.id)),
      });
      return { ...toTokenSet(result), scopes: shortLived.scopes };
    } catch (error) {
      throw failed(error instanceof oauth.ResponseBodyError ? `HTTP ${error.status}, ${error.error}` : 'no usable answer', redacted(error, [credentials.clientSecret, shortLived.accessToken]));
    }
  }
  return shortLived;
}

function describe(result: Exclude<Awaited<ReturnType<typeof callTokenEndpoint>>, { kind: 'tokens' }>): string {
  switch (result.kind) {
    case 'oauth_error':
      return `HTTP ${result.httpStatus}, ${result.error}`;
    case 'http_error':
      return `HTTP ${result.httpStatus}, ${result.failure}`;
    case 'network_error':
      return result.reason === 'timeout' ? 'it timed out' : 'it could not be reached';
    case 'local_error':
      return result.problem;
  }
}
