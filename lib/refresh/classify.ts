import type { AttemptResult, Outcome } from './outcome';

/**
 * What a provider's answer means, from structured fields only (status, `error`, provider
 * codes), never from the text of a message. Pure.
 */

/** Standard and normalised OAuth `error` values, and what each means for the connection. */
const OAUTH_ERRORS = {
  invalid_grant: 'invalid_grant',
  invalid_client: 'config',
  unauthorized_client: 'config',
  unsupported_grant_type: 'config',
  invalid_request: 'config',
  temporarily_unavailable: 'transient',
  server_error: 'transient',
  slow_down: 'transient',
  invalid_scope: 'auth',
  access_denied: 'auth',
  invalid_token: 'auth',
  interaction_required: 'invalid_grant',
  consent_required: 'invalid_grant',
  login_required: 'invalid_grant',
} as const satisfies Record<string, Exclude<Outcome['type'], 'refreshed'>>;

/** Provider codes that override the `error` they come with (normalisers set `providerCode`). */
const PROVIDER_CODES: Record<string, Exclude<Outcome['type'], 'refreshed'>> = {
  // Microsoft Entra: throttling / loop detection; Microsoft asks clients to back off.
  AADSTS50196: 'transient',
  // Microsoft Entra: refresh token expired for inactivity, password changed, MFA or consent needed.
  AADSTS700082: 'invalid_grant',
  AADSTS50173: 'invalid_grant',
  AADSTS50076: 'invalid_grant',
  AADSTS50078: 'invalid_grant',
  AADSTS50079: 'invalid_grant',
  AADSTS65001: 'invalid_grant',
  AADSTS700084: 'invalid_grant',
  AADSTS70043: 'invalid_grant',
  // Microsoft Entra: the app's own credentials: invalid or expired secret, app not found.
  AADSTS7000215: 'config',
  AADSTS7000222: 'config',
  AADSTS700016: 'config',
  AADSTS7000218: 'config',
  // HubSpot.
  BAD_REFRESH_TOKEN: 'invalid_grant',
  BAD_CLIENT_ID: 'config',
  // Meta Graph API error codes: 190 invalid/expired token; 4, 17, 32, 613 rate limits; 1, 2 service.
  META_190: 'invalid_grant',
  META_4: 'transient',
  META_17: 'transient',
  META_32: 'transient',
  META_613: 'transient',
  META_1: 'transient',
  META_2: 'transient',
  META_10: 'auth',
  META_200: 'auth',
  META_101: 'config',
};

const LOCAL_MESSAGES = {
  unknown_provider: 'This provider is not in the catalog or the providers file',
  missing_client_credentials: 'The app has no client ID/secret configured for this provider',
  token_undecryptable: 'The stored token cannot be decrypted (unknown key or damaged ciphertext)',
  no_refresh_token: 'No refresh token is stored and the access token has expired',
  unsupported_grant: 'This provider does not support renewing tokens',
  request_not_built: "The token request could not be built from the provider's settings (client ID, secret or URL)",
  insecure_token_url: 'The token URL uses plain http to another host; only https (or http to this machine) is allowed',
  missing_connection_parameter: "The provider's token URL needs a parameter this connection lacks (e.g. a Shopify shop)",
} as const;

