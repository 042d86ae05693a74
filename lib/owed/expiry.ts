import type { ProviderRegistry } from '../providers/registry';

/**
 * The expiry steps (docs/contracts.md §5), in one table: a connection nothing can renew is
 * told once per step and end date, sooner steps first in this list. `hoursLeft`: the step
 * applies when less than this remains. The 2-hour step is the 5-minute pass's (the daily
 * check runs too seldom to catch it); the others are the daily check's.
 */
export const EXPIRY_STEPS = [
  { name: 'critical', key: 'critical-2h', hoursLeft: 2, email: true },
  { name: 'critical', key: 'critical', hoursLeft: 24, email: true },
  { name: 'urgent', key: 'urgent', hoursLeft: 72, email: true },
  // A check asked to look further ahead than 7 days warns at this step too.
  { name: 'warning', key: 'warning', hoursLeft: 168, email: false },
] as const;

type ExpiryStep = (typeof EXPIRY_STEPS)[number];

/** How soon a connection ends: `critical` under a day, `urgent` under 3 days, else `warning`. */
export type ExpirySeverity = ExpiryStep['name'];

/** The step a connection with `hoursLeft` is at: the soonest that applies, else `warning`. */
export function expiryStep(hoursLeft: number): ExpiryStep {
  return EXPIRY_STEPS.find((step) => hoursLeft < step.hoursLeft) ?? EXPIRY_STEPS[EXPIRY_STEPS.length - 1]!;
}

export function severityFor(hoursLeft: number): ExpirySeverity {
  return expiryStep(hoursLeft).name;
}

/**
 * How soon, in words: "in less than an hour", "in 5 hours", "in 1 day", "in 3 days". Whole
 * units are rounded down so it never promises more time than is left. The one phrase the
 * messages, their emails and the dashboard's `expires_at_human` use.
 */
export function expiryPhrase(msLeft: number): string {
  const hours = Math.floor(Math.max(0, msLeft) / 3_600_000);
  if (hours < 1) return 'in less than an hour';
  if (hours < 24) return `in ${hours} hour${hours === 1 ? '' : 's'}`;
  const days = Math.floor(hours / 24);
  return `in ${days} day${days === 1 ? '' : 's'}`;
}

/**
 * When a connection stops working unless someone acts, if that is within `days`: its refresh
 * token's end, or its access token's end when the 5-minute refresh cannot renew it. Null:
 * nothing ends in the window (or the cron keeps it alive).
 */
export function connectionEnd(
  row: { provider: string; expires_at: Date | null; refresh_token_expires_at: Date | null; has_refresh_token: boolean },
  providers: Pick<ProviderRegistry, 'get'>,
  now: Date,
  days: number,
): Date | null {
  const horizon = now.getTime() + days * 86_400_000;
  const within = (date: Date | null): date is Date => date !== null && date.getTime() >= now.getTime() && date.getTime() <= horizon;
  if (within(row.refresh_token_expires_at)) return row.refresh_token_expires_at;
  if (!renewedByCron(row, providers) && within(row.expires_at)) return row.expires_at;
  return null;
}

/** The providers whose access tokens the 5-minute refresh renews, given a refresh token (renewedByCron's rule, for SQL that needs it). */
export function renewingProviderIds(providers: Pick<ProviderRegistry, 'list'>): string[] {
  return providers
    .list()
    .filter((provider) => provider.refreshGrant === 'refresh_token')
    .map((provider) => provider.id);
}

/** Whether the 5-minute refresh renews this connection's access token (a refresh token grant). */
export function renewedByCron(row: { provider: string; has_refresh_token: boolean }, providers: Pick<ProviderRegistry, 'get'>): boolean {
  return providers.get(row.provider)?.refreshGrant === 'refresh_token' && row.has_refresh_token;
}
