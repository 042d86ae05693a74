import { runRefreshBench } from './refresh-setup';
import { DEFAULT_BENCH_POOL, report, round } from './support';

/**
 * Statements the engine sends per refreshed token (Db.roundTrips over one pass: the claims,
 * one record_refresh_result per token, the closing count). Bound 2: a claim and a write each.
 */

const ROWS = Number(process.env.BENCH_ROUND_TRIP_ROWS ?? 500);
const CONCURRENCY = 50;
const BOUND = 2;

export async function run(): Promise<void> {
  const result = await runRefreshBench({
    rows: ROWS,
    concurrency: CONCURRENCY,
    providerConcurrency: CONCURRENCY,
    latencyMs: 50,
    pool: DEFAULT_BENCH_POOL,
  });
  const value = result.roundTrips / result.summary.refreshed;
  const timings = result.diagnostics.timings as Record<string, { count: number }>;
  report({
    name: 'round-trips-per-refresh',
    n: result.summary.refreshed,
    value: round(value, 3),
    unit: 'round trips/token',
    bound: BOUND,
    ratio: round(value / BOUND, 3),
    roundTrips: result.roundTrips,
    statements: Object.fromEntries(Object.entries(timings).filter(([kind]) => kind.startsWith('db.')).map(([kind, t]) => [kind, t.count])),
    batchSize: CONCURRENCY * 2,
  });
}
