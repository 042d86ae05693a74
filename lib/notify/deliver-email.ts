import type { Db } from '../db/client';
import type { DeliverDeps } from './deliver';
import { renderOutboxEmail } from './render-outbox';
import { OPERATOR_WAIT_SECONDS, retriesExhausted, retryDelaySeconds } from './retry-schedule';

/**
 * The email half of the deliver job: claiming due outbox rows and sending one through
 * Resend. A claimed row's next_attempt_at is pushed to the lease's end, so a row whose
 * result was never written (the pass crashed, or the database failed after Resend accepted
 * the email) comes due again then and is sent again with the same Idempotency-Key: Resend
 * answers with the email it already sent (for 24 hours), and the row is marked sent.
 */

export interface EmailRow {
  id: string;
  created_at: Date;
  to_email: string;
  template: string;
  idempotency_key: string;
  attempts: number;
  payload: unknown;
  [key: string]: unknown;
}

export type EmailOutcome = 'sent' | 'retrying' | 'failed' | 'skipped';

export function claimEmails(db: Db, now: Date, limit: number, leaseSeconds: number): Promise<EmailRow[]> {
  return db.query<EmailRow>(
    `update public.email_outbox o
     set attempts = o.attempts + 1, next_attempt_at = $1::timestamptz + make_interval(secs => $3::int), last_attempt_at = $1::timestamptz
     where o.id in (
       select id from public.email_outbox
       where status = 'pending' and next_attempt_at <= $1::timestamptz
       order by next_attempt_at
       limit $2
       for update skip locked)
     returning o.id, o.to_email, o.template, o.idempotency_key, o.attempts, o.payload, o.created_at`,
    [now.toISOString(), limit, leaseSeconds],
  );
}

/** Claimed but not attempted (the budget ran out): the attempt back, due again at once. */
export async function giveBackEmails(db: Db, ids: string[]): Promise<void> {
  if (ids.length === 0) return;
  await db.query(
    `update public.email_outbox set attempts = greatest(attempts - 1, 0), next_attempt_at = now()
     where status = 'pending' and id in (select value::uuid from jsonb_array_elements_text($1::jsonb))`,
    [JSON.stringify(ids)],
  );
}

export async function deliverEmail(deps: DeliverDeps, row: EmailRow, pace: () => Promise<void>): Promise<EmailOutcome> {
  const now = deps.now();
  if (!deps.mailer || !deps.emailFrom) {
    await deps.db.query(
      `update public.email_outbox set status = 'skipped', last_error = $2 where id = $1 and status = 'pending'`,
      [row.id, 'RESEND_API_KEY is not set: kept in the outbox (see the dev mailbox)'],
    );
    return 'skipped';
  }
  const rendered = await renderOutboxEmail(row.template, row.payload);
  if (!rendered.ok) {
    await markEmail(deps.db, row.id, 'failed', now, `cannot render: ${rendered.problem}`);
    return 'failed';
  }
  await pace();
  const result = await deps.mailer.send({
    from: deps.emailFrom,
    to: row.to_email,
    subject: rendered.email.subject,
    html: rendered.email.html,
    text: rendered.email.text,
    idempotencyKey: row.idempotency_key,
  });
  if (result.ok) {
    await deps.db.query(
      `update public.email_outbox set status = 'sent', sent_at = $2, provider_message_id = $3, last_error = null
       where id = $1 and status = 'pending'`,
      [row.id, now.toISOString(), result.id],
    );
    return 'sent';
  }
  const reason = `${result.statusCode ?? 'network'} ${result.code}: ${result.message}`.slice(0, 500);
  if (result.statusCode === 401 || result.statusCode === 403) {
    // Resend refused our API key or sending domain: the operator's to fix, not this email's
    // fault. It waits (hourly) however long that takes, and the attempt is not counted.
    await deps.db.query(
      `update public.email_outbox set attempts = greatest(attempts - 1, 0), next_attempt_at = $2, last_error = $3
       where id = $1 and status = 'pending'`,
      [row.id, new Date(now.getTime() + OPERATOR_WAIT_SECONDS * 1000).toISOString(), `waiting for the operator: ${reason}`],
    );
    return 'retrying';
  }
  if (result.retryable && !retriesExhausted('email', row.attempts)) {
    const delay = retryDelaySeconds('email', row.attempts, deps.random, result.retryAfterSeconds);
    await markEmail(deps.db, row.id, 'pending', new Date(now.getTime() + delay * 1000), reason);
    return 'retrying';
  }
  await markEmail(deps.db, row.id, 'failed', now, result.retryable ? `gave up after ${row.attempts} attempts: ${reason}` : reason);
  return 'failed';
}

async function markEmail(db: Db, id: string, status: 'pending' | 'failed', nextAttemptAt: Date, lastError: string): Promise<void> {
  await db.query(
    `update public.email_outbox set status = $2, next_attempt_at = $3, last_error = $4 where id = $1 and status = 'pending'`,
    [id, status, nextAttemptAt.toISOString(), lastError],
  );
}
