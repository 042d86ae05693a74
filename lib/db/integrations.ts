import type { Queryable } from './client';

/** What a dashboard shows of an integration: never a token column (RLS grants none). */
export interface IntegrationSummary {
  id: string;
  organization_id: string | null;
  organization_name: string | null;
  user_id: string;
  provider: string;
  account_label: string | null;
  status: 'connected' | 'needs_reauthorization' | 'disconnected';
  expires_at: Date | null;
  refresh_due_at: Date | null;
  refresh_token_expires_at: Date | null;
  last_refreshed_at: Date | null;
  consecutive_failures: number;
  consecutive_transient_failures: number;
  last_failure_at: Date | null;
  last_error_code: string | null;
  disconnect_reason: string | null;
  [key: string]: unknown;
}

/**
 * The integrations the current user may see. Run it inside `asUser`: the RLS policies
 * decide (own connections plus those of the user's organizations).
 */
export function listVisibleIntegrations(tx: Queryable): Promise<IntegrationSummary[]> {
  return tx.query<IntegrationSummary>(
    `select i.id, i.organization_id, o.name as organization_name, i.user_id, i.provider,
            i.account_label, i.status, i.expires_at, i.refresh_due_at, i.refresh_token_expires_at, i.last_refreshed_at,
            i.consecutive_failures, i.consecutive_transient_failures, i.last_failure_at,
            i.last_error_code, i.disconnect_reason
     from public.integrations i
     left join public.organizations o on o.id = i.organization_id
     order by (i.status = 'connected'), i.expires_at nulls last, i.provider, i.id`,
  );
}

/** Who hears about an integration (public.integration_recipients): looked up only when something is owed. */
export async function loadRecipients(db: Queryable, integrationId: string): Promise<{ user_id: string; email: string }[]> {
  const [row] = await db.query<{ recipients: { user_id: string; email: string }[] }>(`select public.integration_recipients($1) as recipients`, [integrationId]);
  return row?.recipients ?? [];
}

/** The integration's token_version now: a refresh that lost a rotation race compares it with the one it claimed. */
export async function currentTokenVersion(db: Queryable, integrationId: string): Promise<number | null> {
  const [row] = await db.query<{ token_version: number }>(`select token_version from public.integrations where id = $1`, [integrationId]);
  return row?.token_version ?? null;
}

/** What the reconnect page shows of one integration. Run it inside `asUser`: RLS hides other people's. */
export interface ReconnectView {
  provider: string;
  account_label: string | null;
  status: string;
  disconnect_reason: string | null;
  last_error_code: string | null;
  expires_at: Date | null;
  [key: string]: unknown;
}

export async function findReconnectView(tx: Queryable, integrationId: string): Promise<ReconnectView | null> {
  const [row] = await tx.query<ReconnectView>(
    `select provider, account_label, status, disconnect_reason, last_error_code, expires_at from public.integrations where id = $1`,
    [integrationId],
  );
  return row ?? null;
}

/** Connections failing or not connected, grouped by provider and status: the operator page's overview (all users). */
export interface TroubleGroup {
  provider: string;
  status: string;
  auth: number;
  transient: number;
  n: number;
  [key: string]: unknown;
}

export function listTroubleGroups(db: Queryable): Promise<TroubleGroup[]> {
  return db.query<TroubleGroup>(
    `select provider, status, sum(consecutive_failures)::int as auth, sum(consecutive_transient_failures)::int as transient, count(*)::int as n
     from public.integrations where consecutive_failures > 0 or consecutive_transient_failures > 0 or status <> 'connected'
     group by provider, status order by n desc`,
  );
}

/**
 * Whether the user may manage (reconnect, disconnect, refresh) the integration: its user, and
 * the owners, admins and members with can_manage_integrations of its organization
 * (public.can_manage_integration, the same people integration_recipients tells). Run it inside
 * `asUser`. False also when the integration does not exist: callers answer 404 either way.
 */
export async function canManageIntegration(tx: Queryable, integrationId: string): Promise<boolean> {
  const [row] = await tx.query<{ allowed: boolean }>(`select public.can_manage_integration($1) as allowed`, [integrationId]);
  return row?.allowed === true;
}

// Disconnect (lib/connect/disconnect.ts) ------------------------------------------------------

/** What a disconnect reads of a connection: its sealed tokens (service connection only) and whom it concerns. */
export interface DisconnectTarget {
  id: string;
  user_id: string;
  organization_id: string | null;
  provider: string;
  account_label: string | null;
  status: 'connected' | 'needs_reauthorization' | 'disconnected';
  /** Null once erased (a disconnected connection). */
  access_token_encrypted: string | null;
  refresh_token_encrypted: string | null;
  token_version: number;
  metadata: Record<string, unknown>;
  [key: string]: unknown;
}

export async function findDisconnectTarget(db: Queryable, integrationId: string): Promise<DisconnectTarget | null> {
  const [row] = await db.query<DisconnectTarget>(
    `select id, user_id, organization_id, provider, account_label, status, access_token_encrypted,
            refresh_token_encrypted, token_version, metadata
     from public.integrations where id = $1`,
    [integrationId],
  );
  return row ?? null;
}

/**
 * Erases a connection's tokens and marks it disconnected, if its token_version is still
 * `expectedVersion` (the tokens the caller revoked are the ones erased). token_version + 1:
 * a refresh in flight compares and swaps on the version it claimed (record_refresh_result),
 * so it can never write tokens back; the lease and the call mark are cleared, and the claim
 * only takes connected rows. Null when the version moved (a refresh rotated the tokens
 * meanwhile), the row is gone, or it is disconnected with nothing left to erase.
 * `expectedVersion` null: whatever version the row has now. Run it in the transaction that
 * owes and audits the change.
 */
export async function eraseTokensAndDisconnect(
  tx: Queryable,
  input: { integrationId: string; expectedVersion: number | null; reason: string },
): Promise<{ token_version: number } | null> {
  const [row] = await tx.query<{ token_version: number }>(
    `update public.integrations set
       access_token_encrypted = null, refresh_token_encrypted = null,
       status = 'disconnected', disconnect_reason = $3,
       consecutive_failures = 0, consecutive_transient_failures = 0,
       last_error_code = null, last_error = null, last_failure_at = null,
       expires_at = null, refresh_due_at = null, refresh_token_expires_at = null,
       lease_owner = null, lease_expires_at = null, provider_called_at = null,
       token_version = token_version + 1
     where id = $1 and ($2::bigint is null or token_version = $2::bigint)
       and not (status = 'disconnected' and access_token_encrypted is null and refresh_token_encrypted is null)
     returning token_version`,
    [input.integrationId, input.expectedVersion, input.reason],
  );
  return row ?? null;
}

/** Writes owed rows (lib/owed/owed-rows.ts) for one integration with public.owe_messages; the counts inserted. */
export async function oweIntegrationRows(
  tx: Queryable,
  input: { integrationId: string; now: Date; rows: { notifications: object[]; emails: object[]; webhooks: object[] } },
): Promise<{ notifications: number; emails: number; webhooks: number }> {
  const [row] = await tx.query<{ owed: { notifications: number; emails: number; webhooks: number } }>(
    `select public.owe_messages($1, $2, $3::jsonb, $4::jsonb, $5::jsonb) as owed`,
    [
      input.integrationId,
      input.now.toISOString(),
      JSON.stringify(input.rows.notifications),
      JSON.stringify(input.rows.emails),
      JSON.stringify(input.rows.webhooks),
    ],
  );
  return row?.owed ?? { notifications: 0, emails: 0, webhooks: 0 };
}
