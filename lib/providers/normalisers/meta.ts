import { isObject, oauthError, type Normaliser } from './types';

/**
 * Meta's Graph API errors are `{ "error": { "message", "type": "OAuthException", "code",
 * "error_subcode", "fbtrace_id" } }` (https://developers.facebook.com/docs/graph-api/guides/error-handling).
 * The numeric `code` decides; classify maps `META_<code>`.
 */
export const meta: Normaliser = (answer) => {
  const body = answer.json;
  if (!isObject(body) || !isObject(body.error)) return answer;
  const code = typeof body.error.code === 'number' ? body.error.code : undefined;
  const status = answer.status >= 400 ? answer.status : 400;
  return oauthError(status, code === 190 ? 'invalid_grant' : 'meta_error', code === undefined ? undefined : `META_${code}`);
};
