import { describe, expect, it } from 'vitest';
import { durationWords, longDate, utcFallback } from '../../app/_components/local-date';

/** The connection page's countdown and date words (formatted in the browser, in the viewer's locale). */
describe('connection page formatting', () => {
  it('spells what is left in whole units, never more than is left', () => {
    expect(durationWords((2 * 3600 + 15 * 60 + 4) * 1000 + 999)).toBe('2 hours 15 minutes 4 seconds');
    expect(durationWords(61_000)).toBe('1 minute 1 second');
    expect(durationWords(3 * 86_400_000 + 3_600_000)).toBe('3 days 1 hour 0 minutes');
    expect(durationWords(-5)).toBe('0 minutes 0 seconds');
  });

  it('writes the long date in the given locale, and a UTC fallback before hydration', () => {
    const date = new Date('2026-03-18T15:30:00Z');
    expect(longDate(date, 'en-GB')).toMatch(/^18 March 2026$/);
    expect(utcFallback(date)).toBe('2026-03-18 15:30 UTC');
  });
});
