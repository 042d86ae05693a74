import { entryFor, isObject, oauthError, type Normaliser } from './types';

/**
 * Slack's Web API answers HTTP 200 with `{ "ok": false, "error": "..." }` for every failure
 * (https://api.slack.com/web#evaluating_responses), oauth.v2.access included.
 */
const SLACK_ERRORS: Record<string, { status: number; error: string }> = {
  invalid_refresh_token: { status: 400, error: 'invalid_grant' },
  token_revoked: { status: 400, error: 'invalid_grant' },
  token_expired: { status: 400, error: 'invalid_grant' },
  invalid_grant_type: { status: 400, error: 'unsupported_grant_type' },
  invalid_client_id: { status: 401, error: 'invalid_client' },
  bad_client_secret: { status: 401, error: 'invalid_client' },
  ratelimited: { status: 429, error: 'temporarily_unavailable' },
  internal_error: { status: 503, error: 'server_error' },
  fatal_error: { status: 503, error: 'server_error' },
  service_unavailable: { status: 503, error: 'temporarily_unavailable' },
  request_timeout: { status: 503, error: 'temporarily_unavailable' },
};

/**
 * Slack's `token_type` names the token's kind ("bot", "user"), not an RFC 6750 type; the
 * tokens are sent as Bearer tokens, and oauth4webapi rejects any type but bearer and DPoP.
 */
const SLACK_TOKEN_KINDS = new Set(['bot', 'user']);

export const slack: Normaliser = (answer) => {
  const body = answer.json;
  if (!isObject(body)) return answer;
  if (body.ok !== false) {
    return typeof body.token_type === 'string' && SLACK_TOKEN_KINDS.has(body.token_type)
      ? { status: answer.status, json: { ...body, token_type: 'Bearer' } }
      : answer;
  }
  const code = typeof body.error === 'string' ? body.error : 'unknown_error';
  const mapped = entryFor(SLACK_ERRORS, code) ?? { status: 400, error: code };
  return oauthError(mapped.status, mapped.error, `slack:${code}`);
};
