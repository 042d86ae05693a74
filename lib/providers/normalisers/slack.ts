import { entryFor, isObject, oauthError, type Normaliser, type StandardError } from './types';

/**
 * Slack's Web API answers HTTP 200 with `{ "ok": false, "error": "..." }` for every failure
 * (https://api.slack.com/web#evaluating_responses), oauth.v2.access included. The codes and
 * what they mean: the errors table of https://docs.slack.dev/reference/methods/oauth.v2.access
 * (token rotation: https://docs.slack.dev/authentication/using-token-rotation).
 */
const SLACK_CODES = {
  // "The given refresh token is invalid"; "Authentication token has expired"; the token is for
  // a deleted user or workspace, or the app was removed: only a new install brings it back.
  invalid_refresh_token: 'invalid_grant',
  token_expired: 'invalid_grant',
  token_revoked: 'invalid_grant',
  account_inactive: 'invalid_grant',

  // "Value passed for client_id / client_secret / grant_type was invalid": the app's settings.
  invalid_client_id: 'invalid_client',
  bad_client_secret: 'invalid_client',
  invalid_grant_type: 'unsupported_grant_type',
  // A malformed call ("invalid arguments", bad form data or content type) or a retired
  // endpoint: our request's fault, never the user's.
  invalid_arguments: 'invalid_request',
  invalid_arg_name: 'invalid_request',
  invalid_array_arg: 'invalid_request',
  invalid_charset: 'invalid_request',
  invalid_form_data: 'invalid_request',
  invalid_post_type: 'invalid_request',
  missing_post_type: 'invalid_request',
  deprecated_endpoint: 'invalid_request',
  method_deprecated: 'invalid_request',

  // Slack's side, passing: rate limited (with Retry-After), an error "likely due to a
  // transient issue on our end", the service unavailable, a workspace mid-migration.
  ratelimited: 'temporarily_unavailable',
  internal_error: 'server_error',
  fatal_error: 'server_error',
  service_unavailable: 'temporarily_unavailable',
  request_timeout: 'temporarily_unavailable',
  team_added_to_org: 'temporarily_unavailable',
  org_login_required: 'temporarily_unavailable',
} as const satisfies Record<string, StandardError>;

/**
 * Slack's `token_type` names the token's kind, "bot" or "user", not an RFC 6750 type; both
 * are sent as Bearer tokens. The provider call hands these to oauth4webapi's
 * `recognizedTokenTypes`, so the response is accepted as Slack sent it.
 */
export const slackTokenTypes = ['bot', 'user'] as const;

/** The HTTP status an RFC 6749 server would have answered with. */
function statusFor(code: string, error: StandardError | undefined): number {
  if (code === 'ratelimited') return 429;
  if (error === 'server_error' || error === 'temporarily_unavailable') return 503;
  if (error === 'invalid_client') return 401;
  return 400;
}

export const slack: Normaliser = (answer) => {
  const body = answer.json;
  if (!isObject(body) || body.ok !== false) return answer;
  const code = typeof body.error === 'string' ? body.error : 'unknown_error';
  const error = entryFor<StandardError>(SLACK_CODES, code);
  return oauthError(statusFor(code, error), error ?? code, `slack:${code}`);
};
