import { randomUUID } from 'node:crypto';
import { claimDue, countDue, releaseLeases, renewLease, type ClaimedIntegration } from './claim';
import { callProvider, recordCall, type RefreshDeps, type RefreshOneResult, type Trigger } from './refresh-one';
import { Limiter } from './limiter';
import { ResultWriteError, ResultWriter } from './record';
import { raiseConfigAlerts, raiseFailureRateAlerts, type ConfigFailure } from '../notify/operator-alerts';

/**
 * One refresh pass: claim due integrations in batches, refresh them with bounded
 * concurrency (and a per-provider cap), stop claiming when the time budget is spent, give
 * back what was claimed but not started, and report. The cron route and `tokenwarden
 * refresh` both run exactly this.
 */

export interface PassOptions {
  trigger: Trigger;
  force?: boolean;
  provider?: string | null;
  integrationId?: string | null;
  verbose?: boolean;
  concurrency: number;
  providerConcurrency: number;
  timeBudgetMs: number;
  thresholdMinutes: number;
  /** Rows per claim statement; defaults to twice the concurrency. */
  batchSize?: number;
  /** How long a claim holds a row; must outlast the slowest refresh with its retries. */
  leaseSeconds?: number;
}

export interface PassResult {
  integrationId: string;
  provider: string;
  outcome: RefreshOneResult['outcome'];
  errorCode?: string;
  attempts: number;
  durationMs: number;
}

export interface PassSummary {
  ok: true;
  runId: string;
  startedAt: string;
  durationMs: number;
  claimed: number;
  refreshed: number;
  skipped: number;
  transientFailures: number;
  authFailures: number;
  configFailures: number;
  disconnected: number;
  notificationsCreated: number;
  emailsQueued: number;
  /** The time budget ran out before the backlog did. */
  budgetExhausted: boolean;
  /** Claimed but not started when the budget ran out; their leases were given back. */
  released: number;
  /** Due integrations not handled by this pass (left for the next one, or another instance). */
  remainingDue: number;
  /** New operator alerts (configuration failures, a provider's failure rate). */
  operatorAlerts: number;
  /** Results the database refused to record (each logged); their rows are retried later. */
  writeFailures: number;
  /** Rows whose lease ran out while they waited for a provider slot; someone else has them. */
  leasesLost: number;
  results?: PassResult[];
}

export const DEFAULT_LEASE_SECONDS = 120;
/** Time kept free at the end of a lease for the write after the last retry. */
const LEASE_MARGIN_SECONDS = 15;

