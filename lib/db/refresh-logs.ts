import type { Queryable } from './client';

/**
 * token_refresh_logs for the operator console (service connection: operators see every
 * organization's rows). Never a token column: this table holds none, and the join to
 * integrations reads only the account label.
 */

export const REFRESH_OUTCOMES = ['refreshed', 'skipped', 'transient_failure', 'auth_failure', 'config_failure'] as const;
/** Every trigger the table's check constraint allows (migration 20261202090000_connect.sql): a (re)connect logs `connect`, the host API `api`. */
export const REFRESH_TRIGGERS = ['cron', 'manual', 'forced', 'on_demand', 'connect', 'api'] as const;
export type RefreshTrigger = (typeof REFRESH_TRIGGERS)[number];

/** What each trigger is called where logs are shown; a Record, so a new trigger cannot be added without its words. */
export const REFRESH_TRIGGER_WORDS: Record<RefreshTrigger, string> = {
  cron: 'Automatic',
  manual: 'Refresh now',
  forced: 'Forced by an operator',
  on_demand: 'On use',
  connect: 'Connect',
  api: 'Host API',
};

/** The words for a stored trigger (the id itself for one this code does not know). */
export function refreshTriggerWords(trigger: string): string {
  return (REFRESH_TRIGGER_WORDS as Record<string, string | undefined>)[trigger] ?? trigger;
}

export interface RefreshLogFilter {
  provider?: string | null;
  outcome?: string | null;
  trigger?: string | null;
  organizationId?: string | null;
  from?: Date | null;
  to?: Date | null;
}

/** The last row of a page: the next page starts strictly before it in (created_at, id) order. */
export interface RefreshLogCursor {
  createdAt: string;
  id: string;
}

export interface RefreshLogRow {
  id: string;
  integration_id: string;
  organization_id: string | null;
  account_label: string | null;
  provider: string;
  trigger: string;
  outcome: string;
  error_code: string | null;
  http_status: number | null;
  duration_ms: number;
  attempts: number;
  created_at: Date;
  [key: string]: unknown;
}

/**
 * One page of logs, newest first, keyset-paginated on (created_at, id). Only the filters given
 * become conditions, so the planner sees which index leads: an organization
 * token_refresh_logs_organization_idx (organization_id, created_at desc, id desc; the column is
 * set by a trigger from the integration, migration 20261203090000_dashboard_scale.sql), an
 * outcome token_refresh_logs_outcome_idx (outcome, created_at desc, id desc), a provider
 * token_refresh_logs_provider_idx (provider, created_at desc) or, with an outcome too,
 * token_refresh_logs_provider_outcome_idx; otherwise token_refresh_logs_created_idx walked
 * backwards. Each walk stops after the page; integrations is read by primary key for the page's
 * rows only (the account label).
 */
export async function listRefreshLogs(
  db: Queryable,
  filter: RefreshLogFilter,
  page: { limit: number; before?: RefreshLogCursor | null },
): Promise<{ rows: RefreshLogRow[]; next: RefreshLogCursor | null }> {
  const limit = Math.min(Math.max(page.limit, 1), 200);
  const params: unknown[] = [];
  const param = (value: unknown) => {
    params.push(value);
    return `$${params.length}`;
  };
  const where: string[] = [];
  if (filter.provider) where.push(`l.provider = ${param(filter.provider)}`);
  if (filter.outcome) where.push(`l.outcome = ${param(filter.outcome)}`);
  if (filter.trigger) where.push(`l.trigger = ${param(filter.trigger)}`);
  if (filter.organizationId) where.push(`l.organization_id = ${param(filter.organizationId)}::uuid`);
  if (filter.from) where.push(`l.created_at >= ${param(filter.from.toISOString())}::timestamptz`);
  if (filter.to) where.push(`l.created_at < ${param(filter.to.toISOString())}::timestamptz`);
  // ::text first: a parameter typed timestamptz would pass through a JS Date and lose microseconds.
  if (page.before) where.push(`(l.created_at, l.id) < (${param(page.before.createdAt)}::text::timestamptz, ${param(page.before.id)}::uuid)`);
  const rows = await db.query<RefreshLogRow & { cursor_at: string }>(
    `select l.id, l.integration_id, l.organization_id, i.account_label, l.provider, l.trigger, l.outcome,
            l.error_code, l.http_status, l.duration_ms, l.attempts, l.created_at,
            to_char(l.created_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') as cursor_at
     from (
       select l.* from public.token_refresh_logs l
       ${where.length ? `where ${where.join(' and ')}` : ''}
       order by l.created_at desc, l.id desc
       limit ${param(limit + 1)}
     ) l
     left join public.integrations i on i.id = l.integration_id
     order by l.created_at desc, l.id desc`,
    params,
  );
  const more = rows.length > limit;
  const shown = more ? rows.slice(0, limit) : rows;
  const last = shown.at(-1);
  // The cursor keeps PostgreSQL's microseconds (a JS Date has milliseconds): rows that differ
  // below a millisecond are neither skipped nor shown twice.
  return {
    rows: shown.map(({ cursor_at: _cursor, ...row }) => row),
    next: more && last ? { createdAt: last.cursor_at, id: last.id } : null,
  };
}

export interface ProviderRecentHealth {
  provider: string;
  attempted: number;
  refreshed: number;
  /** The newest distinct error codes of the window, at most 5; skips are left out (their error_code holds the reason for the skip, e.g. `superseded`, not an error). */
  errorCodes: string[];
}

/** Per provider over [since, now]: attempts (skips excluded), successes and recent error codes (token_refresh_logs_provider_idx per provider). */
export async function providerRecentHealth(db: Queryable, since: Date, limit = 200): Promise<ProviderRecentHealth[]> {
  return db.query<ProviderRecentHealth & { [key: string]: unknown }>(
    `select provider,
            count(*) filter (where outcome <> 'skipped')::int as attempted,
            count(*) filter (where outcome = 'refreshed')::int as refreshed,
            coalesce((select array_agg(code) from (
               select e.error_code as code, max(e.created_at) as at from public.token_refresh_logs e
               where e.provider = l.provider and e.created_at >= $1::timestamptz and e.error_code is not null
                 and e.outcome <> 'skipped'
               group by e.error_code order by at desc limit 5) codes), '{}') as "errorCodes"
     from public.token_refresh_logs l
     where created_at >= $1::timestamptz
     group by provider order by provider limit $2`,
    [since.toISOString(), limit],
  );
}
