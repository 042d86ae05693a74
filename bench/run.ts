export {};

/**
 * `npm run bench`: every benchmark, one JSON object per line on stdout (docs/contracts.md §8).
 * `npm run bench -- import-rate` runs only the named ones. Sizes can be changed for experiments:
 * BENCH_REFRESH_ROWS, BENCH_REFRESH_CONCURRENCY, BENCH_TOKEN_LATENCY_MS, BENCH_DB_POOL
 * (refresh-throughput), BENCH_ROUND_TRIP_ROWS, BENCH_CLAIM_SIZES, BENCH_CLAIM_RUNS,
 * BENCH_CLAIM_PLAN=1 (print the claim's plan), BENCH_IMPORT_ROWS, BENCH_RATE_LIMIT_DECISIONS,
 * BENCH_RATE_LIMIT_CONCURRENCY, BENCH_RATE_LIMIT_LATENCY_SAMPLES (rate-limit), BENCH_LIST_ROWS,
 * BENCH_LIST_OTHER_ROWS, BENCH_LOG_ROWS, BENCH_LIST_RUNS (dashboard-list).
 */
const benches: Record<string, () => Promise<{ run: () => Promise<void> }>> = {
  'refresh-throughput': () => import('./refresh-throughput'),
  'claim-query': () => import('./claim-query'),
  'import-rate': () => import('./import-rate'),
  'round-trips-per-refresh': () => import('./round-trips-per-refresh'),
  'rate-limit': () => import('./rate-limit'),
  'dashboard-list': () => import('./dashboard-list'),
};

const wanted = process.argv.slice(2);
for (const name of wanted) {
  if (!benches[name]) {
    process.stderr.write(`Unknown benchmark "${name}". Known: ${Object.keys(benches).join(', ')}\n`);
    process.exit(2);
  }
}
for (const [name, load] of Object.entries(benches)) {
  if (wanted.length > 0 && !wanted.includes(name)) continue;
  process.stderr.write(`bench: ${name}\n`);
  const bench = await load();
  await bench.run();
}
