import { createHmac, hkdfSync, timingSafeEqual } from 'node:crypto';
import type { KeyRing } from '../crypto/key-ring';

/**
 * The embedded demo's local sign-in: a signed cookie holding a user id and an expiry.
 * Accepted only where lib/local-auth.ts allows the local sign-in; deployments sign in
 * with Supabase Auth.
 * The signing key is derived (HKDF) from the active encryption key, so there is no extra
 * secret to configure and no key used for two purposes.
 */

export const LOCAL_SESSION_COOKIE = 'tw_local_session';
export const LOCAL_SESSION_TTL_SECONDS = 12 * 3600;

function signingKey(keyRing: KeyRing): Buffer {
  return Buffer.from(hkdfSync('sha256', keyRing.activeKey(), Buffer.alloc(0), 'tokenwarden local session v1', 32));
}

function sign(payload: string, key: Buffer): string {
  return createHmac('sha256', key).update(payload).digest('base64url');
}

export function createLocalSession(keyRing: KeyRing, userId: string, now = new Date()): string {
  const expires = Math.floor(now.getTime() / 1000) + LOCAL_SESSION_TTL_SECONDS;
  const payload = `${userId}.${expires}`;
  return `${payload}.${sign(payload, signingKey(keyRing))}`;
}

/** The user id of a valid, unexpired session cookie; null for anything else. */
export function readLocalSession(keyRing: KeyRing, cookie: string | undefined, now = new Date()): string | null {
  if (!cookie) return null;
  const parts = cookie.split('.');
  if (parts.length !== 3) return null;
  const [userId, expires, signature] = parts as [string, string, string];
  const expected = Buffer.from(sign(`${userId}.${expires}`, signingKey(keyRing)));
  const given = Buffer.from(signature);
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) return null;
  if (!/^\d+$/.test(expires) || Number(expires) * 1000 <= now.getTime()) return null;
  return userId;
}
