import { randomBytes, randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { readBody, startLocalHttpServer } from './local-http-server';

/**
 * A scriptable token endpoint for the refresh engine's failure handling: each request is
 * answered by the next queued response (429s, 503 HTML pages, 200-with-error bodies, hangs,
 * connection resets...), or by a fallback: a fixed response or a small rotating issuer.
 * The real OAuth server for the happy path is lib/demo/local-oauth-provider.ts.
 */

export type FaultResponse =
  | {
      status: number;
      /** Sent as JSON (content type application/json unless `contentType` says otherwise). */
      json?: unknown;
      /** Sent as is; content type text/plain unless `contentType` is given. */
      body?: string;
      contentType?: string;
      headers?: Record<string, string>;
      delayMs?: number;
    }
  | { hang: true }
  | { destroy: true };

export interface RecordedRequest {
  method: string;
  path: string;
  headers: Record<string, string | string[] | undefined>;
  /** The form body of a POST, or the query string of a GET (Meta's exchange is a GET). */
  form: Record<string, string>;
}

export interface RotatingIssuer {
  /** Registers a refresh token as valid and current (what the engine holds at the start). */
  seed(refreshToken: string): void;
  /** How long a rotated-away refresh token is still accepted (Xero 30 min, Atlassian 10 min). */
  graceSeconds: number;
  /** Delay before each rotating answer. */
  latencyMs: number;
  /** Successful rotations (new refresh tokens issued). */
  issuedCount(): number;
  /** Requests that presented an already rotated refresh token, inside or after the grace period. */
  reuseCount(): number;
}

export interface FaultProvider {
  url: string;
  tokenUrl: string;
  /** Queue responses for the next calls (FIFO); when the queue is empty, the fallback answers. */
  enqueue(...responses: FaultResponse[]): void;
  setFallback(fallback: FaultResponse | 'rotating'): void;
  requests: RecordedRequest[];
  rotating: RotatingIssuer;
  /** Drop the queued responses not used yet. */
  clearQueue(): void;
  /** Called with each token request as it arrives, before it is answered (null: none). */
  onRequest(hook: ((request: RecordedRequest) => Promise<void>) | null): void;
  /** The most token requests open at the same time since the last reset. */
  maxInFlight(): number;
  resetInFlight(): void;
  /**
   * Answer `/oauth/access_token` as Graph does only for the documented exchange (a GET with
   * exactly grant_type, client_id, client_secret and fb_exchange_token, no body, these
   * credentials); anything else gets Meta's error shape before any queued answer. Null: off.
   */
  requireMetaExchange(app: { clientId: string; clientSecret: string } | null): void;
  close(): Promise<void>;
}

/**
 * What Graph answers a request that is not the documented exchange
 * (https://developers.facebook.com/docs/facebook-login/guides/access-tokens/get-long-lived;
 * error shape: https://developers.facebook.com/docs/graph-api/guides/error-handling), or null.
 */
function metaRefusal(app: { clientId: string; clientSecret: string }, method: string, query: URLSearchParams, body: string): FaultResponse | null {
  const names = [...query.keys()].sort();
  const documented = ['client_id', 'client_secret', 'fb_exchange_token', 'grant_type'];
  const error = (code: number, message: string) => responses.metaError(code, message);
  if (method !== 'GET' || body !== '') return error(100, 'Unsupported request: the exchange is a GET with its parameters in the query string');
  if (names.join() !== documented.join() || query.get('grant_type') !== 'fb_exchange_token' || !query.get('fb_exchange_token')) {
    return error(100, 'Invalid parameter');
  }
  if (query.get('client_id') !== app.clientId) return error(101, 'Error validating application. Invalid application ID.');
  if (query.get('client_secret') !== app.clientSecret) return error(1, 'Error validating client secret.');
  return null;
}

/** The paths a scripted answer is given on: the usual token path and Meta's exchange path. */
const TOKEN_PATHS = new Set(['/token', '/oauth/access_token']);

export async function startFaultProvider(
  options: { latencyMs?: number; graceSeconds?: number; accessTokenTtlSeconds?: number } = {},
): Promise<FaultProvider> {
  const queue: FaultResponse[] = [];
  const requests: RecordedRequest[] = [];
  let fallback: FaultResponse | 'rotating' = 'rotating';
  const issuer = createRotatingIssuer(options);
  let hook: ((request: RecordedRequest) => Promise<void>) | null = null;
  let inFlight = 0;
  let peak = 0;
  let metaApp: { clientId: string; clientSecret: string } | null = null;

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const raw = await readBody(req);
    const form =
      req.method === 'GET' ? Object.fromEntries(url.searchParams) : Object.fromEntries(new URLSearchParams(raw));
    const recorded: RecordedRequest = { method: req.method ?? 'GET', path: url.pathname, headers: { ...req.headers }, form };
    requests.push(recorded);

    if (!TOKEN_PATHS.has(url.pathname)) {
      return send(res, { status: 404, json: { error: 'not_found', path: url.pathname } });
    }
    // Open until answered or dropped by the caller.
    peak = Math.max(peak, (inFlight += 1));
    res.once('close', () => {
      inFlight -= 1;
    });
    if (hook) await hook(recorded);
    if (metaApp && url.pathname === '/oauth/access_token') {
      const refusal = metaRefusal(metaApp, req.method ?? 'GET', url.searchParams, raw);
      if (refusal) return send(res, refusal);
    }
    const scripted = queue.shift() ?? fallback;
    if (scripted === 'rotating') {
      await sleep(issuer.latencyMs);
      return send(res, issuer.answer(form));
    }
    if ('hang' in scripted) return; // never answered; close() destroys the socket
    if ('destroy' in scripted) {
      req.socket.destroy();
      return;
    }
    if (scripted.delayMs) await sleep(scripted.delayMs);
    return send(res, scripted);
  }

  const server = await startLocalHttpServer('fault provider', handle);
  const url = server.url;

  return {
    url,
    tokenUrl: `${url}/token`,
    requests,
    rotating: issuer,
    enqueue: (...responses) => {
      queue.push(...responses);
    },
    setFallback: (next) => {
      fallback = next;
    },
    clearQueue: () => {
      queue.length = 0;
    },
    onRequest: (next) => {
      hook = next;
    },
    requireMetaExchange: (app) => {
      metaApp = app;
    },
    maxInFlight: () => peak,
    resetInFlight: () => {
      peak = inFlight;
    },
    close: () => server.close(),
  };
}

