'use client';

import { dateTime, longDate, relativeWords, shortTime, utcFallback } from './local-date';
import { useHydrated } from './use-hydrated';

/**
 * A date in the viewer's time zone and locale. `format`: `connected` ("3 days ago on
 * 15 March 2026"), `time` ("15:20"), `datetime` (date and time). Before hydration, UTC.
 */
export function LocalTime({ iso, format }: { iso: string; format: 'connected' | 'time' | 'datetime' | 'relative' }) {
  const hydrated = useHydrated();
  const date = new Date(iso);
  let text = utcFallback(date);
  if (hydrated) {
    const now = new Date();
    text =
      format === 'connected'
        ? `${relativeWords(date, now)} on ${longDate(date)}`
        : format === 'time'
          ? shortTime(date)
          : format === 'relative'
            ? relativeWords(date, now)
            : dateTime(date);
  }
  return (
    <time dateTime={iso} title={iso}>
      {text}
    </time>
  );
}
