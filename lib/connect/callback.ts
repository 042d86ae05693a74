import * as oauth from 'oauth4webapi';
import { takeConnectSession, type ConnectSessionRow } from '../db/connect-sessions';
import { expectedIssuer } from '../providers/account-identity';
import { isObject, tokenTypesFor } from '../providers/normalisers';
import type { ResolvedProvider } from '../providers/schema';
import type { TokenSet } from '../refresh/outcome';
import {
  clientAuthentication,
  createNormalisingFetch,
  fillTemplate,
  recognizedTokenTypes,
  redacted,
  toAttemptResult,
  toTokenSet,
  type SeenAnswer,
} from '../refresh/provider-call';
import { isLoopbackHost } from '../net/addresses';
import { grantAccount } from './account';
import { redirectUri, verifierContext, type ConnectDeps } from './deps';
import { ConnectError, safeCode } from './errors';
import { codeExchangeUrl, longLivedTokens } from './long-lived';
import { recordConnect } from './record';
import { returnUrl } from './return-to';
import { bindingCookieName, bindingMatches, clearedBindingCookie, sha256Hex } from './session-cookie';
import { connectableProvider } from './start';

/**
 * `GET /api/connect/callback?code&state` (or `?error&state`): takes the connect session once,
 * refuses an unknown, used, expired or foreign one, exchanges the code (PKCE, and the ID
 * token validated with the session's nonce where the provider is OpenID), gets the long-lived
 * token where that is the provider's way, learns the account, and writes the connection.
 * Every refusal is a ConnectError and leaves the connections as they were.
 */

export interface CallbackInput {
  params: URLSearchParams;
  cookies: { name: string; value: string }[];
  /** The signed-in user, if any: a different user than the session's is refused. */
  signedInUserId: string | null;
}

export type CallbackResult = {
  /** Clears the binding cookie (whatever happened). */
  clearCookie: string | null;
} & ({ ok: true; location: string; outcome: 'connected' | 'restored'; integrationId: string } | { ok: false; error: ConnectError });

export async function completeConnect(deps: ConnectDeps, input: CallbackInput): Promise<CallbackResult> {
  const state = input.params.get('state');
  const stateHash = state ? sha256Hex(state) : null;
  const clearCookie = stateHash ? clearedBindingCookie(stateHash, deps.appUrl) : null;
  try {
    const done = await complete(deps, input, state, stateHash);
    return { clearCookie, ok: true, ...done };
  } catch (error) {
    if (error instanceof ConnectError) return { clearCookie, ok: false, error };
    throw error;
  }
}

async function complete(
  deps: ConnectDeps,
  input: CallbackInput,
  state: string | null,
  stateHash: string | null,
): Promise<{ location: string; outcome: 'connected' | 'restored'; integrationId: string }> {
  if (!state || !stateHash) throw new ConnectError('missing_parameters', 'The provider sent you back without the "state" of a connect; nothing was changed.');
  const taken = await takeConnectSession(deps.db, stateHash);
  if (taken.kind === 'unknown') throw new ConnectError('unknown_state', 'This connect link is unknown here (it may be from another deployment); nothing was changed. Start the connect again.');
  if (taken.kind === 'used') throw new ConnectError('state_used', 'This connect link was already used; nothing was changed. Start the connect again.');
  const session = taken.session;
  if (session.expired) throw new ConnectError('state_expired', 'This connect link expired (it lasts 10 minutes); nothing was changed. Start the connect again.');
  const cookie = input.cookies.find((candidate) => candidate.name === bindingCookieName(stateHash))?.value;
  if (!bindingMatches(cookie, session.browser_binding_hash)) {
    throw new ConnectError('foreign_browser', 'This connect was started in another browser; nothing was changed. Start it again in this browser.');
  }
  if (input.signedInUserId && input.signedInUserId !== session.user_id) {
    throw new ConnectError('other_user', 'This connect was started by another user than the one signed in now; nothing was changed.');
  }

  const provider = connectableProvider(deps, session.provider);
  const providerError = input.params.get('error');
  if (providerError) {
    if (providerError === 'access_denied') throw new ConnectError('cancelled', `The connect to ${provider.name} was cancelled; nothing was changed.`);
    throw new ConnectError('provider_error', `${provider.name} refused the connect (${safeCode(providerError)}); nothing was changed.`);
  }
  if (!input.params.get('code')) throw new ConnectError('missing_parameters', `${provider.name} sent you back without an authorization code; nothing was changed.`);

  const started = Date.now();
  const verifier = deps.keyRing.decrypt(session.code_verifier_encrypted, verifierContext(session.id));
  const parameters: Record<string, unknown> = session.metadata;
  const tokenUrl = fillTemplate(provider.tokenUrl, parameters);
  if (!tokenUrl) throw new ConnectError('missing_connection_parameter', `${provider.name} needs a connection parameter that this connect did not carry.`);
  const exchangeUrl = codeExchangeUrl(provider, tokenUrl);
  const exchange = await exchangeCode(deps, { provider, session, state, verifier, exchangeUrl, params: input.params });

  const tokens = await longLivedTokens(provider, provider.credentials, exchange.tokens, { parameters, fetch: deps.fetch, timeoutMs: deps.requestTimeoutMs });
  const refreshRequired = provider.refreshGrant === 'refresh_token' && (provider.refreshToken.issued === 'always' || provider.refreshToken.issued === 'offline_scope');
  if (refreshRequired && !tokens.refreshToken) {
    throw new ConnectError('no_refresh_token', `${provider.name} answered without a refresh token, so the connection could not be kept alive; nothing was saved.`);
  }
  const account = await grantAccount(
    provider,
    { tokenResponse: exchange.response, idTokenClaims: exchange.idTokenClaims, callbackParams: input.params },
    { accessToken: tokens.accessToken, parameters, fetch: deps.fetch, timeoutMs: deps.requestTimeoutMs },
  );
  const recorded = await recordConnect(deps, {
    session,
    provider,
    tokens,
    account,
    requestedScopes: [...new Set([...provider.scopes, ...provider.offlineScopes])],
    durationMs: Date.now() - started,
  });
  return {
    ...recorded,
    location: returnUrl(deps.appUrl, session.return_to, { connect: recorded.outcome, integration: recorded.integrationId }),
  };
}

