/**
 * A provider's deviation from RFC 6749, undone before oauth4webapi reads the response:
 * errors that arrive as HTTP 200, or in a provider's own error shape, become a standard
 * OAuth error body (`{ "error": ... }`) with an error status. `providerCode` keeps the
 * provider's own code for classification and for operators.
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

export function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** A standard OAuth error answer. */
export function oauthError(status: number, error: string, providerCode?: string): NormalisedAnswer {
  return { status, json: { error }, providerCode };
}

/**
 * The entry of a provider-sent code in a mapping table: own keys only, so a code such as
 * "constructor" or "__proto__" does not find Object.prototype's members.
 */
export function entryFor<T>(table: Readonly<Record<string, T>>, code: string): T | undefined {
  return Object.hasOwn(table, code) ? table[code] : undefined;
}
