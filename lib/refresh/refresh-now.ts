import { randomUUID } from 'node:crypto';
import { claimDue, markProviderCalls } from './claim';
import { callProvider, recordCall, type RefreshContext, type RefreshDeps, type RefreshOneResult, type Trigger } from './refresh-one';
import { REFRESH_POLICY } from './policy-numbers';
import { writeWithRetry } from './write-retry';

/**
 * Refreshes one integration now, outside a pass (on-demand tokens, the expiry check), under
 * the same claim as the cron. Null when it could not be claimed: another worker holds it,
 * or (with `expiringWithinSeconds`) someone refreshed it meanwhile, or it is not connected.
 * The result's write is retried through a database failure until the lease's margin, as a
 * pass does (lib/refresh/write-retry.ts): new tokens in hand are never dropped at the first error.
 */
export async function refreshNow(
  deps: RefreshDeps,
  integrationId: string,
  options: { trigger: Trigger; expiringWithinSeconds?: number },
): Promise<RefreshOneResult | null> {
  const owner = `${options.trigger}_${randomUUID()}`;
  let leaseFrom = Date.now();
  const [claimed] = await claimDue(deps.db, {
    owner,
    now: deps.now(),
    limit: 1,
    leaseSeconds: REFRESH_POLICY.leaseSeconds,
    thresholdMinutes: 0,
    force: true,
    integrationId,
    expiringWithinSeconds: options.expiringWithinSeconds,
  });
  if (!claimed) return null;
  const context: RefreshContext = {
    leaseOwner: owner,
    trigger: options.trigger,
    deadline: Date.now() + deps.requestTimeoutMs * deps.maxAttempts + 5_000,
    markCall: async () => {
      const sentAt = Date.now();
      const held = (await markProviderCalls(deps.db, { ids: [claimed.id], owner, leaseSeconds: REFRESH_POLICY.leaseSeconds })).has(claimed.id);
      if (held) leaseFrom = sentAt;
      return held;
    },
  };
  const called = await callProvider(deps, claimed, context);
  // The lease ran out before the call (a very slow claim): someone else has the row now.
  if (called.kind === 'lease_lost') return null;
  return writeWithRetry(() => recordCall(deps, claimed, context, called), {
    deadline: leaseFrom + (REFRESH_POLICY.leaseSeconds - REFRESH_POLICY.leaseMarginSeconds) * 1000,
    random: deps.random,
  });
}
