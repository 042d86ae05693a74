import type { ProviderRegistry } from '../providers/registry';
import { connectionEnd, expiryPhrase, renewedByCron } from './expiry';

/**
 * A connection's health at a glance: the one colour rule the list, the connection's page and
 * the banners use (docs/contracts.md §5). Colour is never the only signal: `label` says it in
 * words. Decided by state, not by minutes left, so a 1-hour token right after its refresh is
 * green: the cron renews it before it ends.
 */
export type HealthTone = 'green' | 'yellow' | 'red';

export interface Health {
  tone: HealthTone;
  label: string;
  reason?: string;
}

export interface HealthInput {
  status: 'connected' | 'needs_reauthorization' | 'disconnected';
  consecutive_failures: number;
  consecutive_transient_failures: number;
  /** When the connection stops working unless someone acts, within 7 days (connectionEnd); null when nothing ends or the cron renews it. */
  ends_at: Date | null;
  disconnect_reason?: string | null;
}

/** The window in which an end nothing can renew turns a connection yellow. */
export const ENDING_SOON_DAYS = 7;

export function healthOf(input: HealthInput, now: Date): Health {
  if (input.status === 'needs_reauthorization') {
    return { tone: 'red', label: 'Needs reconnecting', reason: input.disconnect_reason ?? 'The provider no longer accepts this connection.' };
  }
  if (input.status === 'disconnected') {
    return { tone: 'red', label: 'Disconnected', ...(input.disconnect_reason ? { reason: input.disconnect_reason } : {}) };
  }
  const failures = input.consecutive_failures + input.consecutive_transient_failures;
  if (failures > 0) {
    return {
      tone: 'yellow',
      label: 'Retrying',
      reason: `${failures} failed attempt${failures === 1 ? '' : 's'} in a row; retrying automatically.`,
    };
  }
  if (input.ends_at && input.ends_at.getTime() - now.getTime() <= ENDING_SOON_DAYS * 86_400_000) {
    return { tone: 'yellow', label: 'Ends soon', reason: `Stops working ${expiryPhrase(input.ends_at.getTime() - now.getTime())}; reconnect to keep it.` };
  }
  return { tone: 'green', label: 'Healthy' };
}

/**
 * healthOf for a stored row: works out `ends_at` with connectionEnd over the next 7 days. A
 * connection still `connected` whose end has already passed (its refresh token ended, or an
 * access token nothing renews expired) no longer works until someone reconnects: red, though
 * no pass has marked it yet (connectionEnd only looks ahead).
 */
export function healthOfRow(
  row: Omit<HealthInput, 'ends_at'> & { provider: string; expires_at: Date | null; refresh_token_expires_at: Date | null; has_refresh_token: boolean },
  providers: Pick<ProviderRegistry, 'get'>,
  now: Date,
): Health {
  if (row.status === 'connected') {
    const ended = (date: Date | null) => date !== null && date.getTime() < now.getTime();
    if (ended(row.refresh_token_expires_at) || (!renewedByCron(row, providers) && ended(row.expires_at))) {
      return { tone: 'red', label: 'Expired', reason: 'Its access has ended and nothing can renew it; reconnect to resume.' };
    }
  }
  const endsAt = row.status === 'connected' ? connectionEnd(row, providers, now, ENDING_SOON_DAYS) : null;
  return healthOf({ ...row, ends_at: endsAt }, now);
}
