import * as oauth from 'oauth4webapi';
import type { ResolvedProvider } from '../providers/schema';
import { entryFor, isObject, normaliserFor, tokenTypesFor } from '../providers/normalisers';
import type { AttemptResult, TokenSet } from './outcome';
import { isLoopbackHost } from '../net/addresses';
import { parseRetryAfter } from '../net/retry-after';

/**
 * One call to a provider's token endpoint. oauth4webapi builds the request and processes the
 * response; the provider's normaliser rewrites non-standard answers in between; every way
 * the call can end becomes an AttemptResult. Tokens only travel in request bodies (except
 * Meta's and Instagram's documented GETs) and are never part of what this returns on failure.
 */

export interface CallOptions {
  fetch: typeof fetch;
  timeoutMs: number;
}

export interface CallInput {
  provider: ResolvedProvider;
  credentials: { clientId: string; clientSecret: string };
  accessToken: string;
  refreshToken: string | null;
  /** Per-connection URL parameters, e.g. `{ shop }` for Shopify. */
  parameters: Record<string, unknown>;
}

export async function callTokenEndpoint(input: CallInput, options: CallOptions): Promise<AttemptResult> {
  const { provider, credentials } = input;
  const tokenUrl = fillTemplate(provider.tokenUrl, input.parameters);
  if (!tokenUrl) return { kind: 'local_error', problem: 'missing_connection_parameter' };
  const insecure = new URL(tokenUrl).protocol === 'http:';
  // Plain http only to this machine (the demo's local provider, tests); never over a network.
  if (insecure && !isLoopbackHost(new URL(tokenUrl).hostname)) return { kind: 'local_error', problem: 'insecure_token_url' };
  const as: oauth.AuthorizationServer = { issuer: new URL(tokenUrl).origin, token_endpoint: tokenUrl };
  // Instagram's refresh needs no client; oauth4webapi still wants a client id to name.
  const client: oauth.Client = { client_id: credentials.clientId || provider.id };
  const clientAuth = () => clientAuthentication(provider, credentials);

  const seen: SeenAnswer = {};
  const normalisingFetch = createNormalisingFetch(provider.id, options.fetch, seen, { clientIdParameter: provider.clientIdParameter });
  const processOptions: oauth.ProcessTokenResponseOptions = { recognizedTokenTypes: recognizedTokenTypes(tokenTypesFor(provider.id)) };

  const requestOptions = {
    signal: AbortSignal.timeout(options.timeoutMs),
    headers: { accept: 'application/json' },
    [oauth.customFetch]: normalisingFetch,
    [oauth.allowInsecureRequests]: insecure,
  };

  try {
    let result: oauth.TokenEndpointResponse;
    switch (provider.refreshGrant) {
      case 'refresh_token': {
        if (!input.refreshToken) return { kind: 'local_error', problem: 'no_refresh_token' };
        const response = await oauth.refreshTokenGrantRequest(as, client, clientAuth(), input.refreshToken, requestOptions);
        result = await oauth.processRefreshTokenResponse(as, client, response, processOptions);
        break;
      }
      case 'fb_exchange_token': {
        // Meta documents the exchange as a GET with every parameter in the query string,
        // client secret included ("Get a Long-Lived User Access Token",
        // https://developers.facebook.com/docs/facebook-login/guides/access-tokens/get-long-lived).
        // The URL therefore holds secrets: it is built here, sent, and goes nowhere else.
        const url = new URL(tokenUrl);
        url.searchParams.set('grant_type', 'fb_exchange_token');
        url.searchParams.set('client_id', credentials.clientId);
        url.searchParams.set('client_secret', credentials.clientSecret);
        url.searchParams.set('fb_exchange_token', input.accessToken);
        const response = await normalisingFetch(url.toString(), {
          method: 'GET',
          headers: requestOptions.headers,
          signal: requestOptions.signal,
        });
        result = await oauth.processGenericTokenEndpointResponse(as, client, response, processOptions);
        break;
      }
      case 'ig_refresh_token': {
        // Instagram documents only a GET with the token in the query string; it goes nowhere
        // else (never logged, never stored with the URL).
        const url = new URL(tokenUrl);
        url.searchParams.set('grant_type', 'ig_refresh_token');
        url.searchParams.set('access_token', input.accessToken);
        const response = await normalisingFetch(url.toString(), {
          method: 'GET',
          headers: requestOptions.headers,
          signal: requestOptions.signal,
        });
        result = await oauth.processGenericTokenEndpointResponse(as, client, response, processOptions);
        break;
      }
      case 'none':
        return { kind: 'local_error', problem: 'unsupported_grant' };
    }
    return { kind: 'tokens', httpStatus: 200, tokens: toTokenSet(result) };
  } catch (error) {
    // oauth4webapi refuses to build a request from bad settings (an empty client secret, a
    // malformed URL): the app's configuration, for this row only, never a crashed pass.
    if (error instanceof TypeError && 'code' in error && typeof error.code === 'string' && error.code.startsWith('ERR_INVALID_ARG')) {
      return { kind: 'local_error', problem: 'request_not_built' };
    }
    try {
      return await toAttemptResult(error, seen);
    } catch (unexpected) {
      // Whatever escapes is logged by the pass: never with a secret the request carried.
      throw redacted(unexpected, [credentials.clientSecret, input.accessToken, input.refreshToken]);
    }
  }
}

