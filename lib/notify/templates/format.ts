import type { EmailPayload } from './payload';

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'] as const;
const DAY_MS = 86_400_000;
/** Beyond this an expiry reads better as a date than as a count of days. */
const MAX_DAYS_AS_COUNT = 7;

/** "Google (dana@acme.example)", or just "Google" without an account label. */
export function providerWithAccount(payload: EmailPayload): string {
  const account = payload.account_label?.trim();
  return account ? `${payload.provider_name} (${account})` : payload.provider_name;
}

/** "25 Nov 2026": no locale data involved, so every runtime writes the same. */
export function formatUtcDay(date: Date): string {
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

/**
 * The tail of "Your Google connection …": "expires in 3 days", "expires on 25 Nov 2026".
 * Whole days are rounded down so the email never promises more time than is left.
 */
export function expiryPhrase(expiresAt: Date | null, now: Date): string {
  if (!expiresAt) return 'expires soon';
  const remaining = expiresAt.getTime() - now.getTime();
  if (remaining <= 0) return `expired on ${formatUtcDay(expiresAt)}`;
  const days = Math.floor(remaining / DAY_MS);
  if (days === 0) return 'expires in less than a day';
  if (days <= MAX_DAYS_AS_COUNT) return `expires in ${days} ${days === 1 ? 'day' : 'days'}`;
  return `expires on ${formatUtcDay(expiresAt)}`;
}

/** A subject is a header, not HTML: keep it one line whatever the payload holds. */
export function oneLine(text: string): string {
  return text.replace(/[\p{Cc}\s]+/gu, ' ').trim();
}