export function classify(result: AttemptResult): Outcome {
  switch (result.kind) {
    case 'tokens':
      return { type: 'refreshed', tokens: result.tokens, httpStatus: result.httpStatus };

    case 'network_error':
      return result.reason === 'timeout'
        ? { type: 'transient', code: 'timeout', message: 'The provider did not answer in time' }
        : { type: 'transient', code: 'network_error', message: 'The provider could not be reached' };

    case 'local_error': {
      const message = LOCAL_MESSAGES[result.problem];
      if (result.problem === 'no_refresh_token') return { type: 'invalid_grant', code: result.problem, message };
      return { type: 'config', code: result.problem, message };
    }

    case 'http_error':
      return classifyStatus(result.httpStatus, result.failure, result.retryAfterSeconds);

    case 'oauth_error': {
      const status = result.httpStatus;
      const error = printableCode(result.error);
      const providerCode = result.providerCode === undefined ? undefined : printableCode(result.providerCode);
      const byProvider = lookup(PROVIDER_CODES, providerCode);
      // Throttling statuses win over whatever error code rides along with them.
      if (!byProvider && isTransientStatus(status)) return classifyStatus(status, 'not_conform', result.retryAfterSeconds);
      const type = byProvider ?? lookup(OAUTH_ERRORS, error) ?? fallbackForStatus(status);
      const code = providerCode ?? error;
      const message = describe(type, code);
      return type === 'transient'
        ? { type, code, message, httpStatus: status, retryAfterSeconds: result.retryAfterSeconds }
        : { type, code, message, httpStatus: status };
    }
  }
}

/**
 * A table entry for a code the provider sent. Own keys only: a provider's `error` of
 * "constructor" or "__proto__" must not find Object.prototype's members.
 */
function lookup(table: Readonly<Record<string, Exclude<Outcome['type'], 'refreshed'>>>, code: string | undefined) {
  return code !== undefined && Object.hasOwn(table, code) ? table[code] : undefined;
}

/**
 * Provider codes are recorded and shown to operators: anything but a short printable token
 * (OAuth restricts `error` to such characters) becomes `unrecognised_error`.
 */
function printableCode(value: string): string {
  return /^[\x21-\x7e]{1,64}$/.test(value) ? value : 'unrecognised_error';
}

function isTransientStatus(status: number): boolean {
  return status === 408 || status === 425 || status === 429 || status >= 500;
}

/** An OAuth error nobody documented: 401/403 and other 4xx count as auth trouble. */
function fallbackForStatus(status: number): Exclude<Outcome['type'], 'refreshed'> {
  if (isTransientStatus(status)) return 'transient';
  if (status === 404 || status === 405 || status === 410) return 'config';
  return 'auth';
}

function classifyStatus(status: number, failure: 'not_json' | 'not_conform' | 'invalid_response', retryAfterSeconds?: number): Outcome {
  // A 401/403 is the provider refusing, whatever its body looks like (a bare "Unauthorized"
  // text is not an outage): auth trouble (CONTRACTS §5), before the non-JSON rule below.
  if (status === 401 || status === 403) {
    return { type: 'auth', code: `http_${status}`, message: `The provider refused the refresh (${status})`, httpStatus: status };
  }
  // No token endpoint at that URL (an HTML 404 page included): the app's configuration.
  if (status === 404 || status === 405 || status === 410) {
    return { type: 'config', code: `http_${status}`, message: `The token endpoint answered ${status}: check the provider's tokenUrl`, httpStatus: status };
  }
  if (isTransientStatus(status) || failure === 'not_json' || failure === 'invalid_response') {
    const code = isTransientStatus(status) ? `http_${status}` : failure === 'not_json' ? 'non_json_response' : 'invalid_token_response';
    const message =
      status === 429
        ? 'The provider is rate limiting requests'
        : isTransientStatus(status)
          ? `The provider answered ${status}`
          : failure === 'not_json'
            ? 'The provider answered with something other than JSON'
            : 'The provider answered without a usable token';
    return { type: 'transient', code, message, httpStatus: status, retryAfterSeconds };
  }
  return { type: 'auth', code: `http_${status}`, message: `The provider refused the refresh (${status})`, httpStatus: status };
}

function describe(type: Exclude<Outcome['type'], 'refreshed'>, code: string): string {
  switch (type) {
    case 'invalid_grant':
      return `The provider no longer accepts this connection's refresh token (${code})`;
    case 'config':
      return `The provider refused the app's credentials or request (${code}); this is an app configuration problem`;
    case 'transient':
      return `The provider is temporarily unavailable (${code})`;
    case 'auth':
      return `The provider refused the refresh (${code})`;
  }
}
