import { randomUUID } from 'node:crypto';
import { Webhook } from 'standardwebhooks';
import type { Db } from '../db/client';
import type { KeyRing } from '../crypto/key-ring';
import { TokenDecryptionError } from '../crypto/key-ring';
import type { Mailer } from './mailer';
import { renderOutboxEmail } from './render-outbox';
import { webhookSecretContext } from './webhook-secrets';
import { PrivateDestinationError } from './destination-guard';

/**
 * One pass of the deliver job (the every-minute cron and `tokenwarden deliver`): sends the
 * emails and webhooks that are due, with retries. Rows are claimed with SKIP LOCKED and a
 * short lease (next_attempt_at pushed forward), so overlapping passes never take the same
 * row; Resend's Idempotency-Key and the webhook message id make a send repeated after a
 * crash one email / one event for the receiver.
 */

export interface DeliverDeps {
  db: Db;
  /** null: RESEND_API_KEY is unset; emails become `skipped` and stay for the dev mailbox. */
  mailer: Mailer | null;
  emailFrom: string | null;
  keyRing: KeyRing;
  fetch: typeof fetch;
  now: () => Date;
  random: () => number;
  sleep: (ms: number) => Promise<void>;
  /** Resend allows a few requests per second per team; stay under it. */
  emailsPerSecond: number;
  webhookTimeoutMs: number;
}

export interface DeliverOptions {
  timeBudgetMs: number;
  batchSize?: number;
}

export interface DeliverSummary {
  ok: true;
  runId: string;
  startedAt: string;
  durationMs: number;
  emails: { claimed: number; sent: number; retrying: number; failed: number; skipped: number };
  webhooks: { claimed: number; sent: number; retrying: number; dead: number };
  budgetExhausted: boolean;
}

/** Attempts before an email is marked failed / a webhook is dead-lettered. */
export const MAX_EMAIL_ATTEMPTS = 8;
export const MAX_WEBHOOK_ATTEMPTS = 6;
/** How long a claimed row is held before another pass may take it (a crashed sender). */
const LEASE_SECONDS = 120;
const BACKOFF_BASE_SECONDS = 30;
const BACKOFF_CAP_SECONDS = 3600;

interface EmailRow {
  id: string;
  created_at: Date;
  to_email: string;
  template: string;
  idempotency_key: string;
  attempts: number;
  payload: unknown;
  [key: string]: unknown;
}

interface WebhookRow {
  id: string;
  endpoint_id: string;
  event_id: string;
  event_type: string;
  payload: unknown;
  attempts: number;
  created_at: Date;
  url: string | null;
  enabled: boolean | null;
  secret_encrypted: string | null;
  [key: string]: unknown;
}

export async function runDeliverPass(deps: DeliverDeps, options: DeliverOptions): Promise<DeliverSummary> {
  const startedClock = Date.now();
  const deadline = startedClock + options.timeBudgetMs;
  const batchSize = options.batchSize ?? 50;
  const summary: DeliverSummary = {
    ok: true,
    runId: `deliver_${randomUUID()}`,
    startedAt: deps.now().toISOString(),
    durationMs: 0,
    emails: { claimed: 0, sent: 0, retrying: 0, failed: 0, skipped: 0 },
    webhooks: { claimed: 0, sent: 0, retrying: 0, dead: 0 },
    budgetExhausted: false,
  };

  // Emails: paced under Resend's rate limit, one at a time. The pace is kept between the
  // requests themselves (after rendering, which can take long on a cold start) and on the
  // pass's clock, the one `sleep` advances.
  let lastSend = Number.NEGATIVE_INFINITY;
  const pace = async (): Promise<void> => {
    const wait = lastSend + 1000 / deps.emailsPerSecond - deps.now().getTime();
    if (wait > 0) await deps.sleep(wait);
    lastSend = deps.now().getTime();
  };
  summary.budgetExhausted =
    (await drain(deps.db, 'email_outbox', deadline, () => claimEmails(deps.db, deps.now(), batchSize), async (row) => {
      summary.emails.claimed += 1;
      summary.emails[await deliverEmail(deps, row, pace)] += 1;
    })) ||
    // Webhooks: each endpoint call is bounded by its timeout.
    (await drain(deps.db, 'webhook_deliveries', deadline, () => claimWebhooks(deps.db, deps.now(), batchSize), async (row) => {
      summary.webhooks.claimed += 1;
      summary.webhooks[await deliverWebhook(deps, row)] += 1;
    }));

  summary.durationMs = Date.now() - startedClock;
  return summary;
}

