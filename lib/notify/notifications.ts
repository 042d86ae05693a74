import type { Queryable } from '../db/client';

/** A notification as the API returns it. Run these inside `asUser`: RLS picks the rows. */
export interface NotificationView {
  id: string;
  integration_id: string | null;
  type: string;
  severity: string;
  title: string;
  message: string;
  action_url: string | null;
  is_read: boolean;
  metadata: Record<string, unknown>;
  created_at: Date;
  [key: string]: unknown;
}

export async function listNotifications(
  tx: Queryable,
  page: { limit: number; offset: number; unreadOnly: boolean },
): Promise<{ notifications: NotificationView[]; unreadCount: number; totalCount: number }> {
  const notifications = await tx.query<NotificationView>(
    `select id, integration_id, type, severity, title, message, action_url, is_read, metadata, created_at
     from public.notifications
     where (not $3::boolean or not is_read)
     order by is_read, created_at desc, id
     limit $1 offset $2`,
    [page.limit, page.offset, page.unreadOnly],
  );
  const [counts] = await tx.query<{ unread: number; total: number }>(
    `select count(*) filter (where not is_read)::int as unread, count(*)::int as total from public.notifications`,
  );
  return { notifications, unreadCount: counts?.unread ?? 0, totalCount: counts?.total ?? 0 };
}

/** Marks one notification read; false when the user cannot see it (or it does not exist). */
export async function markNotificationRead(tx: Queryable, id: string, now: Date): Promise<boolean> {
  const rows = await tx.query(
    `update public.notifications set is_read = true, read_at = coalesce(read_at, $2) where id = $1 returning id`,
    [id, now.toISOString()],
  );
  return rows.length > 0;
}

export async function markAllNotificationsRead(tx: Queryable, now: Date): Promise<number> {
  const rows = await tx.query(`update public.notifications set is_read = true, read_at = $1 where not is_read returning id`, [
    now.toISOString(),
  ]);
  return rows.length;
}
