import { runRefreshBench } from './refresh-setup';
import { DEFAULT_BENCH_POOL, report, round } from './support';
import { passSettingsFrom } from '../lib/refresh/deps';

/**
 * One refresh pass over 5,000 due integrations against a local token endpoint that answers
 * after a fixed 50 ms. With `concurrency` refreshes in flight the pass can go no faster than
 * concurrency / latency (1,000 refreshes/s); `ratio` says how close the engine gets.
 *
 * Two lines, both with the production default per-provider cap (half the concurrency):
 * `refresh-throughput` spreads the rows over 4 providers; `refresh-throughput-one-provider`
 * puts them all on one, where the cap must not idle the other half of the slots while no
 * other provider's work waits.
 */

const ROWS = Number(process.env.BENCH_REFRESH_ROWS ?? 5_000);
const CONCURRENCY = Number(process.env.BENCH_REFRESH_CONCURRENCY ?? 50);
const LATENCY_MS = Number(process.env.BENCH_TOKEN_LATENCY_MS ?? 50);
const POOL = Number(process.env.BENCH_DB_POOL ?? DEFAULT_BENCH_POOL);

export async function run(): Promise<void> {
  const { providerConcurrency } = passSettingsFrom({
    REFRESH_CONCURRENCY: CONCURRENCY,
    REFRESH_PROVIDER_CONCURRENCY: undefined,
    REFRESH_TIME_BUDGET_SECONDS: 300,
    REFRESH_THRESHOLD_MINUTES: 10,
  });
  for (const [name, providers] of [
    ['refresh-throughput', 4],
    ['refresh-throughput-one-provider', 1],
  ] as const) {
    const result = await runRefreshBench({ rows: ROWS, providers, concurrency: CONCURRENCY, providerConcurrency, latencyMs: LATENCY_MS, pool: POOL });
    const value = result.summary.refreshed / result.seconds;
    const bound = CONCURRENCY / (LATENCY_MS / 1000);
    report({
      name,
      n: ROWS,
      value: round(value, 1),
      unit: 'refreshes/s',
      bound,
      ratio: round(value / bound, 3),
      refreshed: result.summary.refreshed,
      seconds: round(result.seconds, 3),
      providers,
      concurrency: CONCURRENCY,
      providerConcurrency,
      latencyMs: LATENCY_MS,
      dbPool: result.pool,
      seedSeconds: round(result.seedSeconds, 2),
      roundTripsPerToken: round(result.roundTrips / result.summary.refreshed, 3),
      ...result.diagnostics,
    });
  }
}
