import postgres from 'postgres';
import type { Db, Row } from './client';
import { countedDb, type DriverClient } from './counted-db';

type Param = postgres.ParameterOrJSON<never>;

/**
 * Server-side limits on every connection, so that no statement, lock wait or forgotten
 * transaction can hang a job past its time budget (a hung refresh pass would hold its
 * leases and keep its provider calls' results unwritten). The longest statements Tokenwarden
 * sends (an import batch, a cleanup batch, a key-rotation batch) take well under a second;
 * migrations lift the statement limit for themselves (lib/db/migrate.ts).
 */
export const DATABASE_TIMEOUTS = {
  /** statement_timeout: any one statement. */
  statementMs: 30_000,
  /** lock_timeout: waiting for a row or table lock another transaction holds. */
  lockMs: 10_000,
  /** idle_in_transaction_session_timeout: a transaction left open with nothing running. */
  idleInTransactionMs: 60_000,
} as const;

export type DatabaseTimeouts = { [K in keyof typeof DATABASE_TIMEOUTS]: number };

/**
 * postgres.js against a server. `prepare: false` keeps it safe behind Supabase's pooler.
 * The timeouts go as startup parameters of each connection (0 turns one off).
 */
export function createPostgresDb(url: string, options: { max?: number; timeouts?: Partial<DatabaseTimeouts> } = {}): Db {
  const timeouts = { ...DATABASE_TIMEOUTS, ...options.timeouts };
  const sql = postgres(url, {
    prepare: false,
    max: options.max ?? 10,
    idle_timeout: 20,
    connect_timeout: 10,
    onnotice: () => undefined, // "already exists, skipping" notices are not news
    connection: {
      application_name: 'tokenwarden',
      statement_timeout: timeouts.statementMs,
      lock_timeout: timeouts.lockMs,
      idle_in_transaction_session_timeout: timeouts.idleInTransactionMs,
    },
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
