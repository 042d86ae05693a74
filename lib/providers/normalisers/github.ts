import { entryFor, isObject, oauthError, type Normaliser, type StandardError } from './types';

/**
 * GitHub's token endpoint answers errors with HTTP 200 and `error`, `error_description`,
 * `error_uri`. Codes: https://docs.github.com/en/apps/creating-github-apps/authenticating-with-a-github-app/refreshing-user-access-tokens
 * and https://docs.github.com/en/apps/oauth-apps/maintaining-oauth-apps/troubleshooting-oauth-app-access-token-request-errors
 */
const GITHUB_CODES = {
  // "The refresh token passed is incorrect or expired"; "The code passed is incorrect or expired".
  bad_refresh_token: 'invalid_grant',
  bad_verification_code: 'invalid_grant',
  // "The client_id and/or client_secret passed are incorrect": the app's credentials.
  incorrect_client_credentials: 'invalid_client',
  unsupported_grant_type: 'unsupported_grant_type',
  // "The user must have a verified primary email": the user can fix it on GitHub.
  unverified_user_email: 'access_denied',
} as const satisfies Record<string, StandardError>;

export const github: Normaliser = (answer) => {
  const body = answer.json;
  if (answer.status !== 200 || !isObject(body) || typeof body.error !== 'string') return answer;
  const error = entryFor<StandardError>(GITHUB_CODES, body.error);
  return oauthError(error === 'invalid_client' ? 401 : 400, error ?? body.error, `github:${body.error}`);
};
