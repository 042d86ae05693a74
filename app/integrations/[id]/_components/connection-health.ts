import { connectionEnd } from '@/lib/owed/expiry';
import type { ProviderRegistry } from '@/lib/providers/registry';

export type Health = 'green' | 'yellow' | 'red';

/**
 * The colour rule (dash-design): green = connected, no failures; yellow = connected with
 * failures, or ending within 7 days with nothing able to renew it; red = needs
 * reauthorization or disconnected. A local stand-in until U2's lib/owed/health.ts healthOf
 * is on main; the lead replaces this with it.
 */
export function localHealthOf(
  row: {
    provider: string;
    status: string;
    consecutive_failures: number;
    consecutive_transient_failures: number;
    expires_at: Date | null;
    refresh_token_expires_at: Date | null;
    has_refresh_token: boolean;
  },
  providers: Pick<ProviderRegistry, 'get'>,
  now: Date,
): Health {
  if (row.status !== 'connected') return 'red';
  if (row.consecutive_failures > 0 || row.consecutive_transient_failures > 0) return 'yellow';
  if (connectionEnd(row, providers, now, 7) !== null) return 'yellow';
  return 'green';
}
