import { entryFor, isObject, oauthError, type Normaliser, type StandardError } from './types';

/**
 * HubSpot answers a failed refresh (https://developers.hubspot.com/docs/api-reference/legacy/authentication/oauth-tokens/v1/refresh-oauth-token)
 * with 400 and its own shape, `{ "status": "BAD_REFRESH_TOKEN", "message": "...",
 * "correlationId": "..." }`, instead of an OAuth `error`. HubSpot's pages do not list these
 * statuses; they are the ones its token endpoint is seen to send (the fault provider's
 * recorded answers cite where), with the correlationId of every HubSpot error
 * (https://developers.hubspot.com/docs/api/error-handling).
 */
const HUBSPOT_CODES = {
  // "missing or unknown refresh token": the app was uninstalled or access revoked.
  BAD_REFRESH_TOKEN: 'invalid_grant',
  // The app's client id or secret.
  BAD_CLIENT_ID: 'invalid_client',
  BAD_CLIENT_SECRET: 'invalid_client',
} as const satisfies Record<string, StandardError>;

export const hubspot: Normaliser = (answer) => {
  const body = answer.json;
  if (answer.status < 400 || !isObject(body) || typeof body.status !== 'string' || typeof body.error === 'string') return answer;
  const error = entryFor<StandardError>(HUBSPOT_CODES, body.status);
  if (!error) return answer;
  return oauthError(answer.status, error, body.status);
};
