import { randomUUID } from 'node:crypto';
import type { Db } from '../db/client';
import type { KeyRing } from '../crypto/key-ring';
import { JobInterruptedError, databaseFailure, describeDatabaseError, type InterruptedSummary } from '../db/errors';
import type { Mailer } from './mailer';
import { claimEmails, deliverEmail, giveBackEmails } from './deliver-email';
import { claimWebhooks, deliverWebhook } from './deliver-webhook';
import { RETRY_SCHEDULES } from './retry-schedule';

/**
 * One pass of the deliver job (the every-minute cron and `tokenwarden deliver`): sends the
 * emails and webhooks that are due, with retries over days (lib/notify/retry-schedule.ts).
 *
 * Emails and webhooks run side by side, each with its own time budget, so a backlog of one
 * never starves the other. Emails go one at a time, paced under Resend's rate limit.
 * Webhooks go concurrently, at most one request in flight per endpoint (an endpoint lease
 * in the database, so overlapping passes keep to it too): a hanging receiver holds one slot
 * for at most the webhook timeout and delays nobody else.
 *
 * Rows are claimed with SKIP LOCKED and a lease (next_attempt_at pushed to its end), so
 * overlapping passes never take the same row, and a row whose result was not written comes
 * due again when the lease ends: Resend's Idempotency-Key and the webhook message id make
 * that repeated send one email / one event for the receiver. When the database becomes
 * unreachable, nothing new is claimed or sent; what is in flight finishes; the pass then
 * fails with DeliverPassInterruptedError, whose summary says what it did.
 */

export interface DeliverDeps {
  db: Db;
  /** null: RESEND_API_KEY is unset; emails become `skipped` and stay for the dev mailbox. */
  mailer: Mailer | null;
  emailFrom: string | null;
  keyRing: KeyRing;
  fetch: typeof fetch;
  now: () => Date;
  random: () => number;
  sleep: (ms: number) => Promise<void>;
  /** Resend allows a few requests per second per team; stay under it. */
  emailsPerSecond: number;
  webhookTimeoutMs: number;
}

export interface DeliverOptions {
  /** Emails stop being claimed after this (and webhooks too, unless webhookTimeBudgetMs says otherwise). */
  timeBudgetMs: number;
  /** The webhooks' own budget; default timeBudgetMs. A request in flight at its end finishes. */
  webhookTimeBudgetMs?: number;
  /** Webhook requests in flight at once, each to a different endpoint. */
  webhookConcurrency?: number;
  /** Emails per claim. */
  batchSize?: number;
}

export interface DeliverSummary {
  ok: true;
  runId: string;
  startedAt: string;
  durationMs: number;
  emails: { claimed: number; sent: number; retrying: number; failed: number; skipped: number };
  webhooks: { claimed: number; sent: number; retrying: number; dead: number };
  /** Either budget ran out before its backlog did. */
  budgetExhausted: boolean;
  emailBudgetExhausted: boolean;
  webhookBudgetExhausted: boolean;
  /**
   * Rows attempted whose result could not be written (each logged). Each comes due again
   * when its lease ends and is sent again under the same Idempotency-Key / webhook-id.
   */
  writeFailures: number;
}

export type InterruptedDeliverSummary = InterruptedSummary<DeliverSummary>;

/** A deliver pass stopped because the database could not be reached. */
export class DeliverPassInterruptedError extends JobInterruptedError<DeliverSummary> {}

/** Attempts before an email is marked failed / a webhook is dead-lettered (the schedule's). */
export const MAX_EMAIL_ATTEMPTS = RETRY_SCHEDULES.email.maxAttempts;
export const MAX_WEBHOOK_ATTEMPTS = RETRY_SCHEDULES.webhook.maxAttempts;
/**
 * How long a claimed row (and a webhook endpoint) is held before another pass may take it:
 * longer than one send with its timeout and the write of its result.
 */
export const DELIVERY_LEASE_SECONDS = 120;
/** Without webhookConcurrency: a pass's requests in flight at once. */
export const DEFAULT_WEBHOOK_CONCURRENCY = 8;

