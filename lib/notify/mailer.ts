import { Resend } from 'resend';
import { parseRetryAfter } from '../net/retry-after';

/** One email as the outbox sends it. */
export interface OutgoingEmail {
  from: string;
  to: string;
  subject: string;
  html: string;
  text: string;
  /** Resend's Idempotency-Key: a retried send of the same row is one email. */
  idempotencyKey: string;
}

export type SendResult =
  | { ok: true; id: string }
  | { ok: false; retryable: boolean; statusCode: number | null; code: string; message: string; retryAfterSeconds?: number };

export interface Mailer {
  send(email: OutgoingEmail): Promise<SendResult>;
}

/** How long one send may take before it counts as a network failure (and is retried). */
export const RESEND_TIMEOUT_MS = 10_000;

/**
 * Resend through its own SDK. RESEND_BASE_URL (validated in lib/env) is the SDK's base
 * override; tests point it at a local capture server. The SDK's fetch has no timeout of its
 * own: without one, a send that never gets an answer would hold the deliver pass past its
 * time budget and the route's maxDuration.
 */
export function createResendMailer(apiKey: string, options: { baseUrl?: string; timeoutMs?: number } = {}): Mailer {
  const resend = new Resend(apiKey, options.baseUrl ? { baseUrl: options.baseUrl } : undefined);
  const timeoutMs = options.timeoutMs ?? RESEND_TIMEOUT_MS;
  return {
    async send(email) {
      const { data, error, headers } = await resend.emails.send(
        { from: email.from, to: [email.to], subject: email.subject, html: email.html, text: email.text },
        // An abort comes back from the SDK as a failure without a status: retried, same key.
        { idempotencyKey: email.idempotencyKey, signal: AbortSignal.timeout(timeoutMs) },
      );
      if (data && !error) return { ok: true, id: data.id };
      const statusCode = typeof error?.statusCode === 'number' ? error.statusCode : null;
      return {
        ok: false,
        // Network failures (no status), throttling and Resend's own outages are worth retrying;
        // a rejected API key is the operator's to fix, and the row waits for it. A 409
        // concurrent_idempotent_requests means this very send is still in progress at Resend
        // (its docs: "Try the request again later"); retried with the same key, it is one email.
        retryable:
          statusCode === null || statusCode === 429 || statusCode >= 500 || statusCode === 401 || statusCode === 403 ||
          (statusCode === 409 && error?.name === 'concurrent_idempotent_requests'),
        statusCode,
        code: error?.name ?? 'unknown_error',
        message: error?.message ?? 'Resend answered without an id',
        retryAfterSeconds: parseRetryAfter(headers?.['retry-after'] ?? null),
      };
    },
  };
}
