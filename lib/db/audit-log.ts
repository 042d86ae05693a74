import type { Queryable } from './client';

/**
 * audit_log: who did what to a connection, a key or an organization's settings. Rows are
 * written in the transaction of the change they describe, so a change is never without its
 * row and a row never describes a change that rolled back. Metadata never holds a secret.
 */

/** Who acted: `user:<uuid>` (with the user's id), `cli:<command>`, `cron:<job>`. */
export interface AuditActor {
  actor: string;
  actorUserId?: string | null;
}

export const userActor = (userId: string): AuditActor => ({ actor: `user:${userId}`, actorUserId: userId });

export interface AuditEntry extends AuditActor {
  organizationId: string | null;
  /** `<thing>.<past tense>`, e.g. `webhook_endpoint.created`. */
  action: string;
  targetType?: string | null;
  targetId?: string | null;
  metadata?: Record<string, unknown>;
}

export interface AuditRow {
  id: string;
  organization_id: string | null;
  actor: string;
  actor_user_id: string | null;
  action: string;
  target_type: string | null;
  target_id: string | null;
  metadata: Record<string, unknown>;
  created_at: Date;
  [key: string]: unknown;
}

/** Writes the entries in one statement. */
export async function recordAudit(db: Queryable, entries: AuditEntry[]): Promise<void> {
  if (entries.length === 0) return;
  await db.query(
    `insert into public.audit_log (organization_id, actor, actor_user_id, action, target_type, target_id, metadata)
     select x.organization_id, x.actor, x.actor_user_id, x.action, x.target_type, x.target_id, coalesce(x.metadata, '{}')
     from jsonb_to_recordset($1::jsonb) as x(
       organization_id uuid, actor text, actor_user_id uuid, action text, target_type text, target_id text, metadata jsonb)`,
    [
      JSON.stringify(
        entries.map((entry) => ({
          organization_id: entry.organizationId,
          actor: entry.actor,
          actor_user_id: entry.actorUserId ?? null,
          action: entry.action,
          target_type: entry.targetType ?? null,
          target_id: entry.targetId ?? null,
          metadata: entry.metadata ?? {},
        })),
      ),
    ],
  );
}

/** An organization's entries, newest first (the audit_log_organization_idx walk). */
export function listAuditLog(db: Queryable, organizationId: string, options: { limit?: number } = {}): Promise<AuditRow[]> {
  return db.query<AuditRow>(
    `select id, organization_id, actor, actor_user_id, action, target_type, target_id, metadata, created_at
     from public.audit_log where organization_id = $1 order by created_at desc, id desc limit $2`,
    [organizationId, Math.min(Math.max(options.limit ?? 50, 1), 500)],
  );
}