function createRotatingIssuer(options: { latencyMs?: number; graceSeconds?: number; accessTokenTtlSeconds?: number }) {
  /** Every refresh token ever issued or seeded: when it was rotated away and what replaced it. */
  const chain = new Map<string, { rotatedAt: number | null; successor: string | null }>();
  let issued = 0;
  let reused = 0;
  const ttl = options.accessTokenTtlSeconds ?? 3600;

  const issuer = {
    graceSeconds: options.graceSeconds ?? 0,
    latencyMs: options.latencyMs ?? 0,
    seed(refreshToken: string) {
      chain.set(refreshToken, { rotatedAt: null, successor: null });
    },
    issuedCount: () => issued,
    reuseCount: () => reused,

    answer(form: Record<string, string>): FaultResponse {
      if (form.grant_type !== 'refresh_token') {
        return oauthError(400, 'unsupported_grant_type', 'only refresh_token is answered in rotating mode');
      }
      const presented = form.refresh_token ?? '';
      const state = chain.get(presented);
      if (!state) return oauthError(400, 'invalid_grant', 'unknown refresh token');

      if (state.rotatedAt === null) {
        const next = `rt-${randomBytes(12).toString('hex')}`;
        chain.set(next, { rotatedAt: null, successor: null });
        state.rotatedAt = Date.now();
        state.successor = next;
        issued += 1;
        return tokenResponse({ refreshToken: next, expiresIn: ttl });
      }

      reused += 1;
      if (Date.now() - state.rotatedAt > issuer.graceSeconds * 1000) {
        return oauthError(400, 'invalid_grant', 'refresh token already used');
      }
      // Inside the grace period the old token still works and yields the chain's newest
      // refresh token, so two racing workers end up holding the same, valid token.
      let newest = state.successor ?? presented;
      for (let s = chain.get(newest); s?.successor; s = chain.get(newest)) newest = s.successor;
      return tokenResponse({ refreshToken: newest, expiresIn: ttl });
    },
  };
  return issuer;
}

