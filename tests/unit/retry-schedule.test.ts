import { describe, expect, it } from 'vitest';
import {
  RETRY_SCHEDULES,
  retriesExhausted,
  retryDelaySeconds,
  retrySpanSeconds,
  retryStepSeconds,
  type RetryKind,
} from '../../lib/notify/retry-schedule';

const DAY = 86_400;
const kinds: RetryKind[] = ['email', 'webhook'];

describe('the delivery retry schedule', () => {
  it.each(kinds)('%s: keeps trying for more than three days, however the jitter falls, and gives up within five', (kind) => {
    // random → 1 shortens every wait the most; random → 0 not at all.
    expect(retrySpanSeconds(kind, () => 0.999_999)).toBeGreaterThanOrEqual(3 * DAY);
    expect(retrySpanSeconds(kind, () => 0)).toBeLessThanOrEqual(5 * DAY);
  });

  it.each(kinds)('%s: doubles from the base up to the cap, then stays at the cap', (kind) => {
    const schedule = RETRY_SCHEDULES[kind];
    expect(retryStepSeconds(kind, 1)).toBe(schedule.baseDelaySeconds);
    let reachedCap = false;
    for (let attempts = 2; attempts < schedule.maxAttempts; attempts += 1) {
      const step = retryStepSeconds(kind, attempts);
      const before = retryStepSeconds(kind, attempts - 1);
      expect(step).toBe(Math.min(schedule.maxDelaySeconds, before * 2));
      if (step === schedule.maxDelaySeconds) reachedCap = true;
    }
    expect(reachedCap).toBe(true);
  });

  it.each(kinds)('%s: jitter only shortens a wait, by at most its share', (kind) => {
    const step = retryStepSeconds(kind, 4);
    expect(retryDelaySeconds(kind, 4, () => 0)).toBe(step);
    expect(retryDelaySeconds(kind, 4, () => 0.999_999)).toBeGreaterThanOrEqual(step * (1 - RETRY_SCHEDULES[kind].jitter));
    expect(retryDelaySeconds(kind, 4, () => 0.5)).toBeLessThan(step);
  });

  it('honours a Retry-After longer than the wait, and only then', () => {
    expect(retryDelaySeconds('email', 1, () => 0, 600)).toBe(600);
    expect(retryDelaySeconds('email', 1, () => 0, 1)).toBe(retryStepSeconds('email', 1));
  });

  it.each(kinds)('%s: gives up at the last attempt, not before', (kind) => {
    const { maxAttempts } = RETRY_SCHEDULES[kind];
    expect(retriesExhausted(kind, maxAttempts - 1)).toBe(false);
    expect(retriesExhausted(kind, maxAttempts)).toBe(true);
  });
});
