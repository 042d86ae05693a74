'use client';

import { dateMinute, dateTime, longDate, relativeWords, shortTime, utcFallback } from './local-date';
import { useHydrated } from './use-hydrated';

export type LocalTimeFormat = 'minute' | 'datetime' | 'time' | 'relative' | 'connected';

/**
 * A moment in the viewer's time zone and locale, for every page. The server does not know
 * them, so it (and the hydrating render) shows UTC ("2026-03-15 14:03 UTC"), and the browser
 * its own once hydrated; `dateTime` and `title` carry the exact ISO instant either way.
 * `format`: `minute` (date and time to the minute, the default), `datetime` (to the second),
 * `time` ("15:20"), `relative` ("3 days ago"), `connected` ("3 days ago on 15 March 2026").
 */
export function LocalTime({ iso, format = 'minute' }: { iso: string; format?: LocalTimeFormat }) {
  const hydrated = useHydrated();
  const date = new Date(iso);
  return (
    <time dateTime={iso} title={iso}>
      {hydrated ? inViewerWords(date, format, new Date()) : utcFallback(date)}
    </time>
  );
}

function inViewerWords(date: Date, format: LocalTimeFormat, now: Date): string {
  switch (format) {
    case 'minute':
      return dateMinute(date);
    case 'datetime':
      return dateTime(date);
    case 'time':
      return shortTime(date);
    case 'relative':
      return relativeWords(date, now);
    case 'connected':
      return `${relativeWords(date, now)} on ${longDate(date)}`;
  }
}
