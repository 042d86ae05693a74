import { randomBytes } from 'node:crypto';
import postgres from 'postgres';
import type { Db } from '../lib/db/client';
import { createPostgresDb } from '../lib/db/postgres-client';
import { migrate } from '../lib/db/migrate';

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

const ADMIN_URL = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

/** A fresh, migrated database on the real server, dropped by the returned function. */
export async function benchDatabase(): Promise<{ db: Db; drop: () => Promise<void> }> {
  const name = `tw_bench_${randomBytes(5).toString('hex')}`;
  const admin = postgres(ADMIN_URL, { max: 1, onnotice: () => undefined });
  await admin.unsafe(`create database ${name}`);
  await admin.end();
  const url = new URL(ADMIN_URL);
  url.pathname = `/${name}`;
  const db = createPostgresDb(url.toString(), { max: 20 });
  await migrate(db);
  return {
    db,
    async drop() {
      await db.close();
      const dropper = postgres(ADMIN_URL, { max: 1, onnotice: () => undefined });
      await dropper.unsafe(`drop database if exists ${name} with (force)`);
      await dropper.end();
    },
  };
}
