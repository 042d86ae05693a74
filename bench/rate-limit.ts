import { randomUUID } from 'node:crypto';
import { createAppLimiter } from '../lib/kv/rate-limit';
import { createPlatformLimiter } from '../lib/kv/platform-limiter';
import { createKvClient, MemoryStore, type KvStore } from '../lib/kv/store';
import { startUpstashBridge } from '../tests/support/upstash-bridge';
import { note, report, round } from './support';

/**
 * `rate-limit`: limiter decisions per second, and the latency one decision adds to a limited
 * request (p50/p95), through the real @vercel/kv client and the Upstash bridge to the Redis at
 * 127.0.0.1:6379 (started here), and on the in-process store. `app` is the routes' fixed window
 * (one script call); `platform` is the §6 token bucket (the penalty read and the script, sent
 * together). The bridge adds a local HTTP hop that Upstash's REST API also has, over the
 * network. BENCH_RATE_LIMIT_DECISIONS (default 5000), BENCH_RATE_LIMIT_CONCURRENCY (default 32),
 * BENCH_RATE_LIMIT_LATENCY_SAMPLES (default 1000).
 */
const DECISIONS = Number(process.env.BENCH_RATE_LIMIT_DECISIONS ?? 5000);
const CONCURRENCY = Number(process.env.BENCH_RATE_LIMIT_CONCURRENCY ?? 32);
const SAMPLES = Number(process.env.BENCH_RATE_LIMIT_LATENCY_SAMPLES ?? 1000);

type Decide = (key: string) => Promise<unknown>;

function percentile(sorted: readonly number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? Number.NaN;
}

async function throughput(decide: Decide, keys: string[]): Promise<number> {
  let next = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (next < DECISIONS) {
        const i = next++;
        await decide(keys[i % keys.length] ?? 'k');
      }
    }),
  );
  return DECISIONS / ((performance.now() - started) / 1000);
}

async function latencies(decide: Decide, keys: string[]): Promise<number[]> {
  const samples: number[] = [];
  for (let i = 0; i < SAMPLES; i += 1) {
    const started = performance.now();
    await decide(keys[i % keys.length] ?? 'k');
    samples.push(performance.now() - started);
  }
  return samples.sort((a, b) => a - b);
}

async function measure(storeName: string, store: KvStore): Promise<void> {
  const run = randomUUID();
  // Many keys, limits high enough that most decisions are allowed (a refusal costs the same).
  const keys = Array.from({ length: 500 }, (_, i) => `bench-${run}-${i}`);
  const app = createAppLimiter(store, { apiRateLimitPerMinute: 1_000_000 });
  const platform = createPlatformLimiter(store, { google_ads: { limit: 1_000_000, periodSeconds: 60, burst: 100_000 } });
  const limiters: [string, Decide][] = [
    ['app', (key) => app.check('api', key)],
    ['platform', (key) => platform.attempt('google_ads', key)],
  ];
  for (const [limiter, decide] of limiters) {
    // The script's first EVAL after NOSCRIPT, the connection, the JIT.
    for (let i = 0; i < 200; i += 1) await decide(`warm-up-${i % 10}`);
    const perSecond = await throughput(decide, keys);
    report({ name: 'rate-limit', store: storeName, limiter, metric: 'decisions', n: DECISIONS, value: Math.round(perSecond), unit: 'decisions/s', concurrency: CONCURRENCY });
    const sorted = await latencies(decide, keys);
    for (const p of [50, 95] as const) {
      report({ name: 'rate-limit', store: storeName, limiter, metric: `added_latency_p${p}`, n: SAMPLES, value: round(percentile(sorted, p)), unit: 'ms' });
    }
  }
  // For comparison: one plain store round trip (a GET). A decision is one round trip (app) or
  // two sent together (platform).
  for (let i = 0; i < 200; i += 1) await store.get(`bench-warm-up-${i % 10}`);
  const trip = await latencies((key) => store.get(key), keys);
  for (const p of [50, 95] as const) {
    report({ name: 'rate-limit', store: storeName, limiter: 'none', metric: `store_round_trip_p${p}`, n: SAMPLES, value: round(percentile(trip, p)), unit: 'ms' });
  }
}

export async function run(): Promise<void> {
  const bridge = await startUpstashBridge({ redis: { host: '127.0.0.1', port: 6379 } });
  try {
    note(`Upstash bridge at ${bridge.url} → Redis 127.0.0.1:6379`);
    await measure('kv-bridge', createKvClient({ url: bridge.url, token: bridge.token }));
  } finally {
    await bridge.close();
  }
  await measure('memory', new MemoryStore());
}
