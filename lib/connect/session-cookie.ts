import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

/**
 * The browser binding of a connect session: a random value in a cookie only the callback
 * receives (HttpOnly, SameSite=Lax so it comes along on the provider's top-level redirect
 * back, Path=/api/connect/callback). The session row keeps its SHA-256; a `state` taken to
 * another browser arrives without it and is refused.
 */

export const CALLBACK_PATH = '/api/connect/callback';
export const SESSION_SECONDS = 600;

export function sha256Hex(value: string): string {
  return createHash('sha256').update(value).digest('hex');
}

export function randomToken(): string {
  return randomBytes(32).toString('base64url');
}

/** `tw_connect_<first 16 hex of state_hash>`: one cookie per flow, so two tabs do not collide. */
export function bindingCookieName(stateHash: string): string {
  return `tw_connect_${stateHash.slice(0, 16)}`;
}

function attributes(appUrl: string, maxAge: number): string {
  const secure = new URL(appUrl).protocol === 'https:' ? '; Secure' : '';
  return `HttpOnly; SameSite=Lax; Path=${CALLBACK_PATH}; Max-Age=${maxAge}${secure}`;
}

export function bindingCookie(stateHash: string, value: string, appUrl: string): string {
  return `${bindingCookieName(stateHash)}=${value}; ${attributes(appUrl, SESSION_SECONDS)}`;
}

export function clearedBindingCookie(stateHash: string, appUrl: string): string {
  return `${bindingCookieName(stateHash)}=; ${attributes(appUrl, 0)}`;
}

/** Whether the cookie's value hashes to the stored hash, compared in constant time. */
export function bindingMatches(cookieValue: string | undefined, storedHash: string): boolean {
  if (!cookieValue) return false;
  const given = Buffer.from(sha256Hex(cookieValue), 'hex');
  const stored = Buffer.from(storedHash, 'hex');
  return given.length === stored.length && timingSafeEqual(given, stored);
}
