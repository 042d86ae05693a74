import { createProviderFetch } from '../lib/refresh/http-client';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes, randomUUID } from 'node:crypto';
import { monitorEventLoopDelay, performance } from 'node:perf_hooks';
import { KeyRing, tokenContext } from '../lib/crypto/key-ring';
import type { Db, Queryable, Row } from '../lib/db/client';
import { loadProviderRegistry, type ProviderRegistry } from '../lib/providers/registry';
import type { RefreshDeps } from '../lib/refresh/refresh-one';
import { runRefreshPass, type PassSummary } from '../lib/refresh/run-pass';
import { benchDatabase, note, round, since } from './support';
import { startTokenServer } from './token-server-process';

/**
 * What the refresh benchmarks share: a forked token endpoint with a fixed latency, a fresh
 * database seeded with due integrations of one provider, and one timed runRefreshPass
 * wired exactly as the cron wires it (real fetch, real key ring, real SQL), with instant sleep.
 */

export const BENCH_PROVIDER = 'bench_provider';

/** The ids of `count` bench providers (all served by the same token endpoint). */
export function benchProviders(count: number): string[] {
  return Array.from({ length: count }, (_, i) => (i === 0 ? BENCH_PROVIDER : `${BENCH_PROVIDER}_${i + 1}`));
}

export interface RefreshRunOptions {
  rows: number;
  /** The rows are spread over this many providers in turn; default 1. */
  providers?: number;
  concurrency: number;
  providerConcurrency: number;
  latencyMs: number;
  pool: number;
}

export interface RefreshRun {
  summary: PassSummary;
  seconds: number;
  seedSeconds: number;
  roundTrips: number;
  pool: number;
  /** Rows that really carry new tokens afterwards (token_version 2, lease released). */
  rotated: number;
  diagnostics: Record<string, unknown>;
}

interface Timing {
  count: number;
  ms: number;
}

/** Wall time of each statement kind, and of provider calls, as seen from the engine. */
class Timings {
  readonly byKind = new Map<string, Timing>();
  add(kind: string, ms: number): void {
    const timing = this.byKind.get(kind) ?? { count: 0, ms: 0 };
    timing.count += 1;
    timing.ms += ms;
    this.byKind.set(kind, timing);
  }
  summary(): Record<string, { count: number; avgMs: number; totalMs: number }> {
    return Object.fromEntries(
      [...this.byKind].map(([kind, t]) => [kind, { count: t.count, avgMs: round(t.ms / t.count, 2), totalMs: Math.round(t.ms) }]),
    );
  }
}

function statementKind(text: string): string {
  if (text.includes('record_refresh_result')) return 'db.record';
  if (text.includes('skip locked')) return 'db.claim';
  if (text.includes('count(*)')) return 'db.countDue';
  return 'db.other';
}

/** The same Db, with every statement's wall time added to `timings` (round trips still counted by the real client). */
function timedDb(db: Db, timings: Timings): Db {
  const timed = (client: Queryable): Queryable => ({
    async query<T extends Row = Row>(text: string, params?: readonly unknown[]): Promise<T[]> {
      const started = performance.now();
      try {
        return await client.query<T>(text, params);
      } finally {
        timings.add(statementKind(text), since(started));
      }
    },
    exec: (sqlText: string) => client.exec(sqlText),
  });
  const root = timed(db);
  return {
    engine: db.engine,
    query: root.query,
    exec: root.exec,
    transaction: (fn) => db.transaction((tx) => fn(timed(tx))),
    get roundTrips() {
      return db.roundTrips;
    },
    close: () => db.close(),
  };
}

/** Busy and total jiffies of the whole machine (all processes: engine, token server, PostgreSQL). */
function machineCpu(): { busy: number; total: number } | null {
  try {
    const fields = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).slice(1).map(Number);
    const total = fields.reduce((sum, value) => sum + value, 0);
    const idle = (fields[3] ?? 0) + (fields[4] ?? 0);
    return { busy: total - idle, total };
  } catch {
    return null; // not Linux: the figure is left out
  }
}

/** CPU (ms) used so far by each PostgreSQL backend serving this database, by pid. */
async function backendCpu(db: Db): Promise<Map<number, number>> {
  const rows = await db.query<{ pid: number }>(`select pid from pg_stat_activity where datname = current_database()`);
  const cpu = new Map<number, number>();
  for (const { pid } of rows) {
    try {
      // Fields after the command name: utime and stime are the 12th and 13th (in clock ticks, 100/s).
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      cpu.set(pid, (Number(fields[11]) + Number(fields[12])) * 10);
    } catch {
      // Another host or a backend that just exited: not counted.
    }
  }
  return cpu;
}

