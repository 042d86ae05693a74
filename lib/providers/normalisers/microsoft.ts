import { isObject, type Normaliser } from './types';

/**
 * Microsoft Entra sends a standard OAuth error plus `error_codes: [number]`, the AADSTS code
 * that says what really happened (50196 throttling, 700082 expired refresh token, ...).
 * The code is a structured field; the description text is never read.
 */
export const microsoft: Normaliser = (answer) => {
  const body = answer.json;
  if (!isObject(body) || !Array.isArray(body.error_codes)) return answer;
  const first: unknown = body.error_codes[0];
  return typeof first === 'number' ? { ...answer, providerCode: `AADSTS${first}` } : answer;
};
