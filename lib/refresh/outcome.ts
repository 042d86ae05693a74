/**
 * The vocabulary of the refresh engine. A provider call ends in an AttemptResult (what
 * happened on the wire, normalised); `classify` turns it into an Outcome (what it means);
 * `policy` turns the Outcome and the connection's counters into the next state.
 */

export interface TokenSet {
  accessToken: string;
  /** Absent: the provider did not rotate it; the stored refresh token stays. */
  refreshToken?: string;
  expiresInSeconds?: number;
  refreshTokenExpiresInSeconds?: number;
  scopes?: string[];
}

/**
 * How an answer failed to be a token response: not JSON, not a conforming OAuth answer, a 200
 * without a usable token, or a token whose `token_type` is neither Bearer, DPoP nor one its
 * provider documents.
 */
export type WireFailure = 'not_json' | 'not_conform' | 'invalid_response' | 'unsupported_token_type';

export type LocalProblem =
  | 'unknown_provider'
  | 'missing_client_credentials'
  | 'token_undecryptable'
  | 'no_refresh_token'
  | 'unsupported_grant'
  | 'missing_connection_parameter'
  | 'insecure_token_url'
  | 'request_not_built';

export type AttemptResult =
  | { kind: 'tokens'; httpStatus: number; tokens: TokenSet }
  /** An OAuth error body (RFC 6749 §5.2), after the provider's normaliser. */
  | { kind: 'oauth_error'; httpStatus: number; error: string; providerCode?: string; retryAfterSeconds?: number }
  /** A response that is not a usable token response and carries no OAuth error. */
  | { kind: 'http_error'; httpStatus: number; failure: WireFailure; retryAfterSeconds?: number }
  | { kind: 'network_error'; reason: 'timeout' | 'connection' }
  /** Found before calling anyone: nothing the provider said. */
  | { kind: 'local_error'; problem: LocalProblem };

interface Failure {
  /** Short machine code for logs and operators: `http_503`, `invalid_grant`, `AADSTS50196`. */
  code: string;
  /** A sentence for people. Never a token, never a provider's free text. */
  message: string;
  httpStatus?: number;
}

export type Outcome =
  | { type: 'refreshed'; tokens: TokenSet; httpStatus: number }
  | (Failure & { type: 'transient'; retryAfterSeconds?: number })
  | (Failure & { type: 'auth' })
  | (Failure & { type: 'invalid_grant' })
  | (Failure & { type: 'config' });

export type OutcomeType = Outcome['type'];

/** The `outcome` column and summary value (docs/contracts.md §3) of each outcome type. */
export const LOGGED_OUTCOME = {
  refreshed: 'refreshed',
  transient: 'transient_failure',
  auth: 'auth_failure',
  invalid_grant: 'auth_failure',
  config: 'config_failure',
} as const satisfies Record<OutcomeType, string>;

export type LoggedOutcome = (typeof LOGGED_OUTCOME)[OutcomeType] | 'skipped';
