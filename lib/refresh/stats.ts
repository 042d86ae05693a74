import type { Queryable } from '../db/client';

export interface ProviderStats {
  provider: string;
  total: number;
  refreshed: number;
  skipped: number;
  transientFailures: number;
  authFailures: number;
  configFailures: number;
  /** refreshed / (total - skipped); null when nothing was attempted. */
  successRate: number | null;
  /** Over attempts (skips excluded); 0 when nothing was attempted. */
  durationMs: { avg: number; p50: number; p95: number; max: number };
}

export interface RefreshStats {
  ok: true;
  hours: number;
  since: string;
  providers: ProviderStats[];
  total: Omit<ProviderStats, 'provider'>;
}

/** Refresh statistics per provider over the last `hours` (`tokenwarden stats`), from token_refresh_logs. */
export async function refreshStats(db: Queryable, options: { hours: number; now: Date }): Promise<RefreshStats> {
  const since = new Date(options.now.getTime() - options.hours * 3_600_000);
  const rows = await db.query<{
    provider: string | null;
    total: number;
    refreshed: number;
    skipped: number;
    transient: number;
    auth: number;
    config: number;
    avg: number | null;
    p50: number | null;
    p95: number | null;
    max: number | null;
  }>(
    `select provider, count(*)::int as total,
            count(*) filter (where outcome = 'refreshed')::int as refreshed,
            count(*) filter (where outcome = 'skipped')::int as skipped,
            count(*) filter (where outcome = 'transient_failure')::int as transient,
            count(*) filter (where outcome = 'auth_failure')::int as auth,
            count(*) filter (where outcome = 'config_failure')::int as config,
            -- Durations of attempts only: a skip made no provider call, and its near-zero
            -- time would pull p50/p95 down (the success rate leaves skips out too).
            round(avg(duration_ms) filter (where outcome <> 'skipped'))::int as avg,
            round(percentile_cont(0.5) within group (order by duration_ms) filter (where outcome <> 'skipped'))::int as p50,
            round(percentile_cont(0.95) within group (order by duration_ms) filter (where outcome <> 'skipped'))::int as p95,
            max(duration_ms) filter (where outcome <> 'skipped')::int as max
     from public.token_refresh_logs
     where created_at > $1::timestamptz and created_at <= $2::timestamptz
     group by grouping sets ((provider), ())
     order by provider nulls last`,
    [since.toISOString(), options.now.toISOString()],
  );
  const shape = (row: (typeof rows)[number]): Omit<ProviderStats, 'provider'> => {
    const attempted = row.total - row.skipped;
    return {
      total: row.total,
      refreshed: row.refreshed,
      skipped: row.skipped,
      transientFailures: row.transient,
      authFailures: row.auth,
      configFailures: row.config,
      successRate: attempted > 0 ? Math.round((row.refreshed / attempted) * 10_000) / 10_000 : null,
      durationMs: { avg: row.avg ?? 0, p50: row.p50 ?? 0, p95: row.p95 ?? 0, max: row.max ?? 0 },
    };
  };
  const providerRows = rows.filter((row) => row.provider !== null);
  const totalRow = rows.find((row) => row.provider === null);
  return {
    ok: true,
    hours: options.hours,
    since: since.toISOString(),
    providers: providerRows.map((row) => ({ provider: row.provider!, ...shape(row) })),
    total: totalRow
      ? shape(totalRow)
      : { total: 0, refreshed: 0, skipped: 0, transientFailures: 0, authFailures: 0, configFailures: 0, successRate: null, durationMs: { avg: 0, p50: 0, p95: 0, max: 0 } },
  };
}

export interface HourlyOutcomes {
  /** The hour's start (UTC, ISO). */
  hour: string;
  refreshed: number;
  skipped: number;
  transient_failure: number;
  auth_failure: number;
  config_failure: number;
}

/** Outcomes per hour over the last `hours` (at most 7 days), every hour present, oldest first (token_refresh_logs_created_idx). */
export async function outcomesPerHour(db: Queryable, options: { hours: number; now: Date; provider?: string | null }): Promise<HourlyOutcomes[]> {
  const hours = Math.min(Math.max(Math.floor(options.hours), 1), 168);
  return db.query<HourlyOutcomes & { [key: string]: unknown }>(
    `with hours as (
       select generate_series(date_trunc('hour', $1::timestamptz) - make_interval(hours => $2::int - 1),
                              date_trunc('hour', $1::timestamptz), interval '1 hour') as hour)
     select to_char(h.hour at time zone 'UTC', 'YYYY-MM-DD"T"HH24:00:00"Z"') as hour,
            count(l.id) filter (where l.outcome = 'refreshed')::int as refreshed,
            count(l.id) filter (where l.outcome = 'skipped')::int as skipped,
            count(l.id) filter (where l.outcome = 'transient_failure')::int as transient_failure,
            count(l.id) filter (where l.outcome = 'auth_failure')::int as auth_failure,
            count(l.id) filter (where l.outcome = 'config_failure')::int as config_failure
     from hours h
     left join public.token_refresh_logs l
       on l.created_at >= h.hour and l.created_at < h.hour + interval '1 hour'
      and ($3::text is null or l.provider = $3)
     group by h.hour order by h.hour
     limit 168`,
    [options.now.toISOString(), hours, options.provider ?? null],
  );
}
