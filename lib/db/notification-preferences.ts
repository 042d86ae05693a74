import type { Queryable } from './client';

/** Which emails about their connections a person gets (in-app notifications are not chosen). */
export interface NotificationPreferences {
  email_disconnections: boolean;
  email_expiring: boolean;
  email_auth_warning: boolean;
}

/**
 * The defaults are the docs/contracts.md §5 table; public.wants_email (migration
 * 20261202100000_notification_preferences.sql) applies the same ones when a person has no row.
 */
export const DEFAULT_NOTIFICATION_PREFERENCES: NotificationPreferences = {
  email_disconnections: true,
  email_expiring: true,
  email_auth_warning: false,
};

/** The user's preferences, or the defaults. Run inside `asUser`: RLS shows only their row. */
export async function getNotificationPreferences(tx: Queryable, userId: string): Promise<NotificationPreferences> {
  const [row] = await tx.query<{ email_disconnections: boolean; email_expiring: boolean; email_auth_warning: boolean }>(
    `select email_disconnections, email_expiring, email_auth_warning
     from public.notification_preferences where user_id = $1 limit 1`,
    [userId],
  );
  return row
    ? { email_disconnections: row.email_disconnections, email_expiring: row.email_expiring, email_auth_warning: row.email_auth_warning }
    : { ...DEFAULT_NOTIFICATION_PREFERENCES };
}

/** Writes all three choices. Run inside `asUser`: RLS refuses another person's row. */
export async function saveNotificationPreferences(
  tx: Queryable,
  userId: string,
  preferences: NotificationPreferences,
): Promise<NotificationPreferences> {
  const [row] = await tx.query<{ email_disconnections: boolean; email_expiring: boolean; email_auth_warning: boolean }>(
    `insert into public.notification_preferences (user_id, email_disconnections, email_expiring, email_auth_warning)
     values ($1, $2, $3, $4)
     on conflict (user_id) do update set
       email_disconnections = excluded.email_disconnections,
       email_expiring = excluded.email_expiring,
       email_auth_warning = excluded.email_auth_warning
     returning email_disconnections, email_expiring, email_auth_warning`,
    [userId, preferences.email_disconnections, preferences.email_expiring, preferences.email_auth_warning],
  );
  if (!row) throw new Error('saving notification preferences returned no row');
  return { email_disconnections: row.email_disconnections, email_expiring: row.email_expiring, email_auth_warning: row.email_auth_warning };
}
