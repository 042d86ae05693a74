import postgres from 'postgres';
import type { Db, Queryable, Row } from './client';

type Sql = postgres.Sql | postgres.TransactionSql;
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
  const counter = { roundTrips: 0 };

  const wrap = (client: Sql): Queryable => ({
    async query<T extends Row = Row>(text: string, params: readonly unknown[] = []): Promise<T[]> {
      counter.roundTrips += 1;
      const rows = await client.unsafe(text, params as Param[]);
      return rows as unknown as T[];
    },
    async exec(sqlText: string): Promise<void> {
      counter.roundTrips += 1;
      await client.unsafe(sqlText);
    },
  });

  const root = wrap(sql);
  return {
    engine: 'postgres',
    query: root.query,
    exec: root.exec,
    get roundTrips() {
      return counter.roundTrips;
    },
    async transaction<T>(fn: (tx: Queryable) => Promise<T>): Promise<T> {
      // BEGIN and COMMIT travel with the first and last statements' round trips in spirit,
      // but they are separate messages: count them so benchmarks stay honest.
      counter.roundTrips += 2;
      return (await sql.begin((tx) => fn(wrap(tx)))) as T;
    },
    async close() {
      await sql.end({ timeout: 5 });
    },
  };
}