interface Exchanged {
  tokens: TokenSet;
  response: Record<string, unknown>;
  idTokenClaims: Record<string, unknown> | null;
}

/** The ID token's claims before validation: only to pick the issuer to validate it against. */
function unverifiedClaims(json: unknown): Record<string, unknown> {
  const token = isObject(json) && typeof json.id_token === 'string' ? json.id_token : null;
  const payload = token?.split('.')[1];
  if (!payload) return {};
  try {
    const claims = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as unknown;
    return isObject(claims) ? claims : {};
  } catch {
    return {}; // not a JWT: oauth4webapi refuses it below
  }
}

async function exchangeCode(
  deps: ConnectDeps,
  input: { provider: ResolvedProvider & { credentials: NonNullable<ResolvedProvider['credentials']>; authorizationUrl: string }; session: ConnectSessionRow; state: string; verifier: string; exchangeUrl: string; params: URLSearchParams },
): Promise<Exchanged> {
  const { provider, session } = input;
  const credentials = provider.credentials;
  const url = new URL(input.exchangeUrl);
  const insecure = url.protocol === 'http:';
  if (insecure && !isLoopbackHost(url.hostname)) throw new ConnectError('insecure_url', `${provider.name}'s token endpoint is not https; nothing was saved.`);
  const oidc = provider.account?.source === 'id_token' ? provider.account : null;
  const client: oauth.Client = { client_id: credentials.clientId };

  // The authorization response's `iss` (RFC 9207), where one is sent, must be the provider's.
  // An issuer that depends on the user's tenant is only known from the ID token.
  const callbackParams = new URLSearchParams(input.params);
  const responseIssuer = oidc && !oidc.issuer.includes('{tenantid}') ? oidc.issuer : null;
  if (!responseIssuer) callbackParams.delete('iss');
  const authServer: oauth.AuthorizationServer = { issuer: responseIssuer ?? new URL(provider.authorizationUrl).origin, token_endpoint: url.href };
  let validated: URLSearchParams;
  try {
    validated = oauth.validateAuthResponse(authServer, client, callbackParams, input.state);
  } catch (error) {
    throw new ConnectError('provider_error', `${provider.name}'s answer did not belong to this connect; nothing was changed.`, { cause: redacted(error, [input.state]) });
  }

  const seen: SeenAnswer = {};
  const secrets = [credentials.clientSecret, input.verifier, input.params.get('code'), input.state];
  try {
    const response = await oauth.authorizationCodeGrantRequest(authServer, client, clientAuthentication(provider, credentials), validated, redirectUri(deps.appUrl), input.verifier, {
      signal: AbortSignal.timeout(deps.requestTimeoutMs),
      headers: { accept: 'application/json' },
      [oauth.customFetch]: createNormalisingFetch(provider.id, deps.fetch, seen, { keepIdToken: oidc !== null, clientIdParameter: provider.clientIdParameter }),
      [oauth.allowInsecureRequests]: insecure,
    });
    let idTokenServer = authServer;
    if (oidc && response.ok && isObject(seen.json) && typeof seen.json.access_token === 'string' && typeof seen.json.id_token !== 'string') {
      // OpenID Connect Core 3.1.3.3: a successful answer to an `openid` request carries one.
      throw new ConnectError('id_token_invalid', `${provider.name}'s ID token did not check out (no ID token); nothing was saved.`);
    }
    if (oidc) {
      const issuer = expectedIssuer(oidc.issuer, unverifiedClaims(seen.json));
      if (!issuer) throw new ConnectError('id_token_invalid', `${provider.name}'s ID token did not name a tenant; nothing was saved.`);
      idTokenServer = { ...authServer, issuer };
    }
    const result = await oauth.processAuthorizationCodeResponse(idTokenServer, client, response, {
      recognizedTokenTypes: recognizedTokenTypes(tokenTypesFor(provider.id)),
      expectedNonce: session.nonce ?? oauth.expectNoNonce,
      requireIdToken: oidc !== null,
    });
    const claims = oidc ? oauth.getValidatedIdTokenClaims(result) : undefined;
    return { tokens: toTokenSet(result), response: { ...result }, idTokenClaims: claims ? { ...claims } : null };
  } catch (error) {
    if (error instanceof ConnectError) throw error;
    const safe = redacted(error, secrets);
    const problem = oidc ? idTokenProblem(error, seen.json) : null;
    if (problem) throw new ConnectError('id_token_invalid', `${provider.name}'s ID token did not check out (${problem}); nothing was saved.`, { cause: safe });
    let attempt;
    try {
      attempt = await toAttemptResult(error, seen);
    } catch {
      throw new ConnectError('token_endpoint_failed', `${provider.name}'s token endpoint gave no usable answer; nothing was saved.`, { cause: safe });
    }
    const detail =
      attempt.kind === 'oauth_error'
        ? `HTTP ${attempt.httpStatus}, ${safeCode(attempt.error)}`
        : attempt.kind === 'http_error'
          ? `HTTP ${attempt.httpStatus}, ${attempt.failure.replaceAll('_', ' ')}`
          : attempt.kind === 'network_error'
            ? attempt.reason === 'timeout'
              ? 'it timed out'
              : 'it could not be reached'
            : attempt.kind === 'local_error'
              ? attempt.problem
              : 'no tokens';
    throw new ConnectError('token_endpoint_failed', `${provider.name}'s token endpoint refused the code exchange (${detail}); nothing was saved.`, { cause: safe });
  }
}

