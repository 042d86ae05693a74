import { randomUUID } from 'node:crypto';
import { claimDue, countDue, releaseLeases, type ClaimedIntegration } from './claim';
import { callProvider, recordCall, type CalledProvider, type RefreshContext, type RefreshDeps, type RefreshOneResult, type Trigger } from './refresh-one';
import { ResultWriter } from './record';
import { CallMarker } from './call-marker';
import { ResultNotWrittenError, writeWithRetry } from './write-retry';
import { raiseLastExpiryStep } from './last-step';
import { REFRESH_POLICY } from './policy-numbers';
import { JobInterruptedError, databaseFailure, describeDatabaseError, type InterruptedSummary } from '../db/errors';
import type { ConfigFailure } from '../owed/operator-alerting';

/**
 * One refresh pass: claim due integrations in batches, refresh them with bounded
 * concurrency (and a per-provider cap), stop claiming when the time budget is spent, give
 * back what was claimed but not started, and report. The cron route and `tokenwarden
 * refresh` both run exactly this.
 *
 * When the database becomes unreachable mid-pass, the pass stops claiming and starts no
 * new provider call (each would spend a refresh token whose successor might not be
 * saved), keeps retrying the writes of the results it already holds until their leases'
 * margin, and then fails with RefreshPassInterruptedError, whose summary keeps the counts.
 */

export interface PassOptions {
  trigger: Trigger;
  force?: boolean;
  provider?: string | null;
  integrationId?: string | null;
  verbose?: boolean;
  /** Provider calls in flight at once. */
  concurrency: number;
  /** Calls in flight to one provider while another provider's work waits (see takeNext). */
  providerConcurrency: number;
  timeBudgetMs: number;
  thresholdMinutes: number;
  /** Rows per claim statement; defaults to twice the concurrency. */
  batchSize?: number;
  /** How long a claim holds a row; must outlast the slowest refresh with its retries. */
  leaseSeconds?: number;
  /**
   * After the time budget, how long the writes of results already in hand may still be
   * retried through a database failure (never past their lease's margin). Budget plus
   * grace plus one provider request stays inside the route's maxDuration.
   */
  writeGraceMs?: number;
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
  /** Results that could not be recorded (refused, or the database stayed unreachable); each logged, their rows retried later. */
  writeFailures: number;
  /** Of those, results carrying a newly issued refresh token that is now lost (logged, never the value). */
  lostInFlight: number;
  /** Rows whose lease ran out while they waited for a provider slot; someone else has them. */
  leasesLost: number;
  /** Connections told of the last expiry step (2 hours before an end nothing can renew); scheduled passes only. */
  expiryNotices: number;
  results?: PassResult[];
}


/** The summary of a pass that the database's failure cut short. */
export type InterruptedPassSummary = InterruptedSummary<Omit<PassSummary, 'remainingDue' | 'operatorAlerts' | 'expiryNotices' | 'results'>>;

/** A refresh pass stopped because the database could not be reached. */
export class RefreshPassInterruptedError extends JobInterruptedError<Omit<PassSummary, 'remainingDue' | 'operatorAlerts' | 'expiryNotices' | 'results'>> {}

