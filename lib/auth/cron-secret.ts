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

/**
 * CRON_SECRET straight from the environment, without validating anything else: the cron
 * wrapper authenticates with it before it looks at (and could report on) the rest of the
 * configuration. Blank counts as unset, as in lib/env.ts.
 */
export function configuredCronSecret(source: Record<string, string | undefined> = process.env): string | undefined {
  const value = source.CRON_SECRET?.trim();
  return value ? value : undefined;
}
