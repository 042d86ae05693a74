import type { EmailPayload } from './payload';

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'] as const;

/** "25 Nov 2026": no locale data involved, so every runtime writes the same. */
function formatUtcDay(date: Date): string {
  return `${date.getUTCDate()} ${MONTHS[date.getUTCMonth()]} ${date.getUTCFullYear()}`;
}

/** "25 Nov 2026, 09:00 UTC". */
export function formatUtcDateTime(date: Date): string {
  const hours = String(date.getUTCHours()).padStart(2, '0');
  const minutes = String(date.getUTCMinutes()).padStart(2, '0');
  return `${formatUtcDay(date)}, ${hours}:${minutes} UTC`;
}

/** The expiry as a Date, or null when the payload has none (or an unreadable one). */
export function expiryOf(payload: EmailPayload): Date | null {
  if (!payload.expires_at) return null;
  const date = new Date(payload.expires_at);
  return Number.isNaN(date.getTime()) ? null : date;
}

/** A subject is a header, not HTML: keep it one line whatever the payload holds. */
export function oneLine(text: string): string {
  return text.replace(/[\p{Cc}\s]+/gu, ' ').trim();
}