/** The client authentication the provider documents for its token endpoint. */
export function clientAuthentication(provider: Pick<ResolvedProvider, 'clientAuth'>, credentials: { clientSecret: string }): oauth.ClientAuth {
  return provider.clientAuth === 'client_secret_post'
    ? oauth.ClientSecretPost(credentials.clientSecret)
    : oauth.ClientSecretBasic(credentials.clientSecret);
}

/** What the normalising fetch saw of the last answer: for error mapping and account identity. */
export interface SeenAnswer {
  providerCode?: string;
  retryAfterSeconds?: number;
  /** The normalised JSON body (before any ID token was dropped). */
  json?: unknown;
}

/**
 * Wraps the injected fetch: notes Retry-After, and lets the provider's normaliser rewrite
 * the answer before oauth4webapi judges it. `keepIdToken` (the connect flow, which validates
 * it) keeps an ID token; a refresh drops it (see below).
 */
export function createNormalisingFetch(
  providerId: string,
  baseFetch: typeof fetch,
  seen: SeenAnswer,
  options: { keepIdToken?: boolean; clientIdParameter?: ResolvedProvider['clientIdParameter'] } = {},
): (url: string, init: RequestInit) => Promise<Response> {
  const normalise = normaliserFor(providerId);
  return async (url, init) => {
    const response = await baseFetch(url, withClientIdParameter(init, options.clientIdParameter));
    seen.retryAfterSeconds = parseRetryAfter(response.headers.get('retry-after'));
    const text = await response.text();
    const json = parseJson(text);
    const answer = normalise ? normalise({ status: response.status, json }) : { status: response.status, json };
    seen.providerCode = answer.providerCode;
    seen.json = answer.json;
    // An ID token in a refresh response says who the user is, which a refresh does not need;
    // oauth4webapi would validate its issuer against the token endpoint's origin, which is
    // not the issuer for providers such as Google. Drop it rather than fail good refreshes.
    const stripped = options.keepIdToken ? answer.json : withoutIdToken(answer.json);
    if (stripped === json && answer.status === response.status) {
      return new Response(text, { status: response.status, headers: response.headers });
    }
    const headers = new Headers(response.headers);
    headers.set('content-type', 'application/json');
    return new Response(JSON.stringify(stripped), { status: answer.status, headers });
  };
}

/**
 * oauth4webapi names the client `client_id` in a form body; a provider that calls it
 * something else (TikTok's `client_key`) gets the same body with that one name changed.
 */
function withClientIdParameter(init: RequestInit, name: ResolvedProvider['clientIdParameter'] | undefined): RequestInit {
  if (!name || name === 'client_id' || !(init.body instanceof URLSearchParams) || !init.body.has('client_id')) return init;
  const body = new URLSearchParams();
  for (const [key, value] of init.body) body.append(key === 'client_id' ? name : key, value);
  return { ...init, body };
}

/**
 * The error, or a plain copy of it (name, `code`, message) with the given secrets (and their
 * URL encodings) blanked out. An error with a `cause` is always copied without it:
 * oauth4webapi's causes are structured data holding the whole answer (`{ body }` with the
 * new access and refresh tokens, the ID token's claims, the expected nonce), which no
 * search for known secrets can vouch for.
 */
export function redacted(error: unknown, secrets: (string | null)[]): unknown {
  if (!(error instanceof Error)) return error;
  const hidden = secrets.filter((value): value is string => Boolean(value)).flatMap((value) => [value, encodeURIComponent(value)]);
  const leaks = (text: string | undefined) => text !== undefined && hidden.some((value) => text.includes(value));
  if (error.cause === undefined && !leaks(error.message) && !leaks(error.stack)) return error;
  let message = error.message;
  for (const value of hidden) message = message.replaceAll(value, '[redacted]');
  const copy: Error & { code?: string } = new Error(message);
  copy.name = error.name;
  if ('code' in error && typeof error.code === 'string') copy.code = error.code;
  return copy;
}

