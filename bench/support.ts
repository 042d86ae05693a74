import type { Db } from '../lib/db/client';
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

/** One JSON object per line on stdout (CONTRACTS §8); everything else goes to stderr. */
export function report(line: BenchLine): void {
  process.stdout.write(`${JSON.stringify(line)}\n`);
}

/** A fresh, migrated database on the real server (as the tests get), dropped by `drop`. */
export async function benchDatabase(): Promise<{ db: Db; drop: () => Promise<void> }> {
  return createTestDatabase({ engine: 'postgres' });
}
