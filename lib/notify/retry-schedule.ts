/**
 * How long the deliver job keeps trying an email or a webhook: the one table of its retry
 * numbers. A Resend outage of an afternoon, or a receiver that is down overnight or over a
 * weekend day, must lose nothing, so the schedule spans more than three days before a row
 * is given up (`failed` / `dead`), whatever the jitter draws.
 *
 * The wait after the n-th failed attempt is `baseDelaySeconds × 2^(n-1)`, capped at
 * `maxDelaySeconds` (so a receiver that comes back is tried again within that cap), minus
 * up to `jitter` of itself at random so that rows queued together do not retry together.
 * A `Retry-After` longer than the wait is honoured.
 */

export interface RetrySchedule {
  /** Attempts in all, the first one included; the last failure gives up. */
  maxAttempts: number;
  /** The wait after the first failed attempt; each later wait doubles, up to maxDelaySeconds. */
  baseDelaySeconds: number;
  maxDelaySeconds: number;
  /** The random share of each wait: it lies between (1 - jitter) × step and the step. */
  jitter: number;
}

export type RetryKind = 'email' | 'webhook';

export const RETRY_SCHEDULES = {
  // 30 s, 1 min, 2 min … 4 h 16 min, then every 6 h: 25 attempts over 3.1 to 3.9 days.
  email: { maxAttempts: 25, baseDelaySeconds: 30, maxDelaySeconds: 6 * 3600, jitter: 0.2 },
  webhook: { maxAttempts: 25, baseDelaySeconds: 30, maxDelaySeconds: 6 * 3600, jitter: 0.2 },
} as const satisfies Record<RetryKind, RetrySchedule>;

/**
 * Resend refused the API key or the sending domain: the operator's to fix, not the email's
 * fault. Such a row waits this long between tries, however many, without using an attempt.
 */
export const OPERATOR_WAIT_SECONDS = 3600;

/** The un-jittered wait after the `attempts`-th failed attempt (1-based). */
export function retryStepSeconds(kind: RetryKind, attempts: number): number {
  const schedule: RetrySchedule = RETRY_SCHEDULES[kind];
  return Math.min(schedule.maxDelaySeconds, schedule.baseDelaySeconds * 2 ** Math.max(0, attempts - 1));
}

/** The wait after the `attempts`-th failed attempt; `random` in [0, 1). */
export function retryDelaySeconds(kind: RetryKind, attempts: number, random: () => number, retryAfterSeconds?: number): number {
  const step = retryStepSeconds(kind, attempts);
  const jittered = step * (1 - RETRY_SCHEDULES[kind].jitter * random());
  return Math.max(jittered, retryAfterSeconds ?? 0);
}

/** Whether a row that failed its `attempts`-th attempt is given up rather than retried. */
export function retriesExhausted(kind: RetryKind, attempts: number): boolean {
  return attempts >= RETRY_SCHEDULES[kind].maxAttempts;
}

/** From the first attempt to the last, with every wait drawn by `random` (no Retry-After). */
export function retrySpanSeconds(kind: RetryKind, random: () => number): number {
  let total = 0;
  for (let attempts = 1; attempts < RETRY_SCHEDULES[kind].maxAttempts; attempts += 1) total += retryDelaySeconds(kind, attempts, random);
  return total;
}
