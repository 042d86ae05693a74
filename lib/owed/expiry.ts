import type { ProviderRegistry } from '../providers/registry';

/** How soon a connection ends: `critical` under a day, `urgent` under 3 days, `warning` under 7. */
export type ExpirySeverity = 'critical' | 'urgent' | 'warning';

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
  const provider = providers.get(row.provider);
  const renewedByCron = provider?.refreshGrant === 'refresh_token' && row.has_refresh_token;
  if (within(row.refresh_token_expires_at)) return row.refresh_token_expires_at;
  if (!renewedByCron && within(row.expires_at)) return row.expires_at;
  return null;
}

export function severityFor(hoursLeft: number): ExpirySeverity {
  if (hoursLeft < 24) return 'critical';
  if (hoursLeft < 72) return 'urgent';
  return 'warning';
}
