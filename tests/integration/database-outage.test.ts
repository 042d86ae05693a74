import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLocalOAuthProvider, type LocalOAuthProvider } from '../../lib/demo/local-oauth-provider';
import { createPostgresDb } from '../../lib/db/postgres-client';
import type { Db } from '../../lib/db/client';
import { RefreshPassInterruptedError } from '../../lib/refresh/run-pass';
import { createRefreshHarness, type RefreshHarness } from '../support/refresh-harness';
import { startTcpProxy, type TcpProxy } from '../support/tcp-proxy';
import { responses, startFaultProvider, type FaultProvider } from '../support/fault-provider';

const CLIENT = { clientId: 'tw-test', clientSecret: 'tw-test-secret' };
const CONNECTIONS = 100;
const OUTAGE_MS = 8_000;

/**
 * The database goes away in the middle of a pass over connections of a strict rotating
 * provider (oidc-provider with rotateRefreshToken: a reused refresh token is invalid_grant
 * and revokes the grant). Every refresh token the provider rotated must still be saved, and
 * nobody may be disconnected.
 */
describe('a database outage in the middle of a refresh pass', () => {
  let oauth: LocalOAuthProvider;
  let h: RefreshHarness;
  let proxy: TcpProxy;
  let viaProxy: Db;

  beforeAll(async () => {
    // Hour-long access tokens: a refreshed connection is not due again within this test.
    oauth = await startLocalOAuthProvider({ accessTokenTtlSeconds: 3600, clients: [{ ...CLIENT, auth: 'client_secret_basic' }] });
    h = await createRefreshHarness([{ id: 'local', name: 'Local OAuth', tokenUrl: oauth.tokenUrl, ...CLIENT, rotatesRefreshTokens: true }]);
    if (!h.t.url) throw new Error('this test needs the PostgreSQL server (it cuts the connection to it)');
    const url = new URL(h.t.url);
    proxy = await startTcpProxy({ host: url.hostname, port: Number(url.port || 5432) });
    viaProxy = createPostgresDb(proxy.via(h.t.url), { max: 10 });
  });
  afterAll(async () => {
    await viaProxy?.close();
    await proxy?.close();
    await h?.close();
    await oauth?.close();
  });

  it('costs no connection: calls stop, rotated tokens are written once the database is back, the next pass completes', async () => {
    const ids: string[] = [];
    for (let i = 0; i < CONNECTIONS; i += 1) {
      const minted = await oauth.mintTokens({ accountId: `outage-${i}`, clientId: CLIENT.clientId });
      ids.push(await h.seed({ provider: 'local', accessToken: minted.accessToken, refreshToken: minted.refreshToken, expiresIn: 60 }));
    }
    const before = oauth.stats();
    let answered = 0;
    let callsDuringOutage = 0;
    let down = false;
    // The provider takes a little while to answer, so calls are in flight when the database goes.
    const slowFetch: typeof fetch = async (input, init) => {
      if (down) callsDuringOutage += 1;
      await new Promise((resolve) => setTimeout(resolve, 40));
      const response = await fetch(input, init);
      answered += 1;
      if (answered === 30) {
        down = true;
        proxy.cut();
        setTimeout(() => {
          down = false;
          proxy.restore();
        }, OUTAGE_MS);
      }
      return response;
    };

    const failed = await h
      .pass({ concurrency: 10, providerConcurrency: 10, batchSize: 20 }, { db: viaProxy, fetch: slowFetch })
      .then(() => null, (error: unknown) => error);

    expect(failed).toBeInstanceOf(RefreshPassInterruptedError);
    const summary = (failed as RefreshPassInterruptedError).summary;
    expect(summary).toMatchObject({ ok: false, error: 'database_unreachable', lostInFlight: 0, writeFailures: 0, disconnected: 0 });
    expect(summary.message).toMatch(/database was unreachable/);
    expect(summary.claimed).toBeGreaterThan(0);
    // What was in flight when the database went finished; nothing new started until the pass ended.
    expect(callsDuringOutage).toBeLessThanOrEqual(10);
    const rotated = oauth.stats().refreshSuccess - before.refreshSuccess;
    expect(rotated).toBeGreaterThanOrEqual(30);
    expect(summary.refreshed).toBe(rotated);
    const [stored] = await h.t.db.query<{ n: number }>(`select count(*)::int as n from public.integrations where token_version > 1`);
    expect(stored!.n).toBe(rotated);

    // Two minutes later (a claim that committed as the connection dropped has had its lease
    // run out, on the database's clock), the next pass takes every connection left.
    await h.t.db.query(`update public.integrations set lease_expires_at = now() - interval '1 second' where lease_expires_at is not null`);
    // The next cron tick comes once the app reaches its database again: connection attempts
    // the pool began during the outage may still be timing out, so wait until every one of
    // its connections answers.
    for (let tries = 0; ; tries += 1) {
      const answered = await Promise.all(Array.from({ length: 10 }, () => viaProxy.query('select pg_sleep(0.05)'))).then(
        () => true,
        () => false,
      );
      if (answered) break;
      if (tries >= 40) throw new Error('the database never answered through the proxy again');
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
    const next = await h.pass({ concurrency: 10, providerConcurrency: 10 }, { db: viaProxy, now: () => new Date(Date.now() + 5 * 60_000) });
    expect(next).toMatchObject({ ok: true, refreshed: CONNECTIONS - rotated, authFailures: 0, disconnected: 0, writeFailures: 0 });

    const after = oauth.stats();
    expect(after.refreshSuccess - before.refreshSuccess).toBe(CONNECTIONS);
    expect(after.refreshErrors - before.refreshErrors).toBe(0);
    const rows = await h.t.db.query<{ status: string; token_version: number }>(
      `select status, token_version from public.integrations where id in (select value::uuid from jsonb_array_elements_text($1::jsonb))`,
      [JSON.stringify(ids)],
    );
    expect(rows.every((row) => row.status === 'connected' && row.token_version === 2)).toBe(true);
    const [emails] = await h.t.db.query<{ n: number }>(`select count(*)::int as n from public.email_outbox`);
    expect(emails!.n).toBe(0);
  }, 90_000);
});

describe('a statement that hangs', () => {
  let fault: FaultProvider;
  let h: RefreshHarness;

  beforeAll(async () => {
    fault = await startFaultProvider();
    h = await createRefreshHarness([{ id: 'plain', name: 'Plain', tokenUrl: fault.tokenUrl, ...CLIENT }]);
  });
  afterAll(async () => {
    await h?.close();
    await fault?.close();
  });

  it('sets statement, lock and idle-in-transaction timeouts on every server connection', async () => {
    if (!h.t.url) throw new Error('needs the PostgreSQL server');
    const db = createPostgresDb(h.t.url, { max: 1 });
    try {
      const [row] = await db.query<Record<string, string>>(
        `select current_setting('statement_timeout') as statement, current_setting('lock_timeout') as lock,
                current_setting('idle_in_transaction_session_timeout') as idle`,
      );
      expect(row).toEqual({ statement: '30s', lock: '10s', idle: '1min' });
    } finally {
      await db.close();
    }
  });

  it('ends the pass within its budget and grace when a row lock never comes free', async () => {
    if (!h.t.url) throw new Error('needs the PostgreSQL server');
    const id = await h.seed({ provider: 'plain', expiresIn: 60 });
    fault.enqueue(responses.tokens({ accessToken: 'hang-new-access' }));
    // Another session takes the row's lock while the provider answers, and keeps it.
    let release: () => void = () => undefined;
    const held = new Promise<void>((resolve) => (release = resolve));
    let locked: Promise<unknown> | null = null;
    const lockingFetch: typeof fetch = async (input, init) => {
      const response = await fetch(input, init);
      await new Promise<void>((lockTaken) => {
        locked = h.t.db.transaction(async (tx) => {
          await tx.query(`select id from public.integrations where id = $1 for update`, [id]);
          lockTaken();
          await Promise.race([held, new Promise((resolve) => setTimeout(resolve, 20_000))]);
        });
      });
      return response;
    };
    const db = createPostgresDb(h.t.url, { max: 4, timeouts: { lockMs: 300 } });
    try {
      const started = Date.now();
      const summary = await h.pass({ integrationId: id, timeBudgetMs: 2_000, writeGraceMs: 1_500 }, { db, fetch: lockingFetch });
      const elapsed = Date.now() - started;
      expect(summary).toMatchObject({ claimed: 1, refreshed: 0, writeFailures: 1 });
      // Budget 2 s + grace 1.5 s, plus one last lock wait: never the 20 s the lock is held.
      expect(elapsed).toBeLessThan(6_000);
    } finally {
      release();
      await locked;
      await db.close();
    }
  });
});
