import type { Db } from '../db/client';
import { deleteEndedConnectSessions } from '../db/connect-sessions';

/** How long refresh logs and delivered outbox rows are kept. */
export const RETENTION_DAYS = 30;

export interface CleanupSummary {
  ok: true;
  startedAt: string;
  durationMs: number;
  retentionDays: number;
  refreshLogsDeleted: number;
  emailsDeleted: number;
  webhookDeliveriesDeleted: number;
  /** Connect sessions that ended more than a day ago. */
  connectSessionsDeleted: number;
}

/**
 * The retention job (the daily cleanup cron and `tokenwarden cleanup`): refresh logs older
 * than 30 days, and emails and webhook deliveries that were delivered (or deliberately
 * skipped) more than 30 days ago. Failed and dead-lettered rows are kept for operators, and
 * pending rows are never touched. Deletes in batches so a large backlog never holds long locks.
 */
export async function runCleanup(db: Db, options: { now: Date; batchSize?: number }): Promise<CleanupSummary> {
  const started = Date.now();
  const cutoff = new Date(options.now.getTime() - RETENTION_DAYS * 86_400_000).toISOString();
  const batch = options.batchSize ?? 5000;

  const drain = async (sql: string): Promise<number> => {
    let total = 0;
    for (;;) {
      const rows = await db.query<{ id: string }>(sql, [cutoff, batch]);
      total += rows.length;
      if (rows.length < batch) return total;
    }
  };

  const refreshLogsDeleted = await drain(
    `delete from public.token_refresh_logs where id in (
       select id from public.token_refresh_logs where created_at < $1::timestamptz limit $2)
     returning id`,
  );
  const emailsDeleted = await drain(
    `delete from public.email_outbox where id in (
       select id from public.email_outbox
       where (status = 'sent' and sent_at < $1::timestamptz) or (status = 'skipped' and created_at < $1::timestamptz)
       limit $2)
     returning id`,
  );
  const webhookDeliveriesDeleted = await drain(
    `delete from public.webhook_deliveries where id in (
       select id from public.webhook_deliveries where status = 'sent' and sent_at < $1::timestamptz limit $2)
     returning id`,
  );
  // A connect session is worth nothing once used or expired; a day keeps it for a support question.
  const connectSessionsDeleted = await deleteEndedConnectSessions(db, new Date(options.now.getTime() - 86_400_000).toISOString(), batch);
  return {
    ok: true,
    startedAt: options.now.toISOString(),
    durationMs: Date.now() - started,
    retentionDays: RETENTION_DAYS,
    refreshLogsDeleted,
    emailsDeleted,
    webhookDeliveriesDeleted,
    connectSessionsDeleted,
  };
}