export async function runRefreshPass(deps: RefreshDeps, options: PassOptions): Promise<PassSummary> {
  const runId = `run_${randomUUID()}`;
  const startedAt = deps.now();
  const startedClock = Date.now();
  const deadline = startedClock + options.timeBudgetMs;
  // 240 s budget + 45 s grace + one 10 s request stays inside the route's 300 s maxDuration.
  const hardDeadline = deadline + (options.writeGraceMs ?? REFRESH_POLICY.writeGraceMs);
  const batchSize = options.batchSize ?? Math.max(10, options.concurrency * 2);
  const leaseSeconds = options.leaseSeconds ?? REFRESH_POLICY.leaseSeconds;
  const leaseUsableMs = (leaseSeconds - REFRESH_POLICY.leaseMarginSeconds) * 1000;
  const trigger: Trigger = options.force && options.trigger === 'manual' ? 'forced' : options.trigger;

  const queue: ClaimedIntegration[] = [];
  const results: RefreshOneResult[] = [];
  const notStarted: string[] = [];
  /** Provider calls in flight per provider. */
  const inFlight = new Map<string, number>();
  let claimed = 0;
  let exhausted = false;
  let budgetExhausted = false;
  let claiming: Promise<void> | null = null;
  let failure: unknown = null;
  /** The first error that said the database is unreachable: from then on nothing new starts. */
  let unreachable: unknown = null;
  let writeFailures = 0;
  let lostInFlight = 0;
  let leasesLost = 0;
  const claimedAt = new Map<string, number>();
  const writes = new Set<Promise<void>>();
  const writer = new ResultWriter(deps.db);
  const marker = new CallMarker(deps.db, runId, leaseSeconds);
  // Results waiting for the database: bounded, so a slow database slows the pass down.
  const maxPendingWrites = options.concurrency * 2;

  const outOfTime = () => Date.now() >= deadline;
  const stopped = () => failure !== null || unreachable !== null;
  const noteUnreachable = (error: unknown) => {
    if (unreachable === null) console.error(`[refresh] ${runId}: the database is unreachable (${describeDatabaseError(error)}); no new provider calls`);
    unreachable ??= error;
    exhausted = true;
  };
  /** A database error outside a write: the database being down stops the pass; anything else fails it. */
  const noteDatabaseError = (error: unknown) => {
    if (databaseFailure(error) === 'refused') failure ??= error;
    else noteUnreachable(error);
  };

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
        noteDatabaseError(error);
        exhausted = true;
      })
      .finally(() => {
        claiming = null;
      });
    return claiming;
  };

  const record = (next: ClaimedIntegration, context: RefreshContext, called: CalledProvider, leaseFrom: number): void => {
    // Written in the background: the slot goes back to the next provider call at once.
    const write: Promise<void> = writeWithRetry(() => recordCall(deps, next, context, called), {
      deadline: Math.min(leaseFrom + leaseUsableMs, hardDeadline),
      random: deps.random,
      onUnavailable: noteUnreachable,
    })
      .then((result) => {
        results.push(result);
      })
      .catch((error: unknown) => {
        if (!(error instanceof ResultNotWrittenError)) {
          failure ??= error;
          return;
        }
        // This row only: its lease expires and a later pass takes it again.
        writeFailures += 1;
        const issued = called.kind === 'outcome' && called.outcome.type === 'refreshed' && called.outcome.tokens.refreshToken !== null;
        if (issued) lostInFlight += 1;
        console.error(
          `[refresh] integration ${next.id}: ${error.message}` +
            (issued ? '; the refresh token the provider just issued was not saved (lost in flight)' : ''),
        );
      })
      .finally(() => writes.delete(write));
    writes.add(write);
  };

  /**
   * The next row to start. The per-provider cap bites only while another provider's work
   * waits: a row whose provider is under its cap goes first, and when every waiting row's
   * provider is at its cap, the oldest goes anyway, so a fleet on one provider still uses
   * every configured slot.
   */
  const takeNext = (): ClaimedIntegration | undefined => {
    const index = queue.findIndex((row) => (inFlight.get(row.provider) ?? 0) < options.providerConcurrency);
    return queue.splice(index === -1 ? 0 : index, 1)[0];
  };

  const worker = async (): Promise<void> => {
    for (;;) {
      if (stopped()) return;
      const next = takeNext();
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
      let leaseFrom = claimedAt.get(next.id) ?? Date.now();
      // Retries never outlive the lease: past it, another worker may take the row.
      const context: RefreshContext = {
        leaseOwner: runId,
        trigger,
        deadline: Math.min(deadline, leaseFrom + leaseUsableMs),
        writer,
        markCall: async () => {
          // The database failed meanwhile: a call now could spend a token we cannot save.
          if (stopped()) return false;
          const sentAt = Date.now();
          const held = await marker.mark(next.id);
          if (held) {
            leaseFrom = sentAt;
            context.deadline = Math.min(deadline, sentAt + leaseUsableMs);
          }
          return held;
        },
      };
      let called: CalledProvider;
      inFlight.set(next.provider, (inFlight.get(next.provider) ?? 0) + 1);
      try {
        called = await callProvider(deps, next, context);
      } catch (error) {
        // The call mark could not be written: the provider was not called.
        noteDatabaseError(error);
        notStarted.push(next.id);
        continue;
      } finally {
        inFlight.set(next.provider, (inFlight.get(next.provider) ?? 1) - 1);
      }
      if (called.kind === 'lease_lost') {
        if (stopped()) notStarted.push(next.id);
        else leasesLost += 1;
        continue;
      }
      record(next, context, called, leaseFrom);
      if (writes.size >= maxPendingWrites) await Promise.race(writes);
    }
  };

  await Promise.all(Array.from({ length: options.concurrency }, worker));
  if (claiming) await claiming;
  await Promise.all(writes);
  notStarted.push(...queue.splice(0).map((row) => row.id));
  if (notStarted.length > 0) {
    // If the database is still down the leases simply expire; nothing was called for these.
    await releaseLeases(deps.db, runId, notStarted).catch(noteDatabaseError);
  }
  if (failure) throw failure;

  const count = (outcome: RefreshOneResult['outcome']) => results.filter((r) => r.outcome === outcome).length;
  const counts = {
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
    writeFailures,
    lostInFlight,
    leasesLost,
  };
  if (unreachable !== null) {
    throw new RefreshPassInterruptedError(
      {
        ok: false,
        error: 'database_unreachable',
        message:
          `The database was unreachable during this refresh pass (${describeDatabaseError(unreachable)}). ` +
          `The pass stopped claiming and calling providers; ${results.length} result(s) were recorded, ` +
          `${writeFailures} could not be (${lostInFlight} with a newly issued refresh token lost). ` +
          `Connections left unrefreshed are taken by the next pass.`,
        ...counts,
      },
      { cause: unreachable },
    );
  }

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
    operatorAlerts = await deps.alerts.afterPass({ configFailures: [...byProvider.values()], now: deps.now() });
  }
  const targeted = Boolean(options.integrationId || options.provider || options.force);
  const remainingDue = targeted ? notStarted.length : await countDue(deps.db, deps.now(), options.thresholdMinutes);
  // After the refreshes: a connection renewed in this pass no longer ends within 2 hours.
  const expiryNotices = targeted ? 0 : (await raiseLastExpiryStep(deps)).warned;
  const summary: PassSummary = { ok: true, ...counts, remainingDue, operatorAlerts, expiryNotices };
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