function claimEmails(db: Db, now: Date, limit: number): Promise<EmailRow[]> {
  return db.query<EmailRow>(
    `update public.email_outbox o
     set attempts = o.attempts + 1, next_attempt_at = $1::timestamptz + make_interval(secs => $3::int)
     where o.id in (
       select id from public.email_outbox
       where status = 'pending' and next_attempt_at <= $1::timestamptz
       order by next_attempt_at
       limit $2
       for update skip locked)
     returning o.id, o.to_email, o.template, o.idempotency_key, o.attempts, o.payload, o.created_at`,
    [now.toISOString(), limit, LEASE_SECONDS],
  );
}

/**
 * Claims batches from one outbox table and delivers them one by one until nothing is due
 * or the budget is spent. Rows claimed but not attempted when the budget runs out get their
 * attempt back and are due again at once. Resolves to whether the budget ran out.
 */
async function drain<R extends { id: string }>(
  db: Db,
  table: 'email_outbox' | 'webhook_deliveries',
  deadline: number,
  claim: () => Promise<R[]>,
  deliver: (row: R) => Promise<void>,
): Promise<boolean> {
  for (;;) {
    if (Date.now() >= deadline) return true;
    const rows = await claim();
    if (rows.length === 0) return false;
    for (const [index, row] of rows.entries()) {
      if (Date.now() >= deadline) {
        await db.query(
          `update public.${table} set attempts = greatest(attempts - 1, 0), next_attempt_at = now()
           where status = 'pending' and id in (select value::uuid from jsonb_array_elements_text($1::jsonb))`,
          [JSON.stringify(rows.slice(index).map((r) => r.id))],
        );
        return true;
      }
      await deliver(row);
    }
  }
}

function backoffSeconds(attempts: number, random: () => number, retryAfterSeconds?: number): number {
  const exponential = Math.min(BACKOFF_CAP_SECONDS, BACKOFF_BASE_SECONDS * 2 ** Math.max(0, attempts - 1));
  // Equal jitter: never sooner than half the step, so retries still back off.
  const jittered = exponential / 2 + random() * (exponential / 2);
  return Math.max(jittered, retryAfterSeconds ?? 0);
}

