import type { Db, Queryable, Row } from './client';

/** The engine-specific part of a client: run one statement, run a script, begin, close. */
export interface DriverClient {
  query(text: string, params: readonly unknown[]): Promise<Row[]>;
  exec(sqlText: string): Promise<void>;
}

export interface Driver extends DriverClient {
  engine: Db['engine'];
  transaction<T>(fn: (tx: DriverClient) => Promise<T>): Promise<T>;
  close(): Promise<void>;
}

/**
 * Wraps a driver as a Db that counts statements sent (round trips), the figure the
 * benchmarks report. BEGIN and COMMIT are separate messages, so a transaction adds two.
 */
export function countedDb(driver: Driver): Db {
  let roundTrips = 0;
  const wrap = (client: DriverClient): Queryable => ({
    async query<T extends Row = Row>(text: string, params: readonly unknown[] = []): Promise<T[]> {
      roundTrips += 1;
      return (await client.query(text, params)) as T[];
    },
    async exec(sqlText: string): Promise<void> {
      roundTrips += 1;
      await client.exec(sqlText);
    },
  });
  const root = wrap(driver);
  return {
    engine: driver.engine,
    query: root.query,
    exec: root.exec,
    get roundTrips() {
      return roundTrips;
    },
    transaction<T>(fn: (tx: Queryable) => Promise<T>): Promise<T> {
      roundTrips += 2;
      return driver.transaction((tx) => fn(wrap(tx)));
    },
    close: () => driver.close(),
  };
}
