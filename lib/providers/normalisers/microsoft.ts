import { entryFor, isObject, type Normaliser, type StandardError } from './types';

/**
 * Microsoft Entra sends a standard OAuth error plus `error_codes: [number]`, the AADSTS code
 * that says what really happened; the `error` it comes with can say otherwise (50196, a
 * throttled client, arrives as `invalid_grant`). The code is a structured field; the
 * description text is never read. Codes and their meaning:
 * https://learn.microsoft.com/en-us/entra/identity-platform/reference-error-codes
 */
const AADSTS_CODES = {
  // LoopDetected: "The app has made too many of the same request in too short a period":
  // back off. RetryableError, ExternalServerRetryableError, RequestBudgetExceededError,
  // MsodsServiceUnavailable, TenantThrottlingError, GraphRetryableError: "a transient error",
  // "temporarily unavailable", "too many incoming requests".
  50196: 'temporarily_unavailable',
  50033: 'temporarily_unavailable',
  90006: 'temporarily_unavailable',
  90024: 'temporarily_unavailable',
  90033: 'temporarily_unavailable',
  90055: 'temporarily_unavailable',
  90090: 'temporarily_unavailable',

  // The grant is gone: expired for inactivity (ExpiredOrRevokedGrantInactiveToken), revoked
  // (FreshTokenNeeded), a SPA's fixed lifetime over, sign-in frequency checks, no consent
  // (DelegationDoesNotExist). The user has to sign in again.
  700082: 'invalid_grant',
  50173: 'invalid_grant',
  700084: 'invalid_grant',
  70043: 'invalid_grant',
  65001: 'invalid_grant',
  // Multifactor authentication required, expired or not yet set up: interactive sign-in.
  50076: 'interaction_required',
  50078: 'interaction_required',
  50079: 'interaction_required',

  // The app's own credentials: an invalid or expired client secret, no secret sent, the app
  // not found in the tenant.
  7000215: 'invalid_client',
  7000222: 'invalid_client',
  7000218: 'invalid_client',
  700016: 'unauthorized_client',
  // Our request was malformed ("Request is malformed or invalid", a required parameter or
  // field missing): the app's problem, not the user's, whatever `error` comes with it.
  9002313: 'invalid_request',
  900144: 'invalid_request',
  90014: 'invalid_request',
} as const satisfies Record<string, StandardError>;

export const microsoft: Normaliser = (answer) => {
  const body = answer.json;
  if (!isObject(body) || !Array.isArray(body.error_codes)) return answer;
  const first: unknown = body.error_codes[0];
  if (typeof first !== 'number') return answer;
  const providerCode = `AADSTS${first}`;
  const error = entryFor<StandardError>(AADSTS_CODES, String(first));
  if (error === undefined || error === body.error) return { ...answer, providerCode };
  return { status: answer.status, json: { ...body, error }, providerCode };
};