export function toTokenSet(response: oauth.TokenEndpointResponse): TokenSet {
  const numberField = (...names: string[]) => {
    for (const name of names) {
      const value = response[name];
      const parsed = typeof value === 'string' ? Number(value) : value;
      if (typeof parsed === 'number' && Number.isFinite(parsed) && parsed > 0) return parsed;
    }
    return undefined;
  };
  return {
    accessToken: response.access_token,
    refreshToken: response.refresh_token || undefined,
    expiresInSeconds: numberField('expires_in'),
    // GitHub: refresh_token_expires_in; QuickBooks: x_refresh_token_expires_in; TikTok: refresh_expires_in.
    refreshTokenExpiresInSeconds: numberField('refresh_token_expires_in', 'x_refresh_token_expires_in', 'refresh_expires_in'),
    // Only printable scope names are kept: a provider's odd bytes never reach the database.
    scopes:
      typeof response.scope === 'string' && response.scope.trim()
        ? response.scope.trim().split(/[\s,]+/).filter((scope) => /^[\x21-\x7e]{1,512}$/.test(scope))
        : undefined,
  };
}

export async function toAttemptResult(
  error: unknown,
  seen: SeenAnswer,
): Promise<AttemptResult> {
  const { providerCode, retryAfterSeconds } = seen;
  if (error instanceof oauth.ResponseBodyError) {
    return { kind: 'oauth_error', httpStatus: error.status, error: error.error, providerCode, retryAfterSeconds };
  }
  if (error instanceof oauth.WWWAuthenticateChallengeError) {
    // A 401 with WWW-Authenticate: the body (unread) or the challenge may still name the error.
    const body = parseJson(await error.response.text().catch(() => ''));
    const bodyError = body && typeof body === 'object' && 'error' in body && typeof body.error === 'string' ? body.error : undefined;
    const challengeError = error.cause.map((challenge) => challenge.parameters.error).find((value) => typeof value === 'string');
    const named = bodyError ?? challengeError;
    return named
      ? { kind: 'oauth_error', httpStatus: error.status, error: named, providerCode, retryAfterSeconds }
      : { kind: 'http_error', httpStatus: error.status, failure: 'not_conform', retryAfterSeconds };
  }
  if (error instanceof oauth.UnsupportedOperationError && isObject(error.cause) && isObject(error.cause.body)) {
    // oauth4webapi refused the token response itself (its body is the cause): a token_type
    // that is neither Bearer, DPoP nor one the provider documents.
    return { kind: 'http_error', httpStatus: 200, failure: 'unsupported_token_type', retryAfterSeconds };
  }
  if (error instanceof oauth.OperationProcessingError) {
    const status = error.cause instanceof Response ? error.cause.status : 200;
    if (error.code === oauth.RESPONSE_IS_NOT_JSON || error.code === oauth.PARSE_ERROR) {
      return { kind: 'http_error', httpStatus: status, failure: 'not_json', retryAfterSeconds };
    }
    if (error.code === oauth.RESPONSE_IS_NOT_CONFORM) {
      return { kind: 'http_error', httpStatus: status, failure: 'not_conform', retryAfterSeconds };
    }
    if (error.code === oauth.INVALID_RESPONSE) {
      return { kind: 'http_error', httpStatus: status, failure: 'invalid_response', retryAfterSeconds };
    }
  }
  if (error instanceof Error && (error.name === 'TimeoutError' || error.name === 'AbortError')) {
    return { kind: 'network_error', reason: 'timeout' };
  }
  if (error instanceof TypeError) {
    // fetch() rejects with TypeError for refused connections, resets and DNS failures.
    const cause = (error as TypeError & { cause?: unknown }).cause;
    const timedOut = cause instanceof Error && (cause.name === 'TimeoutError' || cause.name === 'AbortError');
    return { kind: 'network_error', reason: timedOut ? 'timeout' : 'connection' };
  }
  throw error;
}

/**
 * The token types oauth4webapi accepts besides Bearer and DPoP: those the provider documents
 * (Slack's "bot" and "user"), taken as sent. oauth4webapi looks the provider's `token_type`
 * up in this table, so it has no prototype: "constructor" finds nothing.
 */
export function recognizedTokenTypes(names: readonly Lowercase<string>[]): oauth.RecognizedTokenTypes {
  const table = Object.create(null) as oauth.RecognizedTokenTypes;
  for (const name of names) table[name] = acceptAsSent;
  return table;
}

/** Tokenwarden stores tokens and never presents them itself: nothing more to check. */
function acceptAsSent(): void {}

function withoutIdToken(json: unknown): unknown {
  if (!json || typeof json !== 'object' || Array.isArray(json) || !('id_token' in json)) return json;
  const { id_token: _dropped, ...rest } = json as Record<string, unknown>;
  return rest;
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined; // not JSON: oauth4webapi reports it as such
  }
}

/**
 * Fills `{name}` placeholders from the connection's parameters; null when one is missing or
 * is not a single DNS label (so a parameter can never redirect a token request elsewhere).
 */
export function fillTemplate(template: string, parameters: Record<string, unknown>): string | null {
  let missing = false;
  const filled = template.replace(/\{([a-z_]+)\}/g, (_, name: string) => {
    const value = entryFor(parameters, name);
    if (typeof value !== 'string' || !/^[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?$/.test(value)) {
      missing = true;
      return '';
    }
    return value;
  });
  return missing ? null : filled;
}