/** The claim oauth4webapi names in its cause (`{ claim, expected, claims }`), in our words. */
const CLAIM_PROBLEMS: Record<string, string> = {
  nonce: 'wrong nonce',
  aud: 'wrong audience',
  azp: 'wrong audience',
  iss: 'wrong issuer',
  exp: 'expired or not yet valid',
  nbf: 'expired or not yet valid',
  iat: 'expired or not yet valid',
  auth_time: 'expired or not yet valid',
};

/**
 * Which check of the ID token failed, read from oauth4webapi's structured error (its `code`
 * and the `claim` its cause names), never from its message text; null when what failed is
 * not the ID token (the token answer itself: those causes are `{ body }`, or the body did not
 * parse). Only the ID token is a JWT in a code exchange, so a JWT claim check is about it,
 * and so is a malformed JWT in an answer that did parse and carried one.
 */
function idTokenProblem(error: unknown, answer: unknown): string | null {
  const cause: unknown = error instanceof Error ? error.cause : undefined;
  if (error instanceof oauth.OperationProcessingError && (error.code === oauth.JWT_CLAIM_COMPARISON || error.code === oauth.JWT_TIMESTAMP_CHECK)) {
    const claim = isObject(cause) && typeof cause.claim === 'string' ? cause.claim : '';
    return Object.hasOwn(CLAIM_PROBLEMS, claim) ? CLAIM_PROBLEMS[claim]! : 'invalid';
  }
  const aboutTheAnswer = isObject(cause) && 'body' in cause;
  const carriedIdToken = isObject(answer) && typeof answer.id_token === 'string';
  const jwtCheck =
    (error instanceof oauth.OperationProcessingError && (error.code === oauth.INVALID_RESPONSE || error.code === oauth.PARSE_ERROR)) ||
    error instanceof oauth.UnsupportedOperationError; // an encrypted (JWE) ID token, or a `crit` header
  return jwtCheck && carriedIdToken && !aboutTheAnswer ? 'malformed' : null;
}
