import type { Queryable } from './client';

/** email_outbox for the operator console: the rows that gave up or are still trying (service connection). */
export interface UndeliveredEmailRow {
  id: string;
  to_email: string;
  template: string;
  status: string;
  attempts: number;
  last_error: string | null;
  last_attempt_at: Date | null;
  created_at: Date;
  [key: string]: unknown;
}

/** Failed rows first, then pending ones that have failed at least once; newest attempt first. */
export function listUndeliveredEmails(db: Queryable, limit = 50): Promise<UndeliveredEmailRow[]> {
  return db.query<UndeliveredEmailRow>(
    `select id, to_email, template, status, attempts, last_error, last_attempt_at, created_at
     from public.email_outbox
     where status = 'failed' or (status = 'pending' and attempts > 0)
     order by (status = 'failed') desc, last_attempt_at desc nulls last, id
     limit $1`,
    [limit],
  );
}
