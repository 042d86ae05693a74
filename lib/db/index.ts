import { getEnv } from '../env';
import type { Db } from './client';
import { openDatabase } from './open';

export type { Db, Queryable, Row } from './client';

// Kept on globalThis so Next.js hot reloads in development reuse one connection pool (and,
// for PGlite, one open data folder) instead of opening another on every edit.
const holder = globalThis as typeof globalThis & { __tokenwardenDb?: Promise<Db> };

/** The app's shared database client, opened on first use. */
export function getDb(): Promise<Db> {
  holder.__tokenwardenDb ??= openDatabase(getEnv()).catch((error: unknown) => {
    holder.__tokenwardenDb = undefined;
    throw error;
  });
  return holder.__tokenwardenDb;
}
