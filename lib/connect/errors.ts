/**
 * Why a connect did not happen, as a code (for tests and logs) and a sentence for the person
 * in front of the page. Never a token, code, verifier or state: messages are built from our
 * own words, provider and account names, and a provider's error code only after it was
 * checked to be a plain code.
 */

export type ConnectErrorCode =
  | 'unknown_provider'
  | 'no_authorization_url'
  | 'no_credentials'
  | 'bad_return_to'
  | 'not_found'
  | 'provider_mismatch'
  | 'missing_connection_parameter'
  | 'insecure_url'
  | 'missing_parameters'
  | 'unknown_state'
  | 'state_used'
  | 'state_expired'
  | 'foreign_browser'
  | 'other_user'
  | 'cancelled'
  | 'provider_error'
  | 'token_endpoint_failed'
  | 'no_refresh_token'
  | 'id_token_invalid'
  | 'account_unknown'
  | 'wrong_account'
  | 'account_already_connected'
  | 'long_lived_failed';

const STATUS: Record<ConnectErrorCode, number> = {
  unknown_provider: 404,
  no_authorization_url: 400,
  no_credentials: 400,
  bad_return_to: 400,
  not_found: 404,
  provider_mismatch: 400,
  missing_connection_parameter: 400,
  insecure_url: 400,
  missing_parameters: 400,
  unknown_state: 400,
  state_used: 400,
  state_expired: 400,
  foreign_browser: 400,
  other_user: 400,
  cancelled: 400,
  provider_error: 400,
  token_endpoint_failed: 502,
  no_refresh_token: 502,
  id_token_invalid: 502,
  account_unknown: 502,
  wrong_account: 409,
  account_already_connected: 409,
  long_lived_failed: 502,
};

export class ConnectError extends Error {
  readonly status: number;

  constructor(
    readonly code: ConnectErrorCode,
    /** The sentence the page shows. */
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'ConnectError';
    this.status = STATUS[code];
  }
}

/** A provider-sent code shown only when it is a plain code (`access_denied`), never free text. */
export function safeCode(value: string | null | undefined): string {
  return value && /^[A-Za-z0-9_.-]{1,64}$/.test(value) ? value : 'unknown';
}
