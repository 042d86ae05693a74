/**
 * Formatting in the viewer's locale and time zone (Intl, in the browser). Pure: the client
 * components (LocalTime, the connection page's countdown, the Test connection verdict) call
 * these after hydration; the server renders the UTC fallback.
 */

export function longDate(date: Date, locale?: string): string {
  return new Intl.DateTimeFormat(locale, { day: 'numeric', month: 'long', year: 'numeric' }).format(date);
}

export function shortTime(date: Date, locale?: string): string {
  return new Intl.DateTimeFormat(locale, { hour: '2-digit', minute: '2-digit' }).format(date);
}

/** "14:03:12": the time of day to the second (when a check was made). */
export function clockTime(date: Date, locale?: string): string {
  return new Intl.DateTimeFormat(locale, { timeStyle: 'medium' }).format(date);
}

/** Date and time to the second: when an attempt ran, when a token ends. */
export function dateTime(date: Date, locale?: string): string {
  return new Intl.DateTimeFormat(locale, { dateStyle: 'medium', timeStyle: 'medium' }).format(date);
}

/** Date and time to the minute: the operator console's and the notifications' lists. */
export function dateMinute(date: Date, locale?: string): string {
  return new Intl.DateTimeFormat(locale, { dateStyle: 'medium', timeStyle: 'short' }).format(date);
}

/** "3 days ago", "in 2 hours": the largest whole unit, in the viewer's language. */
export function relativeWords(date: Date, now: Date, locale?: string): string {
  const seconds = (date.getTime() - now.getTime()) / 1000;
  const abs = Math.abs(seconds);
  const [value, unit]: [number, Intl.RelativeTimeFormatUnit] =
    abs < 60 ? [seconds, 'second'] : abs < 3600 ? [seconds / 60, 'minute'] : abs < 86_400 ? [seconds / 3600, 'hour'] : [seconds / 86_400, 'day'];
  return new Intl.RelativeTimeFormat(locale, { numeric: 'auto' }).format(Math.trunc(value), unit);
}

/** "2 hours 15 minutes 4 seconds": what is left, in whole units, never more than is left. */
export function durationWords(ms: number): string {
  const total = Math.max(0, Math.floor(ms / 1000));
  const days = Math.floor(total / 86_400);
  const hours = Math.floor((total % 86_400) / 3600);
  const minutes = Math.floor((total % 3600) / 60);
  const seconds = total % 60;
  const part = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;
  const parts = days > 0 ? [part(days, 'day'), part(hours, 'hour'), part(minutes, 'minute')] : hours > 0 ? [part(hours, 'hour'), part(minutes, 'minute'), part(seconds, 'second')] : [part(minutes, 'minute'), part(seconds, 'second')];
  return parts.join(' ');
}

/** The server's rendering before hydration: UTC, unambiguous. */
export function utcFallback(date: Date): string {
  return `${date.toISOString().slice(0, 16).replace('T', ' ')} UTC`;
}