function providerRegistry(tokenUrl: string, ids: string[]): ProviderRegistry {
  const dir = mkdtempSync(join(tmpdir(), 'tw-bench-providers-'));
  try {
    const file = join(dir, 'providers.json');
    writeFileSync(
      file,
      JSON.stringify({
        providers: ids.map((id) => ({
          id,
          name: `Bench provider ${id}`,
          tokenUrl,
          clientId: 'bench-client',
          clientSecret: 'bench-secret',
          clientAuth: 'client_secret_basic',
          rotatesRefreshTokens: true,
        })),
      }),
    );
    return loadProviderRegistry({ providersFile: file, env: {} });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** `rows` connected integrations of the bench providers in turn, all due, encrypted as the app stores them. */
async function seed(db: Db, keyRing: KeyRing, rows: number, providers: string[]): Promise<void> {
  const users = await db.query<{ id: string }>(
    `insert into auth.users (email)
     select 'bench-' || g || '-' || $1 || '@bench.example' from generate_series(1, 100) g
     returning id`,
    [randomBytes(4).toString('hex')],
  );
  const now = Date.now();
  const BATCH = 1_000;
  for (let start = 0; start < rows; start += BATCH) {
    const batch = Array.from({ length: Math.min(BATCH, rows - start) }, (_, k) => {
      const i = start + k;
      const id = randomUUID();
      return {
        id,
        user_id: users[i % users.length]!.id,
        provider: providers[i % providers.length]!,
        account_label: `account ${i}`,
        access: keyRing.encrypt(`access-${randomBytes(24).toString('base64url')}`, tokenContext.access(id)),
        refresh: keyRing.encrypt(`refresh-${randomBytes(24).toString('base64url')}`, tokenContext.refresh(id)),
        // Oldest first, a millisecond apart: every row is due, expiring in a minute.
        due: new Date(now - (rows - i)).toISOString(),
      };
    });
    await db.query(
      `insert into public.integrations
         (id, user_id, provider, account_label, access_token_encrypted, refresh_token_encrypted, token_key_id,
          expires_at, refresh_due_at)
       select r.id, r.user_id, r.provider, r.account_label, r.access, r.refresh, $2, $3::timestamptz, r.due
       from jsonb_to_recordset($1::jsonb)
         as r(id uuid, user_id uuid, provider text, account_label text, access text, refresh text, due timestamptz)`,
      [JSON.stringify(batch), keyRing.activeKeyId, new Date(now + 60_000).toISOString()],
    );
  }
  await db.query(`analyze public.integrations`);
}

/** Seeds, runs one pass, checks the result; always stops the token server and drops the database. */
export async function runRefreshBench(options: RefreshRunOptions): Promise<RefreshRun> {
  const server = await startTokenServer(options.latencyMs);
  try {
    const database = await benchDatabase({ max: options.pool, settings: { track_functions: 'pl' } });
    try {
      const keyRing = new KeyRing([{ id: 'bench', key: randomBytes(32) }]);
      const ids = benchProviders(options.providers ?? 1);
      const providers = providerRegistry(server.url, ids);

      const seedStarted = performance.now();
      await seed(database.db, keyRing, options.rows, ids);
      const seedSeconds = since(seedStarted) / 1000;
      note(`seeded ${options.rows} due integrations in ${seedSeconds.toFixed(2)} s`);

      const timings = new Timings();
      const db = timedDb(database.db, timings);
      // The provider HTTP client the cron uses (lib/refresh/deps.ts), timed.
      const providerFetch = createProviderFetch();
      const timedFetch: typeof fetch = async (input, init) => {
        const started = performance.now();
        try {
          return await providerFetch(input, init);
        } finally {
          timings.add('http.headers', since(started));
        }
      };
      const deps: RefreshDeps = {
        db,
        keyRing,
        providers,
        fetch: timedFetch,
        now: () => new Date(),
        random: Math.random,
        sleep: async () => undefined,
        appUrl: 'https://app.example.com',
        requestTimeoutMs: 10_000,
        maxAttempts: 3,
      };

      // No warm-up pass: the measured pass starts with cold connections and JIT, as a cron invocation does.
      const serverBefore = await server.stats();
      const pgBefore = await backendCpu(database.db);
      const cpuBefore = machineCpu();
      const engineCpuBefore = process.cpuUsage();
      const elu = performance.eventLoopUtilization();
      const lag = monitorEventLoopDelay({ resolution: 10 });
      lag.enable();
      const roundTripsBefore = database.db.roundTrips;
      const started = performance.now();
      const summary = await runRefreshPass(deps, {
        trigger: 'cron',
        concurrency: options.concurrency,
        providerConcurrency: options.providerConcurrency,
        timeBudgetMs: 300_000,
        thresholdMinutes: 10,
        verbose: true,
      });
      const seconds = since(started) / 1000;
      const roundTrips = database.db.roundTrips - roundTripsBefore;
      lag.disable();
      const loop = performance.eventLoopUtilization(elu);
      const engineCpu = process.cpuUsage(engineCpuBefore);
      const cpuAfter = machineCpu();
      const serverAfter = await server.stats();
      const pgAfter = await backendCpu(database.db);
      const pgCpuMs = [...pgAfter].reduce((sum, [pid, ms]) => sum + ms - (pgBefore.get(pid) ?? 0), 0);

      await new Promise((resolve) => setTimeout(resolve, 1_500)); // idle backends flush their statistics
      const [fn] = await database.db.query<{ calls: number; total: number; self: number }>(
        `select calls::int, total_time as total, self_time as self from pg_stat_user_functions where funcname = 'record_refresh_result'`,
      );
      const [check] = await database.db.query<{ rotated: number; logs: number }>(
        `select (select count(*)::int from public.integrations
                 where token_version = 2 and lease_expires_at is null and refresh_due_at > now()) as rotated,
                (select count(*)::int from public.token_refresh_logs where outcome = 'refreshed') as logs`,
      );
      const rotated = check?.rotated ?? 0;
      if (summary.refreshed !== options.rows || rotated !== options.rows || check?.logs !== options.rows) {
        throw new Error(
          `refreshed ${summary.refreshed}, rotated ${rotated}, logged ${check?.logs} of ${options.rows}: ${JSON.stringify({ ...summary, results: undefined })}`,
        );
      }

      const durations = (summary.results ?? []).map((r) => r.durationMs).sort((a, b) => a - b);
      const pct = (p: number) => durations[Math.min(durations.length - 1, Math.floor(p * durations.length))] ?? 0;
      const wallMs = seconds * 1000;
      const serverCpuMs = (serverAfter.cpu.user + serverAfter.cpu.system - serverBefore.cpu.user - serverBefore.cpu.system) / 1000;
      const engineCpuMs = (engineCpu.user + engineCpu.system) / 1000;
      const cores = cpuBefore && cpuAfter ? (cpuAfter.total - cpuBefore.total) / 100 / seconds : null;
      const diagnostics = {
        perRefreshMs: {
          avg: round(durations.reduce((sum, d) => sum + d, 0) / Math.max(1, durations.length), 1),
          p50: pct(0.5),
          p95: pct(0.95),
          p99: pct(0.99),
        },
        timings: timings.summary(),
        engine: {
          eventLoopUtilization: round(loop.utilization, 3),
          eventLoopDelayP99Ms: round(lag.percentile(99) / 1e6, 1),
          // All of the process's threads: the event loop, V8's compiler and GC helpers.
          cpuMs: Math.round(engineCpuMs),
          systemCpuMs: Math.round(engineCpu.system / 1000),
          cpuShare: round(engineCpuMs / wallMs, 3),
        },
        // PostgreSQL backends of this database (read from /proc, so only with a local server):
        // their CPU per refreshed token; WAL writer and checkpointer are not included.
        postgres: { backends: pgAfter.size, cpuMs: pgCpuMs, cpuShare: round(pgCpuMs / wallMs, 3) },
        cpuMsPerRefresh: {
          engine: round(engineCpuMs / summary.refreshed, 3),
          postgres: round(pgCpuMs / summary.refreshed, 3),
          tokenServer: round(serverCpuMs / summary.refreshed, 3),
        },
        // Server-side execution of record_refresh_result (pg_stat_user_functions, track_functions = pl;
        // statistics reach the view within about a second, so the last calls may be missing).
        recordServerMs: fn ? { calls: fn.calls, avg: round(fn.total / Math.max(1, fn.calls), 3) } : null,
        tokenServer: {
          served: serverAfter.served - serverBefore.served,
          // New TCP connections during the pass: about `concurrency` when fetch keeps them alive.
          connections: serverAfter.connections - serverBefore.connections,
          cpuShare: round(serverCpuMs / wallMs, 3),
        },
        machine:
          cpuBefore && cpuAfter
            ? {
                // Cores' worth of CPU busy during the pass, whole machine (engine + token server + PostgreSQL + anything else).
                busyCores: round((cpuAfter.busy - cpuBefore.busy) / 100 / seconds, 2),
                // What the rest of the machine (other processes, WAL writer, kernel) used meanwhile.
                othersCores: round((cpuAfter.busy - cpuBefore.busy) / 100 / seconds - (engineCpuMs + pgCpuMs + serverCpuMs) / wallMs, 2),
                cores: cores === null ? null : Math.round(cores),
              }
            : null,
      };
      return { summary, seconds, seedSeconds, roundTrips, pool: database.pool, rotated, diagnostics };
    } finally {
      await database.drop();
    }
  } finally {
    await server.stop();
  }
}
