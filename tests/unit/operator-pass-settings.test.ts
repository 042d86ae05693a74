import { describe, expect, it } from 'vitest';
import { operatorPassSettings } from '../../app/admin/_components/pass-settings';

const settings = { concurrency: 8, providerConcurrency: 4, thresholdMinutes: 15 };

describe("the console's Trigger refresh pass budget", () => {
  it('ends the pass well inside the route\'s maxDuration, whatever REFRESH_TIME_BUDGET_SECONDS says', () => {
    // The default budget (240 s) is the cron route's (maxDuration 300); the console's route has 60 s.
    expect(operatorPassSettings({ ...settings, timeBudgetMs: 240_000 }, 60).timeBudgetMs).toBeLessThanOrEqual(50_000);
    expect(operatorPassSettings({ ...settings, timeBudgetMs: 240_000 }, 60)).toMatchObject(settings);
  });

  it('keeps a budget that already fits', () => {
    expect(operatorPassSettings({ ...settings, timeBudgetMs: 20_000 }, 60).timeBudgetMs).toBe(20_000);
  });
});