export async function runRefreshPass(deps: RefreshDeps, options: PassOptions): Promise<PassSummary> {
  const runId = `run_${randomUUID()}`;
  const startedAt = deps.now();
  const startedClock = Date.now();
  const deadline = startedClock + options.timeBudgetMs;
  const batchSize = options.batchSize ?? Math.max(10, options.concurrency * 2);
  const leaseSeconds = options.leaseSeconds ?? DEFAULT_LEASE_SECONDS;
  const trigger: Trigger = options.force && options.trigger === 'manual' ? 'forced' : options.trigger;

  const queue: ClaimedIntegration[] = [];
  const results: RefreshOneResult[] = [];
  const notStarted: string[] = [];
  const providerLimits = new Map<string, Limiter>();
  let claimed = 0;
  let exhausted = false;
  let budgetExhausted = false;
  let claiming: Promise<void> | null = null;
  let failure: unknown = null;
  let writeFailures = 0;
  let leasesLost = 0;
  const claimedAt = new Map<string, number>();
  const writes = new Set<Promise<void>>();
  const writer = new ResultWriter(deps.db);
  // Results waiting for the database: bounded, so a slow database slows the pass down.
  const maxPendingWrites = options.concurrency * 2;

  const outOfTime = () => Date.now() >= deadline;
  const refill = (): Promise<void> => {
    claiming ??= (async () => {
      if (outOfTime()) {
        budgetExhausted = true;
        exhausted = true;
        return;
      }
      const batch = await claimDue(deps.db, {
        owner: runId,
        now: deps.now(),
        limit: options.integrationId ? 1 : batchSize,
        leaseSeconds,
        thresholdMinutes: options.thresholdMinutes,
        force: options.force,
        provider: options.provider,
        integrationId: options.integrationId,
      });
      claimed += batch.length;
      const at = Date.now();
      for (const row of batch) claimedAt.set(row.id, at);
      queue.push(...batch);
      if (batch.length === 0 || options.integrationId) exhausted = true;
    })()
      .catch((error: unknown) => {
        failure ??= error;
        exhausted = true;
      })
      .finally(() => {
        claiming = null;
      });
    return claiming;
  };

  const worker = async (): Promise<void> => {
    for (;;) {
      if (failure) return;
      const next = queue.shift();
      if (!next) {
        if (exhausted) return;
        await refill();
        continue;
      }
      // Keep the next batch coming before the queue runs dry.
      if (queue.length < options.concurrency && !exhausted && !claiming) void refill();
      if (outOfTime()) {
        budgetExhausted = true;
        notStarted.push(next.id);
        continue;
      }
      let limiter = providerLimits.get(next.provider);
      if (!limiter) providerLimits.set(next.provider, (limiter = new Limiter(options.providerConcurrency)));
      // Retries never outlive the lease: past it, another worker may take the row.
      const context = { leaseOwner: runId, trigger, deadline, writer };
      try {
        const called = await limiter.run(async () => {
          // The row may have waited for this slot: check the budget and renew the lease now.
          if (outOfTime()) return 'not_started' as const;
          let leaseStart = claimedAt.get(next.id) ?? 0;
          if (Date.now() - leaseStart > leaseSeconds * 500) {
            // Half the lease is gone: renew it, or learn that someone else has the row.
            if (!(await renewLease(deps.db, { id: next.id, owner: runId, now: deps.now(), leaseSeconds }))) return 'lost' as const;
            leaseStart = Date.now();
          }
          context.deadline = Math.min(deadline, leaseStart + (leaseSeconds - LEASE_MARGIN_SECONDS) * 1000);
          return callProvider(deps, next, context);
        });
        if (called === 'not_started') {
          budgetExhausted = true;
          notStarted.push(next.id);
          continue;
        }
        if (called === 'lost') {
          leasesLost += 1;
          continue;
        }
        // Written in the background: the slot goes back to the next provider call at once.
        const write: Promise<void> = recordCall(deps, next, context, called)
          .then((result) => {
            results.push(result);
          })
          .catch((error: unknown) => {
            if (error instanceof ResultWriteError) {
              // This row only: its lease expires and a later pass takes it again; the pass goes on.
              writeFailures += 1;
              console.error(`[refresh] integration ${next.id}: ${error.message}`);
              return;
            }
            // The database itself failed: stop claiming; leases expire and the rows are retried.
            failure ??= error;
          })
          .finally(() => writes.delete(write));
        writes.add(write);
        if (writes.size >= maxPendingWrites) await Promise.race(writes);
      } catch (error) {
        failure ??= error;
        return;
      }
    }
  };

  await Promise.all(Array.from({ length: options.concurrency }, worker));
  await Promise.all(writes);
  notStarted.push(...queue.splice(0).map((row) => row.id));
  if (notStarted.length > 0) await releaseLeases(deps.db, runId, notStarted);
  if (failure) throw failure;

  const count = (outcome: RefreshOneResult['outcome']) => results.filter((r) => r.outcome === outcome).length;
  let operatorAlerts = 0;
  if (deps.alerts) {
    const byProvider = new Map<string, ConfigFailure>();
    for (const r of results.filter((result) => result.outcome === 'config_failure')) {
      const entry = byProvider.get(r.provider) ?? {
        provider: r.provider,
        providerName: deps.providers.get(r.provider)?.name ?? r.provider,
        errorCode: r.errorCode ?? 'config_failure',
        count: 0,
      };
      entry.count += 1;
      byProvider.set(r.provider, entry);
    }
    operatorAlerts += await raiseConfigAlerts(deps.db, [...byProvider.values()], deps.now(), deps.alerts);
    operatorAlerts += await raiseFailureRateAlerts(deps.db, deps.now(), deps.alerts);
  }
  const remainingDue =
    options.integrationId || options.provider || options.force ? notStarted.length : await countDue(deps.db, deps.now(), options.thresholdMinutes);
  const summary: PassSummary = {
    ok: true,
    runId,
    startedAt: startedAt.toISOString(),
    durationMs: Date.now() - startedClock,
    claimed,
    refreshed: count('refreshed'),
    skipped: count('skipped'),
    transientFailures: count('transient_failure'),
    authFailures: count('auth_failure'),
    configFailures: count('config_failure'),
    disconnected: results.filter((r) => r.disconnected).length,
    notificationsCreated: results.reduce((sum, r) => sum + r.notificationsCreated, 0),
    emailsQueued: results.reduce((sum, r) => sum + r.emailsQueued, 0),
    budgetExhausted,
    released: notStarted.length,
    remainingDue,
    operatorAlerts,
    writeFailures,
    leasesLost,
  };
  if (options.verbose) {
    summary.results = results.map((r) => ({
      integrationId: r.integrationId,
      provider: r.provider,
      outcome: r.outcome,
      ...(r.errorCode ? { errorCode: r.errorCode } : {}),
      attempts: r.attempts,
      durationMs: r.durationMs,
    }));
  }
  return summary;
}
