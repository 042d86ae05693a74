/**
 * A provider's deviation from RFC 6749, undone before oauth4webapi reads the response:
 * errors that arrive as HTTP 200, or in a provider's own error shape, or with a provider code
 * that says more than their `error`, become a standard OAuth error body whose `error` is one
 * of the StandardError values. `providerCode` keeps the provider's own code for operators.
 */
export interface RawAnswer {
  status: number;
  /** The parsed body, or undefined when it was not JSON. */
  json: unknown;
}

export interface NormalisedAnswer {
  status: number;
  json: unknown;
  providerCode?: string;
}

export type Normaliser = (answer: RawAnswer) => NormalisedAnswer;

/**
 * The `error` values the refresh engine gives a meaning to: RFC 6749 §5.2 (token endpoint),
 * RFC 6749 §4.1.2.1 (`server_error`, `temporarily_unavailable`), RFC 6750 §3.1
 * (`invalid_token`), RFC 8628 §3.5 (`slow_down`) and OpenID Connect Core 1.0 §3.1.2.6
 * (`interaction_required`, `login_required`, `consent_required`). A normaliser's code table
 * maps each provider code to one of these and nothing else.
 */
export type StandardError =
  | 'invalid_grant'
  | 'invalid_client'
  | 'unauthorized_client'
  | 'unsupported_grant_type'
  | 'invalid_request'
  | 'invalid_scope'
  | 'access_denied'
  | 'invalid_token'
  | 'temporarily_unavailable'
  | 'server_error'
  | 'slow_down'
  | 'interaction_required'
  | 'consent_required'
  | 'login_required';

export function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** A standard OAuth error answer. */
export function oauthError(status: number, error: string, providerCode?: string): NormalisedAnswer {
  return { status, json: { error }, providerCode };
}

/**
 * The entry of a provider-sent or file-sent key in a table: own keys only, so a key such as
 * "constructor" or "__proto__" does not find Object.prototype's members. Every such lookup
 * in the engine goes through here.
 */
export function entryFor<T>(table: Readonly<Record<string, T>>, key: string): T | undefined {
  return Object.hasOwn(table, key) ? table[key] : undefined;
}
