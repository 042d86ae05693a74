import { randomUUID } from 'node:crypto';
import { claimDue } from './claim';
import { refreshOne, type RefreshDeps, type RefreshOneResult, type Trigger } from './refresh-one';
import { DEFAULT_LEASE_SECONDS } from './run-pass';

/**
 * Refreshes one integration now, outside a pass (on-demand tokens, the expiry check), under
 * the same claim as the cron. Null when it could not be claimed: another worker holds it,
 * or (with `expiringWithinSeconds`) someone refreshed it meanwhile, or it is not connected.
 */
export async function refreshNow(
  deps: RefreshDeps,
  integrationId: string,
  options: { trigger: Trigger; expiringWithinSeconds?: number },
): Promise<RefreshOneResult | null> {
  const owner = `${options.trigger}_${randomUUID()}`;
  const [claimed] = await claimDue(deps.db, {
    owner,
    now: deps.now(),
    limit: 1,
    leaseSeconds: DEFAULT_LEASE_SECONDS,
    thresholdMinutes: 0,
    force: true,
    integrationId,
    expiringWithinSeconds: options.expiringWithinSeconds,
  });
  if (!claimed) return null;
  return refreshOne(deps, claimed, {
    leaseOwner: owner,
    trigger: options.trigger,
    deadline: Date.now() + deps.requestTimeoutMs * deps.maxAttempts + 5_000,
  });
}