async function deliverEmail(
  deps: DeliverDeps,
  row: EmailRow,
  pace: () => Promise<void>,
): Promise<'sent' | 'retrying' | 'failed' | 'skipped'> {
  const now = deps.now();
  if (!deps.mailer || !deps.emailFrom) {
    await deps.db.query(
      `update public.email_outbox set status = 'skipped', last_error = $2 where id = $1 and status = 'pending'`,
      [row.id, 'RESEND_API_KEY is not set: kept in the outbox (see the dev mailbox)'],
    );
    return 'skipped';
  }
  const rendered = await renderOutboxEmail(row.template, row.payload, row.created_at);
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
      [row.id, new Date(now.getTime() + BACKOFF_CAP_SECONDS * 1000).toISOString(), `waiting for the operator: ${reason}`],
    );
    return 'retrying';
  }
  if (result.retryable && row.attempts < MAX_EMAIL_ATTEMPTS) {
    const delay = backoffSeconds(row.attempts, deps.random, result.retryAfterSeconds);
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

function claimWebhooks(db: Db, now: Date, limit: number): Promise<WebhookRow[]> {
  return db.query<WebhookRow>(
    `with claimed as (
       update public.webhook_deliveries d
       set attempts = d.attempts + 1, next_attempt_at = $1::timestamptz + make_interval(secs => $3::int)
       where d.id in (
         select id from public.webhook_deliveries
         where status = 'pending' and next_attempt_at <= $1::timestamptz
         order by next_attempt_at
         limit $2
         for update skip locked)
       returning d.id, d.endpoint_id, d.event_id, d.event_type, d.payload, d.attempts, d.created_at)
     select c.*, e.url, e.enabled, e.secret_encrypted
     from claimed c left join public.webhook_endpoints e on e.id = c.endpoint_id`,
    [now.toISOString(), limit, LEASE_SECONDS],
  );
}

async function deliverWebhook(deps: DeliverDeps, row: WebhookRow): Promise<'sent' | 'retrying' | 'dead'> {
  const now = deps.now();
  if (!row.url || !row.enabled || !row.secret_encrypted) {
    await markWebhook(deps.db, row.id, 'dead', now, 'endpoint disabled or deleted', null);
    return 'dead';
  }
  let secret: string;
  try {
    secret = deps.keyRing.decrypt(row.secret_encrypted, webhookSecretContext(row.endpoint_id));
  } catch (error) {
    if (!(error instanceof TokenDecryptionError)) throw error;
    await markWebhook(deps.db, row.id, 'dead', now, `signing secret unreadable: ${error.message}`, null);
    return 'dead';
  }
  const body = JSON.stringify(row.payload);
  // The wire timestamp is the real clock: receivers check it against theirs.
  const timestamp = new Date(Math.floor(Date.now() / 1000) * 1000);
  const signature = new Webhook(secret).sign(row.event_id, timestamp, body);
  let status: number | null = null;
  let error: string;
  try {
    const response = await deps.fetch(row.url, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'user-agent': 'Tokenwarden-Webhooks/1',
        'webhook-id': row.event_id,
        'webhook-timestamp': String(Math.floor(timestamp.getTime() / 1000)),
        'webhook-signature': signature,
      },
      body,
      redirect: 'manual', // a redirect is not a delivery, and must not carry the payload elsewhere
      signal: AbortSignal.timeout(deps.webhookTimeoutMs),
    });
    status = response.status;
    await response.body?.cancel();
    if (status >= 200 && status < 300) {
      await deps.db.query(
        `update public.webhook_deliveries set status = 'sent', sent_at = $2, last_status_code = $3, last_error = null
         where id = $1 and status = 'pending'`,
        [row.id, now.toISOString(), status],
      );
      return 'sent';
    }
    error = `endpoint answered ${status}`;
  } catch (failure) {
    if (failure instanceof Error && failure.cause instanceof PrivateDestinationError) {
      // Retrying cannot help: the endpoint points into a private network.
      await markWebhook(deps.db, row.id, 'dead', now, failure.cause.message, null);
      return 'dead';
    }
    error = failure instanceof Error && (failure.name === 'TimeoutError' || failure.name === 'AbortError')
      ? `no answer within ${deps.webhookTimeoutMs} ms`
      : 'endpoint unreachable';
  }
  if (row.attempts >= MAX_WEBHOOK_ATTEMPTS) {
    await markWebhook(deps.db, row.id, 'dead', now, `dead-lettered after ${row.attempts} attempts: ${error}`, status);
    return 'dead';
  }
  const delay = backoffSeconds(row.attempts, deps.random);
  await markWebhook(deps.db, row.id, 'pending', new Date(now.getTime() + delay * 1000), error, status);
  return 'retrying';
}

async function markWebhook(
  db: Db,
  id: string,
  status: 'pending' | 'dead',
  nextAttemptAt: Date,
  lastError: string,
  statusCode: number | null,
): Promise<void> {
  await db.query(
    `update public.webhook_deliveries set status = $2, next_attempt_at = $3, last_error = $4, last_status_code = $5
     where id = $1 and status = 'pending'`,
    [id, status, nextAttemptAt.toISOString(), lastError, statusCode],
  );
}
