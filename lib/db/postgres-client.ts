import postgres from 'postgres';
import type { Db, Row } from './client';
import { countedDb, type DriverClient } from './counted-db';

type Param = postgres.ParameterOrJSON<never>;

/** postgres.js against a server. `prepare: false` keeps it safe behind Supabase's pooler. */
export function createPostgresDb(url: string, options: { max?: number } = {}): Db {
  const sql = postgres(url, {
    prepare: false,
    max: options.max ?? 10,
    idle_timeout: 20,
    connect_timeout: 10,
    onnotice: () => undefined, // "already exists, skipping" notices are not news
    connection: { application_name: 'tokenwarden' },
    types: {
      // int8 counts and versions fit in a double; keep them numbers, as PGlite does.
      bigint: { to: 20, from: [20], serialize: (value: number) => String(value), parse: (value: string) => Number(value) },
      // A string bound to a json/jsonb parameter is already JSON text (as PGlite takes it);
      // postgres.js would otherwise encode it a second time into a JSON string scalar.
      json: {
        to: 3802,
        from: [114, 3802],
        serialize: (value: unknown) => (typeof value === 'string' ? value : JSON.stringify(value)),
        parse: (value: string) => JSON.parse(value) as unknown,
      },
    },
  });

  const client = (target: postgres.Sql | postgres.TransactionSql): DriverClient => ({
    query: async (text, params) => (await target.unsafe(text, params as Param[])) as unknown as Row[],
    exec: async (sqlText) => {
      await target.unsafe(sqlText);
    },
  });

  return countedDb({
    engine: 'postgres',
    ...client(sql),
    transaction: async (fn) => (await sql.begin((tx) => fn(client(tx)))) as Awaited<ReturnType<typeof fn>>,
    close: () => sql.end({ timeout: 5 }),
  });
}
