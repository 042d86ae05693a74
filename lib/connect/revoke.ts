import * as oauth from 'oauth4webapi';
import type { ResolvedProvider } from '../providers/schema';
import { isLoopbackHost } from '../net/addresses';
import { fillTemplate } from '../refresh/provider-call';

/**
 * Revoking a grant at the provider when a user disconnects, in the style the profile names
 * (lib/providers/schema.ts `revocation`). Every way the call can end becomes a
 * RevocationResult; a failure names what happened (a provider's error code, an HTTP status,
 * `timeout`) and never carries a token or a secret. A timeout is a failure, never a hang.
 */

export type RevocationResult =
  | { revoked: true }
  | { revoked: false; error: string; httpStatus?: number }
  /** The provider documents no revocation endpoint: only the local erase happens. */
  | { revoked: null };

export interface RevokeInput {
  provider: ResolvedProvider;
  accessToken: string | null;
  refreshToken: string | null;
  /** Per-connection URL parameters (e.g. `{ shop }`), as for the token endpoint. */
  parameters: Record<string, unknown>;
}

export interface RevokeOptions {
  fetch: typeof fetch;
  /** The whole call, answer included. */
  timeoutMs: number;
}

export const REVOCATION_TIMEOUT_MS = 10_000;

const failed = (error: string, httpStatus?: number): RevocationResult =>
  httpStatus === undefined ? { revoked: false, error } : { revoked: false, error, httpStatus };

/** A provider's error code as it may be stored: short and plain, else a generic name. */
function code(value: unknown, fallback: string): string {
  return typeof value === 'string' && /^[A-Za-z0-9_.-]{1,64}$/.test(value) ? value : fallback;
}

export async function revokeAtProvider(input: RevokeInput, options: RevokeOptions): Promise<RevocationResult> {
  const { provider } = input;
  if (!provider.revocation || !provider.revocationUrl) return { revoked: null };
  const credentials = provider.credentials;
  // GitHub's client id (which may hold dots) is part of its path; other placeholders come
  // from the connection and must be single DNS labels (fillTemplate).
  const template =
    provider.revocation === 'github_delete_token' && credentials
      ? provider.revocationUrl.replaceAll('{client_id}', encodeURIComponent(credentials.clientId))
      : provider.revocationUrl;
  const url = fillTemplate(template, input.parameters);
  if (!url) return failed('missing_connection_parameter');
  const insecure = new URL(url).protocol === 'http:';
  // Plain http only to this machine (the demo's local provider, tests); never over a network.
  if (insecure && !isLoopbackHost(new URL(url).hostname)) return failed('insecure_revocation_url');
  const signal = AbortSignal.timeout(options.timeoutMs);

  try {
    switch (provider.revocation) {
      case 'rfc7009':
        return await revokeRfc7009(input, url, insecure, signal, options.fetch);
      case 'slack_auth_revoke':
        return await revokeSlack(input, url, signal, options.fetch);
      case 'github_delete_token':
        return await revokeGitHub(input, url, signal, options.fetch);
      case 'meta_delete_permissions':
        return await revokeMeta(input, url, signal, options.fetch);
    }
  } catch (error) {
    return fromError(error);
  }
}

/**
 * RFC 7009 (https://datatracker.ietf.org/doc/html/rfc7009): POST the token to the revocation
 * endpoint with the client's authentication; 200 means revoked (an unknown token too, §2.2).
 * The refresh token when there is one: revoking it ends the grant and its access tokens
 * (§2.1, "SHOULD also invalidate all access tokens based on the same authorization grant").
 */
async function revokeRfc7009(
  input: RevokeInput,
  url: string,
  insecure: boolean,
  signal: AbortSignal,
  fetchImpl: typeof fetch,
): Promise<RevocationResult> {
  const credentials = input.provider.credentials;
  if (!credentials) return failed('missing_client_credentials');
  const token = input.refreshToken ?? input.accessToken;
  if (!token) return failed('no_token');
  const as: oauth.AuthorizationServer = { issuer: new URL(url).origin, revocation_endpoint: url };
  const client: oauth.Client = { client_id: credentials.clientId };
  const clientAuth =
    input.provider.clientAuth === 'client_secret_post'
      ? oauth.ClientSecretPost(credentials.clientSecret)
      : oauth.ClientSecretBasic(credentials.clientSecret);
  const response = await oauth.revocationRequest(as, client, clientAuth, token, {
    signal,
    additionalParameters: { token_type_hint: input.refreshToken ? 'refresh_token' : 'access_token' },
    [oauth.customFetch]: fetchImpl,
    [oauth.allowInsecureRequests]: insecure,
  });
  await oauth.processRevocationResponse(response);
  return { revoked: true };
}

/**
 * Slack `auth.revoke` (https://api.slack.com/methods/auth.revoke): the token to
 * revoke is the request's bearer credential ("Tokens should be passed as an HTTP
 * Authorization header"). Slack answers 200 both ways: `{ "ok": true, "revoked": true }`,
 * or `{ "ok": false, "error": "invalid_auth" }`. Slack's tokens are access tokens; with
 * token rotation an expired one cannot be revoked this way (the refresh token ends with it
 * unused here, as it is erased).
 */
