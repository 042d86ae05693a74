import { entryFor, isObject, oauthError, type Normaliser, type StandardError } from './types';

/**
 * Meta's Graph API errors are `{ "error": { "message", "type": "OAuthException", "code",
 * "error_subcode", "fbtrace_id" } }`; the numeric `code` (and for session errors the
 * subcode) decides, the message is never read. Codes and what to do about each:
 * https://developers.facebook.com/docs/graph-api/guides/error-handling (rate limits:
 * https://developers.facebook.com/docs/graph-api/overview/rate-limiting).
 */
const META_CODES = {
  // API Unknown / API Service: "temporary issue due to downtime, wait and retry". 4, 17, 32,
  // 613: app, user, page and custom rate limits; 341: application limit reached; 368:
  // temporarily blocked for policy violations, "wait and retry".
  1: 'temporarily_unavailable',
  2: 'temporarily_unavailable',
  4: 'temporarily_unavailable',
  17: 'temporarily_unavailable',
  32: 'temporarily_unavailable',
  341: 'temporarily_unavailable',
  368: 'temporarily_unavailable',
  613: 'temporarily_unavailable',

  // 190 access token expired, 102 API session (no subcode: "the login status or access token
  // has expired, been revoked, or is otherwise invalid. Get a new access token").
  190: 'invalid_grant',
  102: 'invalid_grant',

  // 10 and 200-299: a permission "not granted or has been removed": the user can grant it
  // again, so it counts as their auth trouble, not a dead grant.
  10: 'access_denied',
  '200-299': 'access_denied',

  // Our request: 100 "Invalid parameter", 3 API Method (the app lacks the capability), 101 an
  // invalid application id. The app's problem; the user's connection is fine.
  100: 'invalid_request',
  3: 'unauthorized_client',
  101: 'invalid_client',
} as const satisfies Record<string, StandardError>;

/**
 * Subcodes of 190 and 102 ("if a subcode is present, see the subcode"): 458 app not
 * installed, 460 password changed, 463 expired, 467 invalid access token: a new token is
 * needed. 459 user checkpointed and 464 unconfirmed user: the user must log in at
 * facebook.com to correct an issue; the token is not dead.
 */
const SESSION_SUBCODES = {
  458: 'invalid_grant',
  460: 'invalid_grant',
  463: 'invalid_grant',
  467: 'invalid_grant',
  459: 'access_denied',
  464: 'access_denied',
} as const satisfies Record<string, StandardError>;

function codeKey(code: number): string {
  return code >= 200 && code <= 299 ? '200-299' : String(code);
}

function errorFor(code: number | undefined, subcode: unknown): StandardError | undefined {
  if (code === undefined) return undefined;
  const bySubcode =
    (code === 190 || code === 102) && typeof subcode === 'number' ? entryFor<StandardError>(SESSION_SUBCODES, String(subcode)) : undefined;
  return bySubcode ?? entryFor<StandardError>(META_CODES, codeKey(code));
}

export const meta: Normaliser = (answer) => {
  const body = answer.json;
  if (!isObject(body) || !isObject(body.error)) return answer;
  const code = typeof body.error.code === 'number' ? body.error.code : undefined;
  const status = answer.status >= 400 ? answer.status : 400;
  // A code nobody documented keeps a non-standard error, so classify falls back to the status.
  const error = errorFor(code, body.error.error_subcode) ?? 'meta_error';
  return oauthError(status, error, code === undefined ? undefined : `META_${code}`);
};
