/**
 * Seconds to wait from an HTTP `Retry-After` header (RFC 9110 §10.2.3): delay-seconds or an
 * HTTP date; undefined when absent or unreadable. Token endpoints and Resend both send it.
 */
export function parseRetryAfter(value: string | null, now = Date.now()): number | undefined {
  if (!value) return undefined;
  if (/^\d+$/.test(value.trim())) return Number(value.trim());
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(0, Math.ceil((date - now) / 1000));
}
