import { randomBytes } from 'node:crypto';
import postgres from 'postgres';
import type { Db } from '../../lib/db/client';
import { createPostgresDb } from '../../lib/db/postgres-client';
import { createPgliteDb } from '../../lib/db/pglite-client';
import { migrate } from '../../lib/db/migrate';

/**
 * A fresh database per test file on the real PostgreSQL (DATABASE_URL, else the local
 * server). PGlite in memory only when no server answers and REQUIRE_SERVICES is unset.
 */

export const ADMIN_URL = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

export interface TestDatabase {
  db: Db;
  /** The connection string of this test's own database, or null on PGlite. */
  url: string | null;
  engine: 'postgres' | 'pglite';
  drop(): Promise<void>;
}

let serverAnswers: Promise<boolean> | undefined;

export function postgresAnswers(): Promise<boolean> {
  serverAnswers ??= (async () => {
    const sql = postgres(ADMIN_URL, { max: 1, connect_timeout: 3, onnotice: () => undefined });
    try {
      await sql`select 1`;
      return true;
    } catch {
      if (process.env.REQUIRE_SERVICES === '1') {
        throw new Error(`REQUIRE_SERVICES=1 but PostgreSQL does not answer at ${redact(ADMIN_URL)}`);
      }
      return false;
    } finally {
      await sql.end({ timeout: 1 });
    }
  })();
  return serverAnswers;
}

export async function createTestDatabase(
  options: { engine?: 'postgres' | 'pglite' | 'auto'; migrated?: boolean } = {},
): Promise<TestDatabase> {
  const wanted = options.engine ?? 'auto';
  const usePostgres = wanted === 'postgres' || (wanted === 'auto' && (await postgresAnswers()));
  let result: TestDatabase;
  if (usePostgres) {
    const name = `tw_test_${randomBytes(6).toString('hex')}`;
    const admin = postgres(ADMIN_URL, { max: 1, onnotice: () => undefined });
    await admin.unsafe(`create database ${name}`);
    await admin.end();
    const url = new URL(ADMIN_URL);
    url.pathname = `/${name}`;
    const db = createPostgresDb(url.toString(), { max: 20 });
    result = {
      db,
      url: url.toString(),
      engine: 'postgres',
      async drop() {
        await db.close();
        const dropper = postgres(ADMIN_URL, { max: 1, onnotice: () => undefined });
        await dropper.unsafe(`drop database if exists ${name} with (force)`);
        await dropper.end();
      },
    };
  } else {
    const db = await createPgliteDb(null);
    result = { db, url: null, engine: 'pglite', drop: () => db.close() };
  }
  if (options.migrated ?? true) await migrate(result.db);
  return result;
}

function redact(url: string): string {
  return url.replace(/\/\/([^:@/]+):[^@/]*@/, '//$1:***@');
}
