import { join } from 'node:path';
import type { Env } from '../env';
import { dataDir } from '../data-dir';
import type { Db } from './client';
import { createPostgresDb } from './postgres-client';
import { createPgliteDb } from './pglite-client';

/** postgres.js when DATABASE_URL is set, else the embedded PGlite under the data folder. */
export async function openDatabase(env: Pick<Env, 'DATABASE_URL' | 'TOKENWARDEN_DATA_DIR'>): Promise<Db> {
  if (env.DATABASE_URL) return createPostgresDb(env.DATABASE_URL);
  return createPgliteDb(join(dataDir(env), 'pglite'));
}

/** A description safe to print: engine and host or folder, never a password. */
export function describeDatabase(env: Pick<Env, 'DATABASE_URL' | 'TOKENWARDEN_DATA_DIR'>): string {
  if (!env.DATABASE_URL) return `embedded PGlite at ${join(dataDir(env), 'pglite')}`;
  const url = new URL(env.DATABASE_URL);
  return `PostgreSQL at ${url.hostname}${url.port ? `:${url.port}` : ''}${url.pathname}`;
}
