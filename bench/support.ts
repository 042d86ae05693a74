import type { Db } from '../lib/db/client';
import { createPostgresDb } from '../lib/db/postgres-client';
import { createTestDatabase } from '../tests/support/database';

export interface BenchLine {
  name: string;
  n: number;
  value: number;
  unit: string;
  bound?: number;
  ratio?: number;
  [extra: string]: unknown;
}

/** One JSON object per line on stdout (docs/contracts.md §8); everything else goes to stderr. */
export function report(line: BenchLine): void {
  process.stdout.write(`${JSON.stringify(line)}\n`);
}

/** Progress and diagnostics: stderr, so stdout stays one JSON object per line. */
export function note(message: string): void {
  process.stderr.write(`  ${message}\n`);
}

/** The client pool the tests get (createTestDatabase). */
export const DEFAULT_BENCH_POOL = 20;

/**
 * A fresh, migrated database on the real server (as the tests get), dropped by `drop`,
 * reached through a client of `max` pooled connections with no statement limit. `settings`
 * are applied first (ALTER DATABASE ... SET, e.g. statistics switches for diagnostics).
 */
export async function benchDatabase(
  options: { max?: number; settings?: Record<string, string> } = {},
): Promise<{ db: Db; url: string | null; pool: number; drop: () => Promise<void> }> {
  const t = await createTestDatabase({ engine: 'postgres' });
  const max = options.max ?? DEFAULT_BENCH_POOL;
  const settings = Object.entries(options.settings ?? {});
  if (!t.url) return { db: t.db, url: t.url, pool: DEFAULT_BENCH_POOL, drop: () => t.drop() };
  for (const [name, value] of settings) {
    if (!/^[a-z_]+$/.test(name)) throw new Error(`bad setting name ${name}`);
    const [{ datname } = { datname: '' }] = await t.db.query<{ datname: string }>(`select current_database() as datname`);
    await t.db.exec(`alter database "${datname}" set ${name} = '${value.replace(/'/g, "''")}'`);
  }
  await t.db.close();
  // Seeding a million rows takes longer than the app's statement limit allows any one
  // statement (lib/db/postgres-client.ts); the statements measured are far below it.
  const db = createPostgresDb(t.url, { max, timeouts: { statementMs: 0 } });
  return {
    db,
    url: t.url,
    pool: max,
    async drop() {
      await db.close();
      await t.drop(); // closes the (already closed) first client again, then drops the database
    },
  };
}

/** Milliseconds since `started` (a performance.now() reading). */
export function since(started: number): number {
  return performance.now() - started;
}

export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

export function round(value: number, digits = 3): number {
  const factor = 10 ** digits;
  return Math.round(value * factor) / factor;
}
