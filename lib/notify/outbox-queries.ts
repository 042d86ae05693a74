import type { Queryable } from '../db/client';

export interface OutboxRow {
  id: string;
  to_email: string;
  template: string;
  status: string;
  attempts: number;
  last_error: string | null;
  created_at: Date;
  sent_at: Date | null;
  payload: unknown;
  [key: string]: unknown;
}

/** The newest outbox rows, for the dev mailbox (service connection, development only). */
export function listOutbox(db: Queryable, limit = 100): Promise<OutboxRow[]> {
  return db.query<OutboxRow>(
    `select id, to_email, template, status, attempts, last_error, created_at, sent_at, payload
     from public.email_outbox order by created_at desc limit $1`,
    [limit],
  );
}

export async function getOutboxRow(db: Queryable, id: string): Promise<OutboxRow | null> {
  const [row] = await db.query<OutboxRow>(
    `select id, to_email, template, status, attempts, last_error, created_at, sent_at, payload from public.email_outbox where id = $1`,
    [id],
  );
  return row ?? null;
}

export interface OperatorAlertRow {
  id: string;
  kind: string;
  provider: string | null;
  severity: string;
  title: string;
  message: string;
  created_at: Date;
  [key: string]: unknown;
}

export function listOperatorAlerts(db: Queryable, limit = 100): Promise<OperatorAlertRow[]> {
  return db.query<OperatorAlertRow>(
    `select id, kind, provider, severity, title, message, created_at from public.operator_alerts order by created_at desc limit $1`,
    [limit],
  );
}
