import { z } from 'zod';
import { tokenContext, TokenDecryptionError } from '../crypto/key-ring';
import type { RefreshDeps } from './refresh-one';
import { refreshNow } from './refresh-now';
import { REFRESH_POLICY } from './policy-numbers';
import { accessTokenLifetime } from '../providers/lifetime';

/**
 * The library API for host code (docs/contracts.md §7): a usable access token now, refreshing on
 * demand under the same claim as the cron, so the two never refresh one connection twice.
 */

export type TokenUnavailableReason =
  | 'not_found'
  | 'needs_reauthorization'
  | 'disconnected'
  | 'refresh_failed'
  | 'configuration'
  | 'busy';

/** Why no token could be given, and whether the user has to reconnect to fix it. */
export class TokenUnavailableError extends Error {
  constructor(
    readonly integrationId: string,
    readonly reason: TokenUnavailableReason,
    readonly reconnectRequired: boolean,
    message: string,
    readonly errorCode?: string,
  ) {
    super(message);
    this.name = 'TokenUnavailableError';
  }
}

export interface GetTokenOptions {
  /** The token must stay valid at least this long; default 60 seconds. */
  minValiditySeconds?: number;
  /** How long to wait for another worker's refresh of the same connection; default 20 seconds. */
  waitMs?: number;
}

interface Row {
  provider: string;
  status: 'connected' | 'needs_reauthorization' | 'disconnected';
  /** Null once a disconnect erased it. */
  access_token_encrypted: string | null;
  expires_at: Date | null;
  last_refreshed_at: Date | null;
  [key: string]: unknown;
}


/**
 * How long the caller may ask a token to stay valid. A caller asking for more than a fresh
 * token lives (two hours of a one-hour token) would otherwise refresh on every call, and
 * a loop of calls would hammer the provider: the ask is clamped below the lifetime the
 * provider actually gives (this connection's last one, else the catalog's).
 */
function validityWanted(deps: RefreshDeps, row: Row, requestedSeconds: number): number {
  const provider = deps.providers.get(row.provider);
  const observed =
    row.expires_at && row.last_refreshed_at ? (row.expires_at.getTime() - row.last_refreshed_at.getTime()) / 1000 : null;
  const lifetime =
    observed !== null && observed > 0
      ? observed
      : ((provider && accessTokenLifetime(provider, null)) ?? REFRESH_POLICY.onDemandAssumedLifetimeSeconds);
  return Math.max(0, Math.min(requestedSeconds, lifetime * REFRESH_POLICY.onDemandMaxValidityShare)) * 1000;
}

export async function getValidAccessTokenWith(
  deps: RefreshDeps,
  integrationId: string,
  options: GetTokenOptions = {},
): Promise<string> {
  if (!z.uuid().safeParse(integrationId).success) {
    throw new TokenUnavailableError(integrationId, 'not_found', false, 'Not an integration id (uuid)');
  }
  const requestedSeconds = options.minValiditySeconds ?? REFRESH_POLICY.onDemandMinValiditySeconds;
  const waitUntil = Date.now() + (options.waitMs ?? REFRESH_POLICY.onDemandWaitMs);

  for (;;) {
    const [row] = await deps.db.query<Row>(
      `select provider, status, access_token_encrypted, expires_at, last_refreshed_at from public.integrations where id = $1`,
      [integrationId],
    );
    if (!row) throw new TokenUnavailableError(integrationId, 'not_found', false, 'No such integration');
    if (row.status !== 'connected') {
      throw new TokenUnavailableError(
        integrationId,
        row.status,
        true,
        row.status === 'needs_reauthorization' ? 'The user must reconnect this integration' : 'This integration was disconnected',
      );
    }
    const now = deps.now();
    const minValidityMs = validityWanted(deps, row, requestedSeconds);
    const remainingMs = row.expires_at === null ? Infinity : row.expires_at.getTime() - now.getTime();
    const justRefreshed = row.last_refreshed_at !== null && now.getTime() - row.last_refreshed_at.getTime() < REFRESH_POLICY.onDemandRecentRefreshMs;
    if (remainingMs >= minValidityMs || (justRefreshed && remainingMs > 0)) return open(deps, integrationId, row.access_token_encrypted);

    // Still stale at claim time: if another worker refreshed it meanwhile, read that instead.
    const result = await refreshNow(deps, integrationId, {
      trigger: 'on_demand',
      expiringWithinSeconds: Math.ceil(minValidityMs / 1000),
    });
    if (result) {
      if (result.outcome === 'refreshed' && result.accessToken) return result.accessToken;
      if (result.outcome === 'skipped') {
        // Nothing can renew it yet, but it still works.
        if (result.errorCode === 'no_refresh_token_yet') return open(deps, integrationId, row.access_token_encrypted);
        continue; // someone else refreshed it meanwhile: read again
      }
      if (result.reconnectRequired) {
        throw new TokenUnavailableError(integrationId, 'needs_reauthorization', true, 'The user must reconnect this integration', result.errorCode);
      }
      // A passing failure: the current token is still good if it has not expired yet.
      if (row.expires_at && row.expires_at.getTime() > now.getTime() && result.accessToken) return result.accessToken;
      throw new TokenUnavailableError(
        integrationId,
        result.outcome === 'config_failure' ? 'configuration' : 'refresh_failed',
        false,
        result.outcome === 'config_failure'
          ? 'The app is not configured to refresh this provider (an operator must fix it)'
          : 'The provider could not refresh the token right now; try again shortly',
        result.errorCode,
      );
    }
    // Another worker holds the lease: wait for its result, then read again.
    if (Date.now() >= waitUntil) {
      throw new TokenUnavailableError(integrationId, 'busy', false, 'Another refresh of this integration is still running');
    }
    await deps.sleep(REFRESH_POLICY.onDemandPollMs);
  }
}

function open(deps: RefreshDeps, integrationId: string, sealed: string | null): string {
  // Erased by a disconnect (the status said connected a moment ago, or was read before it).
  if (sealed === null) throw new TokenUnavailableError(integrationId, 'disconnected', true, 'This integration was disconnected');
  try {
    return deps.keyRing.decrypt(sealed, tokenContext.access(integrationId));
  } catch (error) {
    if (error instanceof TokenDecryptionError) {
      throw new TokenUnavailableError(integrationId, 'configuration', false, error.message);
    }
    throw error;
  }
}