async function send(res: ServerResponse, response: FaultResponse): Promise<void> {
  if (!('status' in response)) return;
  const headers: Record<string, string> = {};
  let body = '';
  if (response.json !== undefined) {
    headers['content-type'] = response.contentType ?? 'application/json; charset=utf-8';
    body = JSON.stringify(response.json);
  } else if (response.body !== undefined) {
    headers['content-type'] = response.contentType ?? 'text/plain; charset=utf-8';
    body = response.body;
  }
  res.writeHead(response.status, { 'cache-control': 'no-store', ...headers, ...response.headers });
  res.end(body);
}


function sleep(ms: number): Promise<void> {
  return ms > 0 ? new Promise((resolve) => setTimeout(resolve, ms)) : Promise.resolve();
}

// ---------------------------------------------------------------------------------------------
// Response shapes recorded from the providers' documentation (and, where the docs are thin,
// from real bodies quoted in public bug reports), so the engine's normalisers are tested
// against what the providers actually send.

function tokenResponse(input: { accessToken?: string; refreshToken?: string; expiresIn?: number; scope?: string } = {}): FaultResponse {
  return {
    status: 200,
    json: {
      access_token: input.accessToken ?? `at-${randomBytes(12).toString('hex')}`,
      token_type: 'Bearer',
      expires_in: input.expiresIn ?? 3600,
      ...(input.refreshToken === undefined ? {} : { refresh_token: input.refreshToken }),
      ...(input.scope === undefined ? {} : { scope: input.scope }),
    },
  };
}

function oauthError(status: number, error: string, description?: string): FaultResponse {
  return { status, json: description === undefined ? { error } : { error, error_description: description } };
}

/** Entra ID's timestamp format, e.g. "2016-01-09 02:02:12Z". */
function entraTimestamp(date = new Date()): string {
  return `${date.toISOString().slice(0, 19).replace('T', ' ')}Z`;
}

/**
 * AADSTS codes the engine must tell apart, with the `error` Entra pairs them with and its
 * message. Codes and messages: https://learn.microsoft.com/en-us/entra/identity-platform/reference-error-codes
 */
const AADSTS = {
  // Throttling ("client request loop"); which `error` comes with it is not documented, and
  // invalid_grant is the hard case: a classifier must read error_codes before `error`.
  50196: { status: 400, error: 'invalid_grant', message: 'The server terminated an operation because it encountered a client request loop. Please contact your app vendor.' },
  700082: { status: 400, error: 'invalid_grant', message: 'The refresh token has expired due to inactivity. The token was issued on 2025-01-01T00:00:00.0000000Z and was inactive for 90.00:00:00.' },
  50173: { status: 400, error: 'invalid_grant', message: 'The provided grant has expired due to it being revoked, a fresh auth token is needed. The user might have changed or reset their password.' },
  65001: { status: 400, error: 'invalid_grant', message: "The user or administrator has not consented to use the application with ID '00000000-0000-0000-0000-000000000000'. Send an interactive authorization request for this user and resource." },
  50076: { status: 400, error: 'interaction_required', message: "Due to a configuration change made by your administrator, or because you moved to a new location, you must use multi-factor authentication to access '00000003-0000-0000-c000-000000000000'." },
  7000215: { status: 401, error: 'invalid_client', message: 'Invalid client secret provided. Ensure the secret being sent in the request is the client secret value, not the client secret ID.' },
  7000222: { status: 401, error: 'invalid_client', message: "The provided client secret keys for app '00000000-0000-0000-0000-000000000000' are expired. Visit the Azure portal to create new keys for your app." },
  50078: { status: 400, error: 'interaction_required', message: "Presented multifactor authentication has expired due to policies configured by your administrator. You must refresh your multifactor authentication to access '00000003-0000-0000-c000-000000000000'." },
  50079: { status: 400, error: 'interaction_required', message: 'Due to a configuration change made by your administrator, or because you moved to a new location, you must enroll in multi-factor authentication.' },
  700084: { status: 400, error: 'invalid_grant', message: 'The refresh token was issued to a single page app (SPA), and therefore has a fixed, limited lifetime of 1.00:00:00, which cannot be extended. It is now expired and a new sign in request must be sent by the SPA to the sign in page.' },
  70043: { status: 400, error: 'invalid_grant', message: 'The refresh token has expired or is invalid due to sign-in frequency checks by conditional access. The token was issued on 2025-01-01T00:00:00.0000000Z and the maximum allowed lifetime for this request is 43200.' },
  700016: { status: 400, error: 'unauthorized_client', message: "Application with identifier '00000000-0000-0000-0000-000000000000' was not found in the directory 'contoso'. This can happen if the application has not been installed by the administrator of the tenant." },
  7000218: { status: 400, error: 'invalid_request', message: "The request body must contain the following parameter: 'client_assertion' or 'client_secret'." },
  // "Request is malformed or invalid", as Entra sends it: with invalid_grant.
  9002313: { status: 400, error: 'invalid_grant', message: 'Invalid request. Request is malformed or invalid.' },
} as const satisfies Record<number, { status: number; error: string; message: string }>;

