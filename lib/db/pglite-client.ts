import { mkdirSync } from 'node:fs';
import { PGlite, types } from '@electric-sql/pglite';
import type { Db, Row } from './client';
import { countedDb, type DriverClient } from './counted-db';

/**
 * PGlite: Postgres compiled to WASM, in this process. `dir` null means in memory (tests
 * without a server). One data folder may be opened by one process at a time.
 */
export async function createPgliteDb(dir: string | null): Promise<Db> {
  if (dir) mkdirSync(dir, { recursive: true }); // PGlite does not create parent folders
  const pg = await PGlite.create(dir ?? undefined, {
    parsers: { [types.INT8]: (value: string) => Number(value) },
  });

  const client = (target: Pick<PGlite, 'query' | 'exec'>): DriverClient => ({
    query: async (text, params) => (await target.query<Row>(text, params as unknown[])).rows,
    exec: async (sqlText) => {
      await target.exec(sqlText);
    },
  });

  return countedDb({
    engine: 'pglite',
    ...client(pg),
    transaction: (fn) => pg.transaction((tx) => fn(client(tx))),
    close: () => pg.close(),
  });
}
