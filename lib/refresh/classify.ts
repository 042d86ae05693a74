import { entryFor, type StandardError } from '../providers/normalisers';
import type { AttemptResult, Outcome, WireFailure } from './outcome';

/**
 * What a provider's answer means, from structured fields only: the status and the standard
 * `error` its normaliser left (the provider's own code only names the outcome for
 * operators), never the text of a message. Pure.
 */

type FailureType = Exclude<Outcome['type'], 'refreshed'>;

/**
 * What each standard OAuth `error` means for the connection. Providers' own codes are mapped
 * to these by their normalisers (lib/providers/normalisers), so no provider appears here.
 */
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
} as const satisfies Record<StandardError, FailureType>;

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
      // Tokens in a type the app was not taught to accept: the provider's profile needs the
      // type (as Slack's has), which is the app's configuration, not the user's connection.
      if (result.failure === 'unsupported_token_type') {
        return {
          type: 'config',
          code: 'unsupported_token_type',
          message: "The provider answered with a token_type this app does not accept for it; the provider's profile must name that type",
          httpStatus: result.httpStatus,
        };
      }
      return classifyStatus(result.httpStatus, result.failure, result.retryAfterSeconds);

    case 'oauth_error': {
      const status = result.httpStatus;
      const error = printableCode(result.error);
      // Throttling statuses win over whatever error code rides along with them.
      if (isTransientStatus(status)) return classifyStatus(status, 'not_conform', result.retryAfterSeconds);
      const type = entryFor<FailureType>(OAUTH_ERRORS, error) ?? fallbackForStatus(status);
      // The provider's own code, where its normaliser kept one, is what operators see.
      const code = result.providerCode === undefined ? error : printableCode(result.providerCode);
      const message = describe(type, code);
      return type === 'transient'
        ? { type, code, message, httpStatus: status, retryAfterSeconds: result.retryAfterSeconds }
        : { type, code, message, httpStatus: status };
    }
  }
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
function fallbackForStatus(status: number): FailureType {
  if (status === 404 || status === 405 || status === 410) return 'config';
  return 'auth';
}

function classifyStatus(status: number, failure: WireFailure, retryAfterSeconds?: number): Outcome {
  // A 401/403 is the provider refusing, whatever its body looks like (a bare "Unauthorized"
  // text is not an outage): auth trouble (docs/contracts.md §5), before the non-JSON rule below.
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

function describe(type: FailureType, code: string): string {
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