async function revokeSlack(input: RevokeInput, url: string, signal: AbortSignal, fetchImpl: typeof fetch): Promise<RevocationResult> {
  if (!input.accessToken) return failed('no_token');
  const response = await fetchImpl(url, {
    method: 'POST',
    headers: { authorization: `Bearer ${input.accessToken}`, 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
    body: '',
    redirect: 'manual',
    signal,
  });
  const body = await jsonOf(response);
  if (response.status !== 200) return failed(code(field(body, 'error'), `http_${response.status}`), response.status);
  if (field(body, 'ok') === true && field(body, 'revoked') === true) return { revoked: true };
  return failed(code(field(body, 'error'), 'not_revoked'), response.status);
}

/**
 * GitHub "Delete an app token"
 * (https://docs.github.com/en/rest/apps/oauth-applications#delete-an-app-token):
 * `DELETE /applications/{client_id}/token`, Basic authentication with the client id and
 * secret, the access token in the JSON body (never the path: GitHub moved it out of URLs for
 * that reason); 204 No Content on success, 422 when validation fails.
 */
async function revokeGitHub(input: RevokeInput, url: string, signal: AbortSignal, fetchImpl: typeof fetch): Promise<RevocationResult> {
  const credentials = input.provider.credentials;
  if (!credentials) return failed('missing_client_credentials');
  if (!input.accessToken) return failed('no_token');
  const basic = Buffer.from(`${credentials.clientId}:${credentials.clientSecret}`).toString('base64');
  const response = await fetchImpl(url, {
    method: 'DELETE',
    headers: {
      authorization: `Basic ${basic}`,
      accept: 'application/vnd.github+json',
      'content-type': 'application/json',
      'x-github-api-version': '2022-11-28',
    },
    body: JSON.stringify({ access_token: input.accessToken }),
    redirect: 'manual',
    signal,
  });
  await response.arrayBuffer(); // read whole under the same deadline, whatever it says
  if (response.status === 204 || response.status === 200) return { revoked: true };
  return failed(`http_${response.status}`, response.status);
}

/**
 * Meta Graph `DELETE /me/permissions` with the user access token removes the app's whole
 * grant ("Revoking Permissions",
 * https://developers.facebook.com/docs/graph-api/reference/user/permissions/; a user access
 * token may make the request).
 * Graph documents the token only as the `access_token` parameter of the request URL
 * (https://developers.facebook.com/docs/graph-api/overview, "Access Tokens"), so it is
 * there: the URL is built here, sent, and goes nowhere else (never logged or returned).
 * Success is 200 `{ "success": true }`; an error is `{ "error": { "type", "code" } }`.
 */
async function revokeMeta(input: RevokeInput, url: string, signal: AbortSignal, fetchImpl: typeof fetch): Promise<RevocationResult> {
  if (!input.accessToken) return failed('no_token');
  const target = new URL(url);
  target.searchParams.set('access_token', input.accessToken);
  const response = await fetchImpl(target.toString(), { method: 'DELETE', headers: { accept: 'application/json' }, redirect: 'manual', signal });
  const body = await jsonOf(response);
  if (response.status === 200 && (field(body, 'success') === true || body === true)) return { revoked: true };
  const graphError = field(body, 'error');
  const graphCode = field(graphError, 'code');
  const error = typeof graphCode === 'number' && Number.isInteger(graphCode) ? `graph_error_${graphCode}` : `http_${response.status}`;
  return failed(error, response.status);
}

/** The JSON of an answer, or undefined when it is not JSON; read whole under the call's deadline. */
async function jsonOf(response: Response): Promise<unknown> {
  const text = await response.text();
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined; // not JSON: the status and the fallback name say what happened
  }
}

function field(value: unknown, name: string): unknown {
  return value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>)[name] : undefined;
}

/** How a thrown call ended, named without anything the request carried. */
function fromError(error: unknown): RevocationResult {
  if (error instanceof oauth.ResponseBodyError) return failed(code(error.error, `http_${error.status}`), error.status);
  if (error instanceof oauth.WWWAuthenticateChallengeError) {
    const challenge = error.cause.map((item) => item.parameters.error).find((value) => typeof value === 'string');
    return failed(code(challenge, `http_${error.status}`), error.status);
  }
  if (error instanceof oauth.OperationProcessingError && error.cause instanceof Response) {
    return failed(`http_${error.cause.status}`, error.cause.status);
  }
  if (error instanceof Error && (error.name === 'TimeoutError' || error.name === 'AbortError')) return failed('timeout');
  if (error instanceof TypeError) {
    // oauth4webapi refuses to build a request from bad settings (an empty client secret).
    if ('code' in error && typeof error.code === 'string' && error.code.startsWith('ERR_INVALID_ARG')) return failed('request_not_built');
    // fetch() rejects with TypeError for refused connections, resets and DNS failures.
    const cause = (error as TypeError & { cause?: unknown }).cause;
    const timedOut = cause instanceof Error && (cause.name === 'TimeoutError' || cause.name === 'AbortError');
    return failed(timedOut ? 'timeout' : 'connection_failed');
  }
  // Anything else is recorded as a failed revocation (the disconnect goes on); only its
  // name is logged, since a message could quote what the request carried.
  console.error(`[revoke] unexpected ${error instanceof Error ? error.name : typeof error}`);
  return failed('unexpected_error');
}
