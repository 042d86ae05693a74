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

/** Connections failing or not connected, grouped by provider and status: the operator page's overview (all users). */
export interface TroubleGroup {
  provider: string;
  status: string;
  auth: number;
  transient: number;
  n: number;
  [key: string]: unknown;
}

/** At most this many (provider, status) groups on the operator page; one row per pair, so the cap is only reached with very many providers. */
export const TROUBLE_GROUP_LIMIT = 200;

/**
 * The largest groups first, at most `limit`, and whether there were more (`more`: the page says
 * the table was cut). Read with the service connection. It still visits every connection in
 * trouble (failing ones through integrations_failing_idx; not-connected ones have no index of
 * their own), but the answer is bounded.
 */
export async function listTroubleGroups(db: Queryable, limit = TROUBLE_GROUP_LIMIT): Promise<{ groups: TroubleGroup[]; more: boolean }> {
  const take = Math.max(1, Math.min(TROUBLE_GROUP_LIMIT, Math.floor(limit)));
  const rows = await db.query<TroubleGroup>(
    `select provider, status, sum(consecutive_failures)::int as auth, sum(consecutive_transient_failures)::int as transient, count(*)::int as n
     from public.integrations where consecutive_failures > 0 or consecutive_transient_failures > 0 or status <> 'connected'
     group by provider, status order by n desc, provider, status
     limit $1`,
    [take + 1],
  );
  return { groups: rows.slice(0, take), more: rows.length > take };
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

// Connect and reconnect (lib/connect) ------------------------------------------------------

/**
 * Whether the user may add connections to the organization: its owners and admins, and
 * members with can_manage_integrations (public.can_manage_org_integrations). Run it inside
 * `asUser`. False for a stranger and for an organization that does not exist (404 either way).
 */
export async function canManageOrganizationIntegrations(tx: Queryable, organizationId: string): Promise<boolean> {
  const [row] = await tx.query<{ allowed: boolean }>(`select public.can_manage_org_integrations($1) as allowed`, [organizationId]);
  return row?.allowed === true;
}

/** What a reconnect needs to know of the connection before it sends the user to the provider. */
export interface ConnectTarget {
  id: string;
  provider: string;
  organization_id: string | null;
  provider_account_id: string | null;
  account_label: string | null;
  metadata: Record<string, unknown>;
  [key: string]: unknown;
}

export async function findConnectTarget(db: Queryable, integrationId: string): Promise<ConnectTarget | null> {
  const [row] = await db.query<ConnectTarget>(
    `select id, provider, organization_id, provider_account_id, account_label, metadata from public.integrations where id = $1`,
    [integrationId],
  );
  return row ?? null;
}

/** The connection a (re)connect writes over, locked for the rest of the transaction. */
export interface LockedConnection extends ConnectTarget {
  user_id: string;
  status: 'connected' | 'needs_reauthorization' | 'disconnected';
  token_version: number;
}

const LOCKED_COLUMNS = `id, user_id, provider, organization_id, provider_account_id, account_label, metadata, status, token_version`;

/**
 * Locks the connection row: an in-flight refresh's record_refresh_result then waits for this
 * transaction, and finds token_version moved on (its compare-and-swap fails, nothing written).
 */
export async function lockConnection(tx: Queryable, integrationId: string): Promise<LockedConnection | null> {
  const [row] = await tx.query<LockedConnection>(`select ${LOCKED_COLUMNS} from public.integrations where id = $1 for update`, [integrationId]);
  return row ?? null;
}

/**
 * The connection of this account on this provider that a new connect lands on instead of
 * adding a second one: the organization's (a connect into an organization), else the user's
 * own one outside any organization; a live one before a disconnected one (only live ones are
 * unique, migration 20261202093000_connect_review.sql). Locked.
 */
export async function lockSameAccountConnection(
  tx: Queryable,
  input: { provider: string; providerAccountId: string; userId: string; organizationId: string | null },
): Promise<LockedConnection | null> {
  const [row] = await tx.query<LockedConnection>(
    `select ${LOCKED_COLUMNS} from public.integrations
     where provider = $1 and provider_account_id = $2
       and (case when $4::uuid is null then user_id = $3::uuid and organization_id is null else organization_id = $4::uuid end)
     order by (status = 'disconnected'), created_at limit 1
     for update`,
    [input.provider, input.providerAccountId, input.userId, input.organizationId],
  );
  return row ?? null;
}

/** The unique indexes that allow one live connection per account (20261202093000_connect_review.sql). */
const ONE_LIVE_ACCOUNT = new Set(['integrations_one_live_org_account', 'integrations_one_live_own_account']);

/**
 * Whether a write failed because the account already has a live connection there (another
 * connect got there first): SQLSTATE 23505 on one of those indexes, read from the driver's
 * structured fields (postgres.js `constraint_name`, PGlite `constraint`).
 */
export function isLiveAccountTaken(error: unknown): boolean {
  if (typeof error !== 'object' || error === null) return false;
  const fields = error as { code?: unknown; constraint_name?: unknown; constraint?: unknown };
  const constraint = fields.constraint_name ?? fields.constraint;
  return fields.code === '23505' && typeof constraint === 'string' && ONE_LIVE_ACCOUNT.has(constraint);
}

/** New tokens and what comes with them, sealed by the caller. */
export interface ConnectTokens {
  accessTokenEncrypted: string;
  refreshTokenEncrypted: string | null;
  tokenKeyId: string;
  scopes: string[];
  expiresAt: string | null;
  refreshDueAt: string | null;
  refreshTokenExpiresAt: string | null;
  providerAccountId: string | null;
  accountLabel: string | null;
}

/**
 * A reconnect in place: the tokens replaced, token_version + 1 (an in-flight refresh's
 * compare-and-swap then fails), counters 0, status connected, errors and reason cleared,
 * connected_at now, the lease and call mark cleared. The account id is only ever set where
 * it was unknown; the label is the provider's newest. Returns the new token_version.
 */
export async function reconnectInPlace(tx: Queryable, id: string, tokens: ConnectTokens): Promise<number> {
  const [row] = await tx.query<{ token_version: number }>(
    `update public.integrations set
       access_token_encrypted = $2, refresh_token_encrypted = $3, token_key_id = $4,
       token_version = token_version + 1,
       scopes = array(select jsonb_array_elements_text($5::jsonb)),
       expires_at = $6::timestamptz, refresh_due_at = $7::timestamptz, refresh_token_expires_at = $8::timestamptz,
       provider_account_id = coalesce(provider_account_id, $9), account_label = coalesce($10, account_label),
       status = 'connected', consecutive_failures = 0, consecutive_transient_failures = 0,
       last_error_code = null, last_error = null, last_failure_at = null, disconnect_reason = null,
       connected_at = now(), provider_called_at = null, lease_owner = null, lease_expires_at = null
     where id = $1
     returning token_version`,
    [
      id,
      tokens.accessTokenEncrypted,
      tokens.refreshTokenEncrypted,
      tokens.tokenKeyId,
      JSON.stringify(tokens.scopes),
      tokens.expiresAt,
      tokens.refreshDueAt,
      tokens.refreshTokenExpiresAt,
      tokens.providerAccountId,
      tokens.accountLabel,
    ],
  );
  if (!row) throw new Error(`integration ${id} vanished while locked`);
  return Number(row.token_version);
}

export async function insertConnection(
  tx: Queryable,
  input: { id: string; userId: string; organizationId: string | null; provider: string; metadata: Record<string, unknown> } & ConnectTokens,
): Promise<void> {
  await tx.query(
    `insert into public.integrations (
       id, user_id, organization_id, provider, account_label, provider_account_id, status,
       access_token_encrypted, refresh_token_encrypted, token_key_id, scopes,
       expires_at, refresh_due_at, refresh_token_expires_at, metadata, connected_at)
     values ($1, $2, $3, $4, $5, $6, 'connected', $7, $8, $9, array(select jsonb_array_elements_text($10::jsonb)),
             $11::timestamptz, $12::timestamptz, $13::timestamptz, $14::jsonb, now())`,
    [
      input.id,
      input.userId,
      input.organizationId,
      input.provider,
      input.accountLabel,
      input.providerAccountId,
      input.accessTokenEncrypted,
      input.refreshTokenEncrypted,
      input.tokenKeyId,
      JSON.stringify(input.scopes),
      input.expiresAt,
      input.refreshDueAt,
      input.refreshTokenExpiresAt,
      JSON.stringify(input.metadata),
    ],
  );
}

/** The log row of a (re)connect (public.insert_refresh_log, trigger `connect`). */
export async function insertConnectLog(tx: Queryable, id: string, provider: string, input: { durationMs: number; metadata: Record<string, unknown> }): Promise<void> {
  await tx.query(`select public.insert_refresh_log($1, now(), $2::jsonb)`, [
    id,
    JSON.stringify({
      provider,
      trigger: 'connect',
      outcome: 'refreshed',
      error_code: null,
      http_status: 200,
      duration_ms: Math.max(0, Math.round(input.durationMs)),
      attempts: 1,
      metadata: input.metadata,
    }),
  ]);
}

/**
 * The reconnect page's view of one integration: what happened and when, and whether the
 * current user may start a reconnect (public.can_manage_integration). Run it inside `asUser`:
 * RLS hides other people's, so null means "not yours or gone".
 */
export interface ReconnectPageView {
  id: string;
  provider: string;
  account_label: string | null;
  provider_account_id: string | null;
  status: IntegrationSummary['status'];
  disconnect_reason: string | null;
  last_error_code: string | null;
  last_failure_at: Date | null;
  connected_at: Date | null;
  expires_at: Date | null;
  can_manage: boolean;
  [key: string]: unknown;
}

export async function findReconnectPageView(tx: Queryable, integrationId: string): Promise<ReconnectPageView | null> {
  const [row] = await tx.query<ReconnectPageView>(
    `select id, provider, account_label, provider_account_id, status, disconnect_reason, last_error_code,
            last_failure_at, connected_at, expires_at, public.can_manage_integration(id) as can_manage
     from public.integrations where id = $1`,
    [integrationId],
  );
  return row ?? null;
}

// Refresh now, Test connection, fetchWithIntegration (lib/connect) --------------------------

/** What the manual routes and fetchWithIntegration read of a connection: never a token. */
export interface ConnectionState {
  id: string;
  provider: string;
  organization_id: string | null;
  status: 'connected' | 'needs_reauthorization' | 'disconnected';
  expires_at: Date | null;
  last_refreshed_at: Date | null;
  token_version: number;
  metadata: Record<string, unknown>;
  [key: string]: unknown;
}

export async function findConnectionState(db: Queryable, integrationId: string): Promise<ConnectionState | null> {
  const [row] = await db.query<ConnectionState>(
    `select id, provider, organization_id, status, expires_at, last_refreshed_at, token_version, metadata
     from public.integrations where id = $1`,
    [integrationId],
  );
  return row ?? null;
}

// Connection page (U1) -------------------------------------------------------------------

/**
 * What the connection's page (/integrations/{id}) shows of one integration: never a token,
 * only whether a refresh token is held (public.integration_has_refresh_token, answered in the
 * database for a connection the viewer may see). Run it inside `asUser`: RLS hides other people's, so
 * null means "not yours or gone" (404). `can_manage`: public.can_manage_integration.
 */
export interface ConnectionPageView extends IntegrationSummary {
  provider_account_id: string | null;
  connected_at: Date | null;
  last_error: string | null;
  can_manage: boolean;
  /** public.integration_has_refresh_token: whether anything can renew it (a boolean, never the token). */
  has_refresh_token: boolean;
}

export async function findConnectionPageView(tx: Queryable, integrationId: string): Promise<ConnectionPageView | null> {
  const [row] = await tx.query<ConnectionPageView>(
    `select i.id, i.organization_id, o.name as organization_name, i.user_id, i.provider, i.account_label,
            i.provider_account_id, i.status, i.expires_at, i.refresh_due_at, i.refresh_token_expires_at,
            i.last_refreshed_at, i.consecutive_failures, i.consecutive_transient_failures, i.last_failure_at,
            i.last_error_code, i.last_error, i.disconnect_reason, i.connected_at,
            public.can_manage_integration(i.id) as can_manage,
            public.integration_has_refresh_token(i.id) as has_refresh_token
     from public.integrations i
     left join public.organizations o on o.id = i.organization_id
     where i.id = $1
     limit 1`,
    [integrationId],
  );
  return row ?? null;
}

/** One refresh attempt as the connection's page lists it. */
export interface RefreshAttempt {
  id: string;
  created_at: Date;
  trigger: string;
  outcome: 'refreshed' | 'skipped' | 'transient_failure' | 'auth_failure' | 'config_failure';
  error_code: string | null;
  http_status: number | null;
  duration_ms: number;
  [key: string]: unknown;
}

/** The connection's newest refresh attempts, newest first (RLS on token_refresh_logs goes through integrations). */
export function listRecentRefreshAttempts(tx: Queryable, integrationId: string, limit = 50): Promise<RefreshAttempt[]> {
  return tx.query<RefreshAttempt>(
    `select id, created_at, trigger, outcome, error_code, http_status, duration_ms
     from public.token_refresh_logs where integration_id = $1
     order by created_at desc, id desc limit $2`,
    [integrationId, Math.max(1, Math.min(200, Math.floor(limit)))],
  );
}

// List (U2) ----------------------------------------------------------------------------------

export type IntegrationStatusFilter = 'connected' | 'retrying' | 'needs_reauthorization' | 'disconnected';

/**
 * Trouble first: needs reauthorization, then retrying, then healthy, then disconnected; within
 * a rank the soonest expiry first (none last), then provider and id. These two expressions are
 * spelled exactly as in the indexes integrations_org_list_idx and integrations_user_list_idx
 * (migration 20261203090000_dashboard_scale.sql): the planner matches an expression index by
 * its expression, and then a page is an index range scan that stops after the page.
 */
const TROUBLE_RANK = `(case when i.status = 'needs_reauthorization' then 0
        when i.status = 'connected' and (i.consecutive_failures > 0 or i.consecutive_transient_failures > 0) then 1
        when i.status = 'connected' then 2 else 3 end)`;
// Not coalesce(): the planner counts COALESCE as possibly leaky, and under RLS a leaky condition
// cannot be an index condition (the keyset's row comparison would filter every earlier row).
const SORT_EXPIRES = `(case when i.expires_at is null then 'infinity'::timestamptz else i.expires_at end)`;
const SORT_KEY = `${TROUBLE_RANK}, ${SORT_EXPIRES}, i.provider, i.id`;

/**
 * A status filter as a condition on the rank (the index's second column), so that it narrows
 * the range walked instead of filtering rows out of it. Exactly the statuses: rank 0 is
 * needs_reauthorization, 1 connected with failures ("retrying"), 2 connected without, 3
 * disconnected (the only other status the check constraint allows).
 */
const RANK_OF_STATUS: Record<IntegrationStatusFilter, string> = {
  needs_reauthorization: `${TROUBLE_RANK} = 0`,
  retrying: `${TROUBLE_RANK} = 1`,
  connected: `${TROUBLE_RANK} between 1 and 2`,
  disconnected: `${TROUBLE_RANK} = 3`,
};

/** Which connections the list shows, RLS deciding within it. */
export type ListScope =
  /** Everything the user may see: their own, and their organizations'. */
  | { kind: 'all' }
  /** Connections the user made, whichever organization they belong to. */
  | { kind: 'own' }
  /** One organization's connections (the user must be a member: RLS shows nothing otherwise). */
  | { kind: 'organization'; organizationId: string };

/**
 * A position in the list's order: the sort key of a row (rank, expiry or 'infinity' as
 * PostgreSQL prints it, provider, id). The expiry is kept as PostgreSQL's text, not a JS Date,
 * so microseconds survive the round trip and ties are never skipped or repeated.
 */
export interface ListCursor {
  rank: number;
  expires: string;
  provider: string;
  id: string;
}

export interface ListRow extends IntegrationSummary {
  has_refresh_token: boolean;
  can_manage: boolean;
  sort_rank: number;
  sort_expires: string;
}

/** A visible total is counted only this far: the page says "10,000+" beyond it, and no page counts every row. */
export const LIST_COUNT_CAP = 10_000;

const LIST_COLUMNS = `i.id, i.organization_id, i.user_id, i.provider,
            i.account_label, i.status, i.expires_at, i.refresh_due_at, i.refresh_token_expires_at, i.last_refreshed_at,
            i.consecutive_failures, i.consecutive_transient_failures, i.last_failure_at,
            i.last_error_code, i.disconnect_reason,
            ${TROUBLE_RANK} as sort_rank, ${SORT_EXPIRES}::text as sort_expires`;

/** At most this many organizations are merged into the "all" scope (each adds one bounded index walk). */
const MAX_SCOPE_ORGANIZATIONS = 200;

interface Sql {
  text: string;
  params: unknown[];
}

/** Builds a parameterised statement piece by piece; `param` adds a value and answers its `$n`. */
class Statement {
  readonly params: unknown[] = [];
  param(value: unknown): string {
    this.params.push(value);
    return `$${this.params.length}`;
  }
}

function pageBranch(
  q: Statement,
  input: { status: IntegrationStatusFilter | null; provider: string | null; cursor: ListCursor | null; direction: 'after' | 'before'; take: number },
  scopeCondition: string,
): string {
  const where = [scopeCondition];
  if (input.status) where.push(RANK_OF_STATUS[input.status]);
  if (input.provider) where.push(`i.provider = ${q.param(input.provider)}`);
  if (input.cursor) {
    const c = input.cursor;
    // A row comparison in the index's column order: btree uses it as the start of the range.
    where.push(
      `(${SORT_KEY}) ${input.direction === 'after' ? '>' : '<'} (${q.param(c.rank)}::int, ${q.param(c.expires)}::text::timestamptz, ${q.param(c.provider)}::text, ${q.param(c.id)}::uuid)`,
    );
  }
  const dir = input.direction === 'after' ? 'asc' : 'desc';
  return `select ${LIST_COLUMNS} from public.integrations i
     where ${where.join('\n       and ')}
     order by ${TROUBLE_RANK} ${dir}, ${SORT_EXPIRES} ${dir}, i.provider ${dir}, i.id ${dir}
     limit ${q.param(input.take)}`;
}

/**
 * The page statement for a scope. One organization, or the user's own: one index walk
 * (integrations_org_list_idx, integrations_user_list_idx). All: the user's own walk merged with
 * one walk per organization they belong to (rows of theirs in an organization come from the own
 * walk only, so none twice), each stopping after `take` rows; at most (organizations + 1) × take
 * rows are sorted, however many connections there are.
 */
function pageStatement(
  scope: ListScope,
  input: { status: IntegrationStatusFilter | null; provider: string | null; cursor: ListCursor | null; direction: 'after' | 'before'; take: number },
): Sql {
  const q = new Statement();
  const dir = input.direction === 'after' ? 'asc' : 'desc';
  const outerOrder = `order by p.sort_rank ${dir}, p.sort_expires::timestamptz ${dir}, p.provider ${dir}, p.id ${dir}`;
  const named = (inner: string) =>
    `select p.*, o.name as organization_name,
            public.integration_has_refresh_token(p.id) as has_refresh_token,
            public.can_manage_integration(p.id) as can_manage
     from (${inner}) p
     left join public.organizations o on o.id = p.organization_id
     ${outerOrder}`;
  if (scope.kind === 'organization') {
    const inner = pageBranch(q, input, `i.organization_id = ${q.param(scope.organizationId)}::uuid`);
    return { text: named(inner), params: q.params };
  }
  const own = pageBranch(q, input, `i.user_id = (select auth.uid())`);
  if (scope.kind === 'own') return { text: named(own), params: q.params };
  const orgs = `select m.organization_id from public.organization_members m
                where m.user_id = (select auth.uid()) order by m.organization_id limit ${MAX_SCOPE_ORGANIZATIONS}`;
  const perOrg = pageBranch(q, input, `i.organization_id = m.organization_id and i.user_id <> (select auth.uid())`);
  const merged = `select u.* from (
       (${own})
       union all
       (select x.* from (${orgs}) m cross join lateral (${perOrg}) x)
     ) u
     order by u.sort_rank ${dir}, u.sort_expires::timestamptz ${dir}, u.provider ${dir}, u.id ${dir}
     limit ${q.param(input.take)}`;
  return { text: named(merged), params: q.params };
}

/** The capped count of a scope with its filters (RLS decides within it). */
function countStatement(scope: ListScope, input: { status: IntegrationStatusFilter | null; provider: string | null }): Sql {
  const q = new Statement();
  const where: string[] = [];
  if (scope.kind === 'organization') where.push(`i.organization_id = ${q.param(scope.organizationId)}::uuid`);
  if (scope.kind === 'own') where.push(`i.user_id = (select auth.uid())`);
  if (input.status) where.push(RANK_OF_STATUS[input.status]);
  if (input.provider) where.push(`i.provider = ${q.param(input.provider)}`);
  return {
    text: `select count(*)::int as n from (
             select 1 from public.integrations i ${where.length ? `where ${where.join(' and ')}` : ''} limit ${q.param(LIST_COUNT_CAP + 1)}
           ) capped`,
    params: q.params,
  };
}

export interface IntegrationsPage {
  integrations: ListRow[];
  /** The cursor of the page after this one, null on the last page. */
  next: ListCursor | null;
  /** The cursor of the page before this one, null on the first page. */
  previous: ListCursor | null;
  /** Matching connections, counted up to LIST_COUNT_CAP + 1 (more than the cap: show "10,000+"). */
  total: number;
}

const cursorOf = (row: ListRow): ListCursor => ({ rank: row.sort_rank, expires: row.sort_expires, provider: row.provider, id: row.id });

/**
 * One page of the integrations the current user may see in `scope`, filtered by status
 * (`retrying`: connected with failures) and provider, trouble first, keyset-paginated: `after`
 * a cursor (Next) or `before` one (Previous), the first page with neither. Each row says
 * whether it holds a refresh token (public.integration_has_refresh_token) and whether the user
 * may manage it (public.can_manage_integration), asked for the page's rows only. Run it inside
 * `asUser`: RLS decides which rows.
 */
export async function listIntegrationsPage(
  tx: Queryable,
  input: {
    scope: ListScope;
    status: IntegrationStatusFilter | null;
    provider: string | null;
    limit: number;
    after?: ListCursor | null;
    before?: ListCursor | null;
  },
): Promise<IntegrationsPage> {
  const limit = Math.max(1, Math.min(200, Math.floor(input.limit)));
  const filters = { status: input.status, provider: input.provider };
  const read = async (cursor: ListCursor | null, direction: 'after' | 'before') => {
    const statement = pageStatement(input.scope, { ...filters, cursor, direction, take: limit + 1 });
    return tx.query<ListRow>(statement.text, statement.params);
  };
  let integrations: ListRow[];
  let next: ListCursor | null;
  let previous: ListCursor | null;
  if (input.before) {
    const rows = await read(input.before, 'before');
    if (rows.length > limit) {
      integrations = rows.slice(0, limit).reverse();
      previous = cursorOf(integrations[0]!);
      next = cursorOf(integrations[integrations.length - 1]!);
    } else {
      // Fewer than a page before the cursor: that is the first page, shown full.
      const first = await read(null, 'after');
      integrations = first.slice(0, limit);
      previous = null;
      next = first.length > limit ? cursorOf(integrations[integrations.length - 1]!) : null;
    }
  } else {
    const rows = await read(input.after ?? null, 'after');
    integrations = rows.slice(0, limit);
    next = rows.length > limit ? cursorOf(integrations[integrations.length - 1]!) : null;
    // A page after a cursor has rows before it (those the cursor was taken from).
    previous = input.after && integrations.length > 0 ? cursorOf(integrations[0]!) : null;
  }
  const count = countStatement(input.scope, filters);
  const [counted] = await tx.query<{ n: number }>(count.text, count.params);
  return { integrations, next, previous, total: counted?.n ?? 0 };
}

/** The organizations the current user belongs to, by name: the list's scope choices (run inside `asUser`). */
export function listMemberOrganizations(tx: Queryable): Promise<{ id: string; name: string; [key: string]: unknown }[]> {
  return tx.query(
    `select o.id, o.name from public.organizations o
     where o.id in (select m.organization_id from public.organization_members m where m.user_id = (select auth.uid()))
     order by o.name, o.id limit ${MAX_SCOPE_ORGANIZATIONS}`,
  );
}

/** What a banner needs of a dead, ended or retrying connection. */
export interface BannerIntegration {
  id: string;
  provider: string;
  account_label: string | null;
  status: 'connected' | 'needs_reauthorization' | 'disconnected';
  disconnect_reason: string | null;
  last_error_code: string | null;
  consecutive_failures: number;
  consecutive_transient_failures: number;
  /** Still `connected`, but its end has passed and nothing can renew it (lib/owed/health.ts "Expired"). */
  expired: boolean;
  [key: string]: unknown;
}

/** The banners' total is counted only this far (the layout asks on every page view): "1,000+" beyond it. */
export const BANNER_COUNT_CAP = 1_000;

/**
 * The user's visible connections that need someone: dead (needs reauthorization), ended (still
 * `connected`, but the refresh token has ended, or the access token has and nothing renews it:
 * no refresh token, or a provider the 5-minute refresh does not renew, i.e. one not in
 * `renewingProviders`; healthOfRow's red "Expired"), then retrying; at most `limit`, and how
 * many there are, counted up to BANNER_COUNT_CAP + 1 (the banners' "N more"; more than the cap:
 * "1,000+"). Run it inside `asUser`: RLS decides which rows (a scan of the visible rows through
 * the policy's user_id / organization_id indexes; the count stops at the cap).
 * integration_has_refresh_token is
 * asked only of connected rows whose access token has passed on a renewing provider.
 */
export async function listBannerIntegrations(
  tx: Queryable,
  input: { limit: number; renewingProviders: readonly string[] },
): Promise<{ integrations: BannerIntegration[]; total: number }> {
  const dead = `i.status = 'needs_reauthorization'`;
  const ended = `(i.status = 'connected' and (i.refresh_token_expires_at < now()
        or (i.expires_at < now() and (not (i.provider = any($1::text[])) or not public.integration_has_refresh_token(i.id)))))`;
  const retrying = `(i.status = 'connected' and (i.consecutive_failures > 0 or i.consecutive_transient_failures > 0))`;
  const trouble = `(${dead} or ${ended} or ${retrying})`;
  const providers = [...input.renewingProviders];
  const limit = Math.max(1, Math.min(50, Math.floor(input.limit)));
  const integrations = await tx.query<BannerIntegration>(
    `select b.* from (
       select i.id, i.provider, i.account_label, i.status, i.disconnect_reason, i.last_error_code,
              i.consecutive_failures, i.consecutive_transient_failures, i.last_failure_at,
              coalesce(${ended}, false) as expired
       from public.integrations i where ${trouble}
     ) b
     order by (case when b.status = 'needs_reauthorization' then 0 when b.expired then 1 else 2 end),
              b.last_failure_at desc nulls last, b.id
     limit $2`,
    [providers, limit],
  );
  const [count] = await tx.query<{ n: number }>(
    `select count(*)::int as n from (select 1 from public.integrations i where ${trouble} limit $2) capped`,
    [providers, BANNER_COUNT_CAP + 1],
  );
  return { integrations: integrations.map(({ last_failure_at: _at, ...row }) => row as BannerIntegration), total: count?.n ?? 0 };
}
