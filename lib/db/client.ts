/**
 * One small interface over the two engines: postgres.js against a server (Supabase's pooler
 * on a deployment, so no prepared statements) and PGlite embedded in the process.
 * Everything in lib/ talks to this, in plain parameterised SQL.
 */

export type Row = Record<string, unknown>;

export interface Queryable {
  /** One parameterised statement ($1, $2, ...); resolves to its rows. */
  query<T extends Row = Row>(text: string, params?: readonly unknown[]): Promise<T[]>;
  /** Several statements without parameters (migrations). */
  exec(sqlText: string): Promise<void>;
}

export interface Db extends Queryable {
  readonly engine: 'postgres' | 'pglite';
  /** Runs fn in one transaction; a throw rolls everything back. */
  transaction<T>(fn: (tx: Queryable) => Promise<T>): Promise<T>;
  /** Statements sent since the client opened: the round-trip count benchmarks report. */
  readonly roundTrips: number;
  close(): Promise<void>;
}
