import { entryFor, isObject, oauthError, type Normaliser } from './types';

/**
 * GitHub's token endpoint answers errors with HTTP 200 and `error`, `error_description`,
 * `error_uri` (https://docs.github.com/en/apps/creating-github-apps/authenticating-with-a-github-app/refreshing-user-access-tokens).
 */
const GITHUB_ERRORS: Record<string, { status: number; error: string }> = {
  bad_refresh_token: { status: 400, error: 'invalid_grant' },
  incorrect_client_credentials: { status: 401, error: 'invalid_client' },
  unsupported_grant_type: { status: 400, error: 'unsupported_grant_type' },
};

export const github: Normaliser = (answer) => {
  const body = answer.json;
  if (answer.status !== 200 || !isObject(body) || typeof body.error !== 'string') return answer;
  const mapped = entryFor(GITHUB_ERRORS, body.error) ?? { status: 400, error: body.error };
  return oauthError(mapped.status, mapped.error, `github:${body.error}`);
};
