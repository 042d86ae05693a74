import type { Queryable } from './client';

/** webhook_deliveries for the operator console: dead rows and retrying ones (service connection; never the payload or the secret). */
export interface UndeliveredWebhookRow {
  id: string;
  endpoint_id: string;
  event_type: string;
  status: string;
  attempts: number;
  last_error: string | null;
  last_status_code: number | null;
  last_attempt_at: Date | null;
  created_at: Date;
  [key: string]: unknown;
}

export function listUndeliveredWebhooks(db: Queryable, limit = 50): Promise<UndeliveredWebhookRow[]> {
  return db.query<UndeliveredWebhookRow>(
    `select id, endpoint_id, event_type, status, attempts, last_error, last_status_code, last_attempt_at, created_at
     from public.webhook_deliveries
     where status = 'dead' or (status = 'pending' and attempts > 0)
     order by (status = 'dead') desc, last_attempt_at desc nulls last, id
     limit $1`,
    [limit],
  );
}
