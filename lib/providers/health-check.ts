import { entryFor, isObject } from './normalisers';

/**
 * How to read a provider's health-check answer (its profile's `healthCheckUrl`). Most say a
 * bad token with HTTP 401; some answer 200 and say it in the body, as a normaliser undoes for
 * token endpoints. Data, by provider id: where the body says success, where it names the
 * error, and which of those errors mean the token itself was refused (so a refresh may help).
 */
export interface HealthBodyReading {
  okPath: readonly string[];
  errorPath: readonly string[];
  tokenErrors: readonly string[];
}

export const HEALTH_BODY_READINGS = {
  // https://api.slack.com/methods/auth.test: HTTP 200 `{ ok: false, error }` for every failure;
  // the token errors of its errors table.
  slack: { okPath: ['ok'], errorPath: ['error'], tokenErrors: ['invalid_auth', 'not_authed', 'token_revoked', 'token_expired', 'account_inactive'] },
} as const satisfies Record<string, HealthBodyReading>;

export type HealthReading =
  | { kind: 'healthy' }
  /** The token was refused: 401, or the body's own word for it. */
  | { kind: 'token_refused'; error: string }
  | { kind: 'failing'; error: string };

function at(value: unknown, path: readonly string[]): unknown {
  let current = value;
  for (const step of path) {
    if (!isObject(current)) return undefined;
    current = entryFor(current, step);
  }
  return current;
}

/** The verdict of one health-check answer (`json` undefined when the body was not JSON). */
export function readHealthAnswer(providerId: string, status: number, json: unknown): HealthReading {
  if (status === 401) return { kind: 'token_refused', error: 'http_401' };
  if (status < 200 || status >= 300) return { kind: 'failing', error: `http_${status}` };
  const reading: HealthBodyReading | undefined = entryFor<HealthBodyReading>(HEALTH_BODY_READINGS, providerId);
  if (!reading || at(json, reading.okPath) === true) return { kind: 'healthy' };
  const code = at(json, reading.errorPath);
  const error = typeof code === 'string' ? code : 'not_ok';
  return reading.tokenErrors.includes(error) ? { kind: 'token_refused', error } : { kind: 'failing', error };
}
