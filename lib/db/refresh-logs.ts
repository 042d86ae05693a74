import type { Queryable } from './client';

/**
 * token_refresh_logs for the operator console (service connection: operators see every
 * organization's rows). Never a token column: this table holds none, and the join to
 * integrations reads only its organization and account label.
 */

export const REFRESH_OUTCOMES = ['refreshed', 'skipped', 'transient_failure', 'auth_failure', 'config_failure'] as const;
export const REFRESH_TRIGGERS = ['cron', 'manual', 'forced', 'on_demand'] as const;

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
 * One page of logs, newest first, keyset-paginated on (created_at, id). Which index serves it:
 * a provider filter token_refresh_logs_provider_idx (provider, created_at desc); otherwise
 * token_refresh_logs_created_idx (created_at) walked backwards; an organization filter joins
 * integrations by its primary key and filters rows (no index on the log leads with it).
 */
export async function listRefreshLogs(
  db: Queryable,
  filter: RefreshLogFilter,
  page: { limit: number; before?: RefreshLogCursor | null },
): Promise<{ rows: RefreshLogRow[]; next: RefreshLogCursor | null }> {
  const limit = Math.min(Math.max(page.limit, 1), 200);
  const rows = await db.query<RefreshLogRow>(
    `select l.id, l.integration_id, i.organization_id, i.account_label, l.provider, l.trigger, l.outcome,
            l.error_code, l.http_status, l.duration_ms, l.attempts, l.created_at
     from public.token_refresh_logs l
     left join public.integrations i on i.id = l.integration_id
     where ($1::text is null or l.provider = $1)
       and ($2::text is null or l.outcome = $2)
       and ($3::text is null or l.trigger = $3)
       and ($4::uuid is null or i.organization_id = $4)
       and ($5::timestamptz is null or l.created_at >= $5)
       and ($6::timestamptz is null or l.created_at < $6)
       and ($7::timestamptz is null or (l.created_at, l.id) < ($7::timestamptz, $8::uuid))
     order by l.created_at desc, l.id desc
     limit $9`,
    [
      filter.provider ?? null,
      filter.outcome ?? null,
      filter.trigger ?? null,
      filter.organizationId ?? null,
      filter.from?.toISOString() ?? null,
      filter.to?.toISOString() ?? null,
      page.before?.createdAt ?? null,
      page.before?.id ?? null,
      limit + 1,
    ],
  );
  const more = rows.length > limit;
  const shown = more ? rows.slice(0, limit) : rows;
  const last = shown.at(-1);
  return { rows: shown, next: more && last ? { createdAt: last.created_at.toISOString(), id: last.id } : null };
}

export interface ProviderRecentHealth {
  provider: string;
  attempted: number;
  refreshed: number;
  /** The newest distinct error codes of the window, at most 5. */
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
               group by e.error_code order by at desc limit 5) codes), '{}') as "errorCodes"
     from public.token_refresh_logs l
     where created_at >= $1::timestamptz
     group by provider order by provider limit $2`,
    [since.toISOString(), limit],
  );
}
