import { Webhook } from 'standardwebhooks';
import type { Db } from '../db/client';
import { TokenDecryptionError } from '../crypto/key-ring';
import type { DeliverDeps } from './deliver';
import { webhookSecretContext } from '../crypto/key-ring';
import { PrivateDestinationError } from './destination-guard';
import { retriesExhausted, retryDelaySeconds } from './retry-schedule';

/**
 * The webhook half of the deliver job: claiming due deliveries (one per endpoint, under the
 * endpoint's lease: claim_webhook_deliveries in the migrations) and POSTing one, signed
 * (Standard Webhooks). Every result write also lets go of the endpoint's lease. A
 * delivery whose result was never written comes due again when its lease ends and is sent
 * with the same `webhook-id`, which receivers deduplicate on.
 */

export interface WebhookRow {
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

export type WebhookOutcome = 'sent' | 'retrying' | 'dead';

export function claimWebhooks(db: Db, owner: string, now: Date, limit: number, leaseSeconds: number): Promise<WebhookRow[]> {
  return db.query<WebhookRow>(`select * from public.claim_webhook_deliveries($1, $2::timestamptz, $3::int, $4::int)`, [
    owner,
    now.toISOString(),
    limit,
    leaseSeconds,
  ]);
}

export async function deliverWebhook(deps: DeliverDeps, row: WebhookRow, owner: string): Promise<WebhookOutcome> {
  const now = deps.now();
  const mark = (status: 'pending' | 'dead', nextAttemptAt: Date, lastError: string, statusCode: number | null) =>
    markWebhook(deps.db, row, owner, { status, nextAttemptAt, lastError, statusCode });
  if (!row.url || !row.enabled || !row.secret_encrypted) {
    await mark('dead', now, 'endpoint disabled or deleted', null);
    return 'dead';
  }
  let secret: string;
  try {
    secret = deps.keyRing.decrypt(row.secret_encrypted, webhookSecretContext(row.endpoint_id));
  } catch (error) {
    if (!(error instanceof TokenDecryptionError)) throw error;
    await mark('dead', now, `signing secret unreadable: ${error.message}`, null);
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
        `with released as (
           delete from public.webhook_endpoint_leases where endpoint_id = $4 and lease_owner = $5)
         update public.webhook_deliveries set status = 'sent', sent_at = $2, last_status_code = $3, last_error = null
         where id = $1 and status = 'pending'`,
        [row.id, now.toISOString(), status, row.endpoint_id, owner],
      );
      return 'sent';
    }
    error = `endpoint answered ${status}`;
  } catch (failure) {
    if (failure instanceof Error && failure.cause instanceof PrivateDestinationError) {
      // Retrying cannot help: the endpoint points into a private network.
      await mark('dead', now, failure.cause.message, null);
      return 'dead';
    }
    error = failure instanceof Error && (failure.name === 'TimeoutError' || failure.name === 'AbortError')
      ? `no answer within ${deps.webhookTimeoutMs} ms`
      : 'endpoint unreachable';
  }
  if (retriesExhausted('webhook', row.attempts)) {
    await mark('dead', now, `dead-lettered after ${row.attempts} attempts: ${error}`, status);
    return 'dead';
  }
  const delay = retryDelaySeconds('webhook', row.attempts, deps.random);
  await mark('pending', new Date(now.getTime() + delay * 1000), error, status);
  return 'retrying';
}

async function markWebhook(
  db: Db,
  row: WebhookRow,
  owner: string,
  result: { status: 'pending' | 'dead'; nextAttemptAt: Date; lastError: string; statusCode: number | null },
): Promise<void> {
  await db.query(
    `with released as (
       delete from public.webhook_endpoint_leases where endpoint_id = $6 and lease_owner = $7)
     update public.webhook_deliveries set status = $2, next_attempt_at = $3, last_error = $4, last_status_code = $5
     where id = $1 and status = 'pending'`,
    [row.id, result.status, result.nextAttemptAt.toISOString(), result.lastError, result.statusCode, row.endpoint_id, owner],
  );
}