export async function runDeliverPass(deps: DeliverDeps, options: DeliverOptions): Promise<DeliverSummary> {
  const startedClock = Date.now();
  const runId = `deliver_${randomUUID()}`;
  const summary: DeliverSummary = {
    ok: true,
    runId,
    startedAt: deps.now().toISOString(),
    durationMs: 0,
    emails: { claimed: 0, sent: 0, retrying: 0, failed: 0, skipped: 0 },
    webhooks: { claimed: 0, sent: 0, retrying: 0, dead: 0 },
    budgetExhausted: false,
    emailBudgetExhausted: false,
    webhookBudgetExhausted: false,
    writeFailures: 0,
  };
  let unreachable: unknown = null;
  let failure: unknown = null;
  const halted = () => unreachable !== null || failure !== null;
  const noteUnreachable = (error: unknown) => {
    if (unreachable === null) console.error(`[deliver] ${runId}: the database is unreachable (${describeDatabaseError(error)}); nothing new is sent`);
    unreachable ??= error;
  };
  /** A claim (or give-back) failed: the database being down stops the pass; anything else fails it. */
  const claimFailed = (error: unknown) => {
    if (databaseFailure(error) === 'refused') failure ??= error;
    else noteUnreachable(error);
  };
  /** A row was attempted but its result not written: it comes due again when its lease ends. */
  const resultNotWritten = (kind: 'email' | 'webhook', id: string, error: unknown) => {
    summary.writeFailures += 1;
    console.error(`[deliver] ${kind} ${id}: result not written (${describeDatabaseError(error)}); due again when its lease ends`);
    if (databaseFailure(error) === 'unavailable') noteUnreachable(error);
  };

  const control: LaneControl = { halted, claimFailed, resultNotWritten };
  await Promise.all([
    emailLane(deps, summary, control, { deadline: startedClock + options.timeBudgetMs, batchSize: options.batchSize ?? 50 }),
    webhookLane(deps, summary, control, {
      runId,
      deadline: startedClock + (options.webhookTimeBudgetMs ?? options.timeBudgetMs),
      concurrency: options.webhookConcurrency ?? DEFAULT_WEBHOOK_CONCURRENCY,
    }),
  ]);

  summary.budgetExhausted = summary.emailBudgetExhausted || summary.webhookBudgetExhausted;
  summary.durationMs = Date.now() - startedClock;
  if (failure) throw failure;
  if (unreachable) {
    const message = `the database became unreachable during the deliver pass: ${describeDatabaseError(unreachable)}`;
    throw new DeliverPassInterruptedError({ ...summary, ok: false, error: 'database_unreachable', message }, { cause: unreachable });
  }
  return summary;
}

interface LaneControl {
  halted: () => boolean;
  claimFailed: (error: unknown) => void;
  resultNotWritten: (kind: 'email' | 'webhook', id: string, error: unknown) => void;
}

/**
 * Emails, one at a time, paced under Resend's rate limit. The pace is kept between the
 * requests themselves (after rendering, which can take long on a cold start) and on the
 * pass's clock, the one `sleep` advances. Rows claimed but not attempted when the budget
 * runs out get their attempt back and are due again at once.
 */
async function emailLane(deps: DeliverDeps, summary: DeliverSummary, control: LaneControl, lane: { deadline: number; batchSize: number }) {
  let lastSend = Number.NEGATIVE_INFINITY;
  const pace = async (): Promise<void> => {
    const wait = lastSend + 1000 / deps.emailsPerSecond - deps.now().getTime();
    if (wait > 0) await deps.sleep(wait);
    lastSend = deps.now().getTime();
  };
  for (;;) {
    if (control.halted()) return;
    if (Date.now() >= lane.deadline) {
      summary.emailBudgetExhausted = true;
      return;
    }
    let rows;
    try {
      rows = await claimEmails(deps.db, deps.now(), lane.batchSize, DELIVERY_LEASE_SECONDS);
    } catch (error) {
      control.claimFailed(error);
      return;
    }
    if (rows.length === 0) return;
    for (const [index, row] of rows.entries()) {
      if (control.halted() || Date.now() >= lane.deadline) {
        if (!control.halted()) summary.emailBudgetExhausted = true;
        await giveBackEmails(deps.db, rows.slice(index).map((r) => r.id)).catch(control.claimFailed);
        return;
      }
      summary.emails.claimed += 1;
      try {
        summary.emails[await deliverEmail(deps, row, pace)] += 1;
      } catch (error) {
        control.resultNotWritten('email', row.id, error);
      }
    }
  }
}

/**
 * Webhooks, up to `concurrency` requests at once, each to a different endpoint: a claim
 * takes at most one due delivery per endpoint it can lease, and claims again whenever a
 * request finishes (its endpoint may have more due). Requests in flight when the budget
 * runs out finish and are recorded.
 */
async function webhookLane(
  deps: DeliverDeps,
  summary: DeliverSummary,
  control: LaneControl,
  lane: { runId: string; deadline: number; concurrency: number },
) {
  const inFlight = new Set<Promise<void>>();
  // The last claim took every endpoint it could: claim again only once a request finishes.
  let idle = false;
  let claiming = true;
  for (;;) {
    if (claiming && control.halted()) claiming = false;
    if (claiming && Date.now() >= lane.deadline) {
      summary.webhookBudgetExhausted = true;
      claiming = false;
    }
    const free = lane.concurrency - inFlight.size;
    if (claiming && !idle && free > 0) {
      let rows: Awaited<ReturnType<typeof claimWebhooks>> = [];
      try {
        rows = await claimWebhooks(deps.db, lane.runId, deps.now(), free, DELIVERY_LEASE_SECONDS);
      } catch (error) {
        control.claimFailed(error);
        claiming = false;
      }
      if (rows.length < free) idle = true;
      for (const row of rows) {
        summary.webhooks.claimed += 1;
        const task = (async () => {
          try {
            summary.webhooks[await deliverWebhook(deps, row, lane.runId)] += 1;
          } catch (error) {
            control.resultNotWritten('webhook', row.id, error);
          }
        })().finally(() => {
          inFlight.delete(task);
          idle = false;
        });
        inFlight.add(task);
      }
      continue;
    }
    if (inFlight.size === 0) return;
    await Promise.race(inFlight);
  }
}