export type AadstsCode = keyof typeof AADSTS;

export const responses = {
  /** A standard successful refresh response. */
  tokens: tokenResponse,

  /** RFC 6749 §5.2 error body. */
  oauthError,

  /**
   * Slack answers Web API errors with HTTP 200 and `ok: false`.
   * https://docs.slack.dev/reference/methods/oauth.v2.access (errors table), https://docs.slack.dev/authentication/using-token-rotation
   */
  slackOkFalse: (error = 'invalid_refresh_token'): FaultResponse => ({ status: 200, json: { ok: false, error } }),

  /**
   * GitHub answers token errors with HTTP 200 and error/error_description/error_uri.
   * https://docs.github.com/en/apps/creating-github-apps/authenticating-with-a-github-app/refreshing-user-access-tokens
   * https://docs.github.com/en/apps/oauth-apps/maintaining-oauth-apps/troubleshooting-oauth-app-access-token-request-errors
   */
  githubErrorOn200: (error = 'bad_refresh_token'): FaultResponse => ({
    status: 200,
    json: {
      error,
      error_description:
        error === 'bad_refresh_token' ? 'The refresh token passed is incorrect or expired.' : 'The request could not be completed.',
      error_uri: 'https://docs.github.com/apps/managing-oauth-apps/troubleshooting-oauth-app-access-token-request-errors',
    },
  }),

  /**
   * HubSpot's dead refresh token: 400 with its own `status` code instead of an OAuth `error`.
   * HubSpot's docs do not list this body; it is quoted from real answers in
   * https://integrate.hubspot.com/t/what-to-do-when-you-suddenly-get-bad-refresh-token-when-trying-to-refresh-an-access-token/5490
   * and https://www.nango.dev/blog/hubspot-oauth-bad-refresh-token, with the correlationId every
   * HubSpot error carries (https://developers.hubspot.com/docs/api/error-handling).
   */
  hubspotBadRefreshToken: (): FaultResponse => ({
    status: 400,
    json: { status: 'BAD_REFRESH_TOKEN', message: 'missing or unknown refresh token', correlationId: randomUUID() },
  }),

  /**
   * Atlassian answers a dead rotating refresh token with 403, not 400.
   * https://developer.atlassian.com/cloud/oauth/getting-started/refresh-tokens/
   */
  atlassianInvalidGrant403: (): FaultResponse => ({
    status: 403,
    json: { error: 'invalid_grant', error_description: 'Unknown or invalid refresh token.' },
  }),

  /**
   * An Entra ID (Microsoft identity platform) token-endpoint error.
   * Shape: https://learn.microsoft.com/en-us/entra/identity-platform/v2-oauth2-auth-code-flow#error-response-1
   */
  microsoftAadsts: (code: AadstsCode | number, error?: string, status?: number): FaultResponse => {
    // A code outside the table: one nobody documented, with the error and status given.
    const known: { status: number; error: string; message: string } = Object.hasOwn(AADSTS, code)
      ? AADSTS[code as AadstsCode]
      : { status: 400, error: 'invalid_request', message: 'An error with no documented meaning.' };
    const traceId = randomUUID();
    const correlationId = randomUUID();
    const timestamp = entraTimestamp();
    return {
      status: status ?? known.status,
      json: {
        error: error ?? known.error,
        error_description: `AADSTS${code}: ${known.message}\r\nTrace ID: ${traceId}\r\nCorrelation ID: ${correlationId}\r\nTimestamp: ${timestamp}`,
        error_codes: [code],
        timestamp,
        trace_id: traceId,
        correlation_id: correlationId,
        error_uri: `https://login.microsoftonline.com/error?code=${code}`,
      },
    };
  },

  /**
   * A Meta Graph API error, shaped as https://developers.facebook.com/docs/graph-api/guides/error-handling
   * documents it (e.g. code 190 with subcode 463: expired token; code 4: application request
   * limit; code 100: invalid parameter).
   */
  metaError: (code: number, message: string, subcode?: number, status = 400): FaultResponse => ({
    status,
    json: {
      error: {
        message,
        type: 'OAuthException',
        code,
        ...(subcode === undefined ? {} : { error_subcode: subcode }),
        fbtrace_id: 'AbCdEfGhIjK',
      },
    },
  }),

  /**
   * A successful Slack token rotation (https://docs.slack.dev/authentication/using-token-rotation):
   * `ok: true` and a `token_type` naming the token's kind ("bot" or "user").
   */
  slackRotated: (tokenType: string, input: { accessToken?: string; refreshToken?: string } = {}): FaultResponse => ({
    status: 200,
    json: {
      ok: true,
      app_id: 'A0KRD7HC3',
      scope: 'chat:write,channels:read',
      token_type: tokenType,
      access_token: input.accessToken ?? 'xoxe.xoxb-1-example',
      bot_user_id: 'U0KRQLJ9H',
      refresh_token: input.refreshToken ?? 'xoxe-1-example',
      expires_in: 43200,
      team: { id: 'T9TK3CUKW', name: 'Example' },
      enterprise: null,
      is_enterprise_install: false,
    },
  }),

  /** RFC 6585 429 with Retry-After in seconds. */
  tooManyRequests: (retryAfterSeconds = 30): FaultResponse => ({
    status: 429,
    headers: { 'retry-after': String(retryAfterSeconds) },
    json: { error: 'rate_limited', error_description: 'Too many requests' },
  }),

  /** What a load balancer in front of a token endpoint sends during an outage. */
  serviceUnavailable: (): FaultResponse => ({
    status: 503,
    contentType: 'text/html; charset=utf-8',
    body: '<!DOCTYPE html><html><head><title>503 Service Unavailable</title></head><body><h1>Service Unavailable</h1><p>The server is temporarily unable to service your request.</p></body></html>',
  }),

  /** A captive portal, WAF or maintenance page answering 200 with HTML. */
  htmlOn200: (): FaultResponse => ({
    status: 200,
    contentType: 'text/html; charset=utf-8',
    body: '<!DOCTYPE html><html><head><title>Maintenance</title></head><body><p>We will be back shortly.</p></body></html>',
  }),

  /** RFC 6749 §5.2: 401 invalid_client with a WWW-Authenticate challenge for Basic auth. */
  invalidClient: (): FaultResponse => ({
    status: 401,
    headers: { 'www-authenticate': 'Basic realm="token"' },
    json: { error: 'invalid_client', error_description: 'client authentication failed' },
  }),

  /**
   * Salesforce's refresh response: no expires_in (lifetime is the org's session timeout) and no
   * refresh_token (the old one stays valid).
   * https://help.salesforce.com/s/articleView?id=sf.remoteaccess_oauth_refresh_token_flow.htm
   */
  salesforceNoExpiresIn: (): FaultResponse => ({
    status: 200,
    json: {
      access_token: `00Dxx0000000000!${randomBytes(24).toString('base64url')}`,
      signature: randomBytes(32).toString('base64'),
      scope: 'refresh_token api id',
      instance_url: 'https://yourInstance.my.salesforce.com',
      id: 'https://login.salesforce.com/id/00Dxx0000001gPLEAY/005xx000001SwiUAAS',
      token_type: 'Bearer',
      issued_at: String(Date.now()),
    },
  }),

  /**
   * Meta's long-lived token exchange (a GET to /oauth/access_token with grant_type=fb_exchange_token):
   * a new access token, lowercase `bearer`, about 60 days, no refresh token.
   * https://developers.facebook.com/docs/facebook-login/guides/access-tokens/get-long-lived
   */
  metaExchange: (): FaultResponse => ({
    status: 200,
    json: { access_token: `EAA${randomBytes(32).toString('base64url')}`, token_type: 'bearer', expires_in: 5183944 },
  }),
};
