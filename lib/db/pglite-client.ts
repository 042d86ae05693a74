import { mkdirSync } from 'node:fs';
import { PGlite, types } from '@electric-sql/pglite';
import type { Db, Queryable, Row } from './client';

/**
 * PGlite: Postgres compiled to WASM, in this process. `dir` null means in memory (tests
 * without a server). One data folder may be opened by one process at a time.
 */
export async function createPgliteDb(dir: string | null): Promise<Db> {
  if (dir) mkdirSync(dir, { recursive: true }); // PGlite does not create parent folders
  const pg = await PGlite.create(dir ?? undefined, {
    parsers: { [types.INT8]: (value: string) => Number(value) },
  });
  const counter = { roundTrips: 0 };

  type Client = Pick<PGlite, 'query' | 'exec'>;
  const wrap = (client: Client): Queryable => ({
    async query<T extends Row = Row>(text: string, params: readonly unknown[] = []): Promise<T[]> {
      counter.roundTrips += 1;
      const result = await client.query<T>(text, params as unknown[]);
      return result.rows;
    },
    async exec(sqlText: string): Promise<void> {
      counter.roundTrips += 1;
      await client.exec(sqlText);
    },
  });

  const root = wrap(pg);
  return {
    engine: 'pglite',
    query: root.query,
    exec: root.exec,
    get roundTrips() {
      return counter.roundTrips;
    },
    async transaction<T>(fn: (tx: Queryable) => Promise<T>): Promise<T> {
      counter.roundTrips += 2;
      return pg.transaction((tx) => fn(wrap(tx)));
    },
    async close() {
      await pg.close();
    },
  };
}
