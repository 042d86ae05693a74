import type { Queryable } from '../db/client';

/**
 * `tokenwarden redrive`: puts given-up messages back in the queue, e.g. after an outage
 * longer than the retry schedule. Failed emails and dead webhook deliveries become pending
 * again with a fresh set of attempts, due at once; sent, skipped and pending rows are never
 * touched, so nothing already delivered is sent again. Each keeps its idempotency key
 * (email) or message id (webhook). Resend remembers a key for 24 hours only: an email whose
 * send went through although its last answer was lost, redriven later than that, is sent
 * a second time.
 */

export interface RedriveOptions {
  emails: boolean;
  webhooks: boolean;
  /** Only rows whose last attempt was at or after this (e.g. when the outage began). */
  since: Date | null;
  now: Date;
  /** Only this row (an email's or a delivery's id), e.g. the operator console's Retry. */
  id?: string | null;
}

export interface RedriveResult {
  /** Failed emails put back in the queue (absent when emails were not asked for). */
  emails?: number;
  /** Dead webhook deliveries put back in the queue (absent when webhooks were not asked for). */
  webhooks?: number;
}

export async function redrive(db: Queryable, options: RedriveOptions): Promise<RedriveResult> {
  const params = [options.now.toISOString(), options.since?.toISOString() ?? null, options.id ?? null];
  const result: RedriveResult = {};
  if (options.emails) {
    const [row] = await db.query<{ n: number }>(
      `with redriven as (
         update public.email_outbox set status = 'pending', attempts = 0, next_attempt_at = $1::timestamptz
         where status = 'failed' and ($2::timestamptz is null or last_attempt_at >= $2::timestamptz) and ($3::uuid is null or id = $3::uuid)
         returning 1)
       select count(*)::int as n from redriven`,
      params,
    );
    result.emails = row?.n ?? 0;
  }
  if (options.webhooks) {
    const [row] = await db.query<{ n: number }>(
      `with redriven as (
         update public.webhook_deliveries set status = 'pending', attempts = 0, next_attempt_at = $1::timestamptz
         where status = 'dead' and ($2::timestamptz is null or last_attempt_at >= $2::timestamptz) and ($3::uuid is null or id = $3::uuid)
         returning 1)
       select count(*)::int as n from redriven`,
      params,
    );
    result.webhooks = row?.n ?? 0;
  }
  return result;
}
