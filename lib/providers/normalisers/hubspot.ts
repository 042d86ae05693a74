import { entryFor, isObject, oauthError, type Normaliser } from './types';

/**
 * HubSpot answers a bad refresh token with 400 and its own shape:
 * `{ "status": "BAD_REFRESH_TOKEN", "message": "...", "correlationId": "..." }`.
 */
const HUBSPOT_ERRORS: Record<string, string> = {
  BAD_REFRESH_TOKEN: 'invalid_grant',
  BAD_CLIENT_ID: 'invalid_client',
  BAD_CLIENT_SECRET: 'invalid_client',
};

export const hubspot: Normaliser = (answer) => {
  const body = answer.json;
  if (answer.status < 400 || !isObject(body) || typeof body.status !== 'string' || typeof body.error === 'string') return answer;
  const error = entryFor(HUBSPOT_ERRORS, body.status);
  if (!error) return answer;
  return oauthError(answer.status, error, body.status);
};
