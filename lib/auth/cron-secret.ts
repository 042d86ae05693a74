import { createHash, timingSafeEqual } from 'node:crypto';

export type CronAuth = 'ok' | 'unconfigured' | 'unauthorized';

/**
 * Checks `Authorization: Bearer <CRON_SECRET>` in constant time. Fails closed: with no
 * secret configured nothing is authorized, so "Bearer undefined" can never match.
 * Both sides are hashed first so neither the comparison nor its length leaks the secret.
 */
export function checkCronAuthorization(header: string | null, secret: string | undefined): CronAuth {
  if (!secret) return 'unconfigured';
  if (!header) return 'unauthorized';
  const given = createHash('sha256').update(header).digest();
  const expected = createHash('sha256').update(`Bearer ${secret}`).digest();
  return timingSafeEqual(given, expected) ? 'ok' : 'unauthorized';
}
