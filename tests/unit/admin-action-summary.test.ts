import { describe, expect, it } from 'vitest';
import { summarize } from '../../app/admin/_components/action-summary';

const pass = {
  durationMs: 812,
  claimed: 40,
  refreshed: 37,
  skipped: 1,
  transientFailures: 1,
  authFailures: 1,
  configFailures: 0,
  disconnected: 1,
  budgetExhausted: false,
  remainingDue: 0,
  writeFailures: 0,
};

describe('the console trigger summary in words', () => {
  it('says what a finished pass did', () => {
    expect(summarize('pass', pass)).toBe(
      'Pass done in 812 ms: claimed 40, 37 refreshed, 1 skipped, 1 transient, 1 auth, 0 config failures; 1 need reauthorization.',
    );
  });

  it('says when the time ran out and how many are still due', () => {
    expect(summarize('pass', { ...pass, budgetExhausted: true, remainingDue: 1200 })).toMatch(/Its time ran out: 1200 still due, left for the next pass\.$/);
  });

  it('says when results could not be recorded', () => {
    expect(summarize('pass', { ...pass, writeFailures: 3 })).toMatch(/ 3 result\(s\) could not be recorded \(see the server log\); the next pass retries them\.$/);
  });

  it('counts a redrive', () => {
    expect(summarize('redrive', { ok: true, emails: 2 })).toBe('Re-queued 2 email(s) and 0 webhook delivery(ies).');
  });
});
