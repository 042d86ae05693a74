import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLocalOAuthProvider, type LocalOAuthProvider } from '../../lib/demo/local-oauth-provider';
import { getValidAccessTokenWith, TokenUnavailableError } from '../../lib/refresh/get-valid-access-token';
import type { Db } from '../../lib/db/client';
import { claimDue } from '../../lib/refresh/claim';
import { refreshNow } from '../../lib/refresh/refresh-now';
import { createRefreshHarness, type RefreshHarness } from '../support/refresh-harness';
import { startFaultProvider, type FaultProvider } from '../support/fault-provider';

const CLIENT = { clientId: 'tw-test', clientSecret: 'tw-test-secret' };

describe('exactly-once refresh under concurrency (oidc-provider with rotateRefreshToken)', () => {
  let oauth: LocalOAuthProvider;
  let h: RefreshHarness;

  beforeAll(async () => {
    oauth = await startLocalOAuthProvider({ clients: [{ ...CLIENT, auth: 'client_secret_basic' }] });
    h = await createRefreshHarness([{ id: 'local', name: 'Local OAuth', tokenUrl: oauth.tokenUrl, ...CLIENT, rotatesRefreshTokens: true }]);
  });
  afterAll(async () => {
    await h?.close();
    await oauth?.close();
  });

  it('uses every refresh token exactly once across 4 overlapping passes and concurrent on-demand calls', async () => {
    const ids: string[] = [];
    for (let i = 0; i < 50; i += 1) {
      const minted = await oauth.mintTokens({ accountId: `user-${i}`, clientId: CLIENT.clientId });
      ids.push(await h.seed({ provider: 'local', accessToken: minted.accessToken, refreshToken: minted.refreshToken, expiresIn: 60 }));
    }
    const before = oauth.stats();
    const passes = Array.from({ length: 4 }, () => h.pass({ concurrency: 6, providerConcurrency: 6, batchSize: 5 }));
    const onDemand = ids.map((id) => getValidAccessTokenWith(h.deps({ sleep: (ms) => new Promise((r) => setTimeout(r, ms)) }), id, { minValiditySeconds: 120 }));
    const [summaries, tokens] = await Promise.all([Promise.all(passes), Promise.all(onDemand)]);

    const after = oauth.stats();
    expect(after.refreshSuccess - before.refreshSuccess).toBe(50);
    expect(after.refreshErrors - before.refreshErrors).toBe(0);
    const refreshedByPasses = summaries.reduce((sum, s) => sum + s.refreshed, 0);
    const onDemandLogs = await h.t.db.query<{ n: number }>(
      `select count(*)::int as n from public.token_refresh_logs where trigger = 'on_demand' and outcome = 'refreshed'`,
    );
    expect(refreshedByPasses + onDemandLogs[0]!.n).toBe(50);
    for (const s of summaries) expect(s.authFailures + s.transientFailures + s.configFailures).toBe(0);
    // Every caller got the token that is now stored.
    for (const [index, id] of ids.entries()) expect(tokens[index]).toBe((await h.tokens(id)).accessToken);
    const statuses = await h.t.db.query<{ status: string; n: number }>(
      `select status, count(*)::int as n from public.integrations group by status`,
    );
    expect(statuses).toEqual([{ status: 'connected', n: 50 }]);

    // The stored tokens are the live ones: a forced pass refreshes all 50 again.
    const forced = await h.pass({ force: true, trigger: 'forced', concurrency: 10, providerConcurrency: 10 });
    expect(forced).toMatchObject({ claimed: 50, refreshed: 50, authFailures: 0, transientFailures: 0 });
    const final = oauth.stats();
    expect(final.refreshSuccess - before.refreshSuccess).toBe(100);
    expect(final.refreshErrors - before.refreshErrors).toBe(0);
  });

  it('never claims a connection twice within one pass, even when it keeps failing', async () => {
    const id = await h.seed({ provider: 'local', refreshToken: 'not-a-token-this-server-issued', expiresIn: 60 });
    const summary = await h.pass({ integrationId: null, concurrency: 2, batchSize: 1 });
    const mine = summary.results!.filter((r) => r.integrationId === id);
    expect(mine).toHaveLength(1);
  });

  it('never lets an instance whose clock runs ahead take over a live lease', async () => {
    const minted = await oauth.mintTokens({ accountId: 'skew', clientId: CLIENT.clientId });
    const id = await h.seed({ provider: 'local', accessToken: minted.accessToken, refreshToken: minted.refreshToken, expiresIn: 60 });
    const [held] = await claimDue(h.t.db, { owner: 'run_instance_a', now: new Date(), limit: 1, leaseSeconds: 120, thresholdMinutes: 10, integrationId: id });
    expect(held?.id).toBe(id);

    // Instance B's clock is ten minutes ahead: by its clock, A's two-minute lease ran out long ago.
    const ahead = () => new Date(Date.now() + 10 * 60_000);
    const before = oauth.stats();
    const summary = await h.pass({ integrationId: id }, { now: ahead });
    const onDemand = await refreshNow(h.deps({ now: ahead }), id, { trigger: 'on_demand' });

    expect(summary.claimed).toBe(0);
    expect(onDemand).toBeNull();
    expect(oauth.stats().refreshSuccess - before.refreshSuccess).toBe(0);
    expect((await h.row(id)).lease_owner).toBe('run_instance_a');
  });
});

describe('a worker that dies after the provider answered and before the commit', () => {
  let oauth: LocalOAuthProvider;
  let fault: FaultProvider;
  let h: RefreshHarness;

  beforeAll(async () => {
    oauth = await startLocalOAuthProvider({ clients: [{ ...CLIENT, auth: 'client_secret_basic' }] });
    fault = await startFaultProvider({ graceSeconds: 1800 });
    h = await createRefreshHarness([
      { id: 'local', name: 'Local OAuth', tokenUrl: oauth.tokenUrl, ...CLIENT, rotatesRefreshTokens: true },
      // A Xero-like provider: rotated refresh tokens stay valid for a grace period.
      { id: 'graceful', name: 'Graceful', tokenUrl: fault.tokenUrl, ...CLIENT, rotatesRefreshTokens: true, refreshGraceSeconds: 1800 },
    ]);
  });
  afterAll(async () => {
    await h?.close();
    await oauth?.close();
    await fault?.close();
  });

  /**
   * A database that "crashes" when the result is about to be recorded: the write is refused
   * (as a dying worker's statement would never land), so nothing of it lands and the pass
   * gives the row up, exactly where a killed process would leave it.
   */
  function crashingDb(db: Db): Db {
    return {
      ...db,
      engine: db.engine,
      get roundTrips() {
        return db.roundTrips;
      },
      query: async (text, params) => {
        if (text.includes('record_refresh_result')) throw Object.assign(new Error('worker killed before commit'), { code: 'P0001' });
        return db.query(text, params);
      },
      transaction: (fn) => db.transaction(fn),
      exec: (sql) => db.exec(sql),
      close: () => db.close(),
    } as Db;
  }

  async function crashThenRetry(id: string) {
    // The write fails: nothing of it lands, the pass goes on and says so, the lease stays.
    const crashed = await h.pass({ integrationId: id }, { db: crashingDb(h.t.db) });
    expect(crashed).toMatchObject({ claimed: 1, refreshed: 0, writeFailures: 1 });
    expect((await h.row(id)).token_version).toBe(1);
    const leased = await h.row(id);
    expect(leased.lease_expires_at).not.toBeNull();
    // Before the lease expires nobody takes it again.
    expect((await h.pass({ integrationId: id })).claimed).toBe(0);
    // Two minutes later: the lease has run out on the database's clock, which leases use.
    await h.t.db.query(`update public.integrations set lease_expires_at = now() - interval '1 second' where id = $1`, [id]);
    const later = new Date(Date.now() + 130_000);
    return h.pass({ integrationId: id }, { now: () => later });
  }

  it('survives where the provider accepts the old refresh token within its grace period', async () => {
    fault.rotating.seed('graceful-refresh-1');
    const id = await h.seed({ provider: 'graceful', refreshToken: 'graceful-refresh-1', expiresIn: 60 });
    const summary = await crashThenRetry(id);
    expect(summary).toMatchObject({ claimed: 1, refreshed: 1 });
    expect((await h.row(id)).status).toBe('connected');
    expect(fault.rotating.reuseCount()).toBeGreaterThanOrEqual(1);
  });

  it('reports a token lost in flight where the provider does not allow reuse', async () => {
    const minted = await oauth.mintTokens({ accountId: 'crash', clientId: CLIENT.clientId });
    const id = await h.seed({ provider: 'local', accessToken: minted.accessToken, refreshToken: minted.refreshToken, expiresIn: 60 });
    const summary = await crashThenRetry(id);
    expect(summary).toMatchObject({ claimed: 1, authFailures: 1, disconnected: 1 });
    const row = await h.row(id);
    expect(row.status).toBe('needs_reauthorization');
    expect(row.last_error_code).toBe('refresh_token_lost_in_flight');
    expect(row.disconnect_reason).toMatch(/lost in flight/);
  });

  it('reports a revoked grant as invalid_grant, not lost in flight, when the crashed attempt never reached the provider', async () => {
    const minted = await oauth.mintTokens({ accountId: 'crash-before-call', clientId: CLIENT.clientId });
    const id = await h.seed({ provider: 'local', accessToken: minted.accessToken, refreshToken: minted.refreshToken, expiresIn: 60 });
    // A pass claims the row and dies before its provider call (the claim is all it wrote).
    const [claimed] = await claimDue(h.t.db, { owner: 'run_crashed', now: new Date(), limit: 1, leaseSeconds: 120, thresholdMinutes: 10, integrationId: id });
    expect(claimed?.id).toBe(id);
    const before = oauth.stats();
    // Meanwhile the user revokes access at the provider; later the lease runs out.
    await oauth.revokeGrant(minted.grantId);
    await h.t.db.query(`update public.integrations set lease_expires_at = now() - interval '1 second' where id = $1`, [id]);

    const summary = await h.pass({ integrationId: id }, { now: () => new Date(Date.now() + 130_000) });

    expect(summary).toMatchObject({ claimed: 1, authFailures: 1, disconnected: 1 });
    expect(oauth.stats().refreshErrors - before.refreshErrors).toBe(1);
    const row = await h.row(id);
    expect(row.status).toBe('needs_reauthorization');
    expect(row.last_error_code).toBe('invalid_grant');
    expect(row.disconnect_reason).not.toMatch(/lost in flight/);
    expect(row.disconnect_reason).toMatch(/revoked or expired/);
  });
});

describe('getValidAccessToken', () => {
  let oauth: LocalOAuthProvider;
  let h: RefreshHarness;

  beforeAll(async () => {
    oauth = await startLocalOAuthProvider({ clients: [{ ...CLIENT, auth: 'client_secret_basic' }] });
    h = await createRefreshHarness([{ id: 'local', name: 'Local OAuth', tokenUrl: oauth.tokenUrl, ...CLIENT, rotatesRefreshTokens: true }]);
  });
  afterAll(async () => {
    await h?.close();
    await oauth?.close();
  });

  it('returns the stored token without calling the provider while it is valid long enough', async () => {
    const minted = await oauth.mintTokens({ accountId: 'fresh', clientId: CLIENT.clientId });
    const id = await h.seed({ provider: 'local', accessToken: minted.accessToken, refreshToken: minted.refreshToken, expiresIn: 3600 });
    const before = oauth.stats().refreshSuccess;
    await expect(getValidAccessTokenWith(h.deps(), id, { minValiditySeconds: 60 })).resolves.toBe(minted.accessToken);
    expect(oauth.stats().refreshSuccess).toBe(before);
  });

  it('refreshes on demand when the token would not last, logged as on_demand', async () => {
    const minted = await oauth.mintTokens({ accountId: 'stale', clientId: CLIENT.clientId });
    const id = await h.seed({ provider: 'local', accessToken: minted.accessToken, refreshToken: minted.refreshToken, expiresIn: 30 });
    const token = await getValidAccessTokenWith(h.deps(), id, { minValiditySeconds: 60 });
    expect(token).not.toBe(minted.accessToken);
    expect(token).toBe((await h.tokens(id)).accessToken);
    const logs = await h.t.db.query(`select trigger, outcome from public.token_refresh_logs where integration_id = $1`, [id]);
    expect(logs).toEqual([{ trigger: 'on_demand', outcome: 'refreshed' }]);
  });

  it('cannot be driven into a refresh loop by asking for more validity than a token ever has', async () => {
    const minted = await oauth.mintTokens({ accountId: 'greedy', clientId: CLIENT.clientId });
    const id = await h.seed({ provider: 'local', accessToken: minted.accessToken, refreshToken: minted.refreshToken, expiresIn: 30 });
    const before = oauth.stats().refreshSuccess;
    const tokens: string[] = [];
    // Two hours of validity from a provider whose tokens live five minutes, ten times over.
    for (let i = 0; i < 10; i += 1) tokens.push(await getValidAccessTokenWith(h.deps(), id, { minValiditySeconds: 7200 }));
    expect(oauth.stats().refreshSuccess - before).toBe(1);
    expect(new Set(tokens).size).toBe(1);
    expect(tokens[0]).toBe((await h.tokens(id)).accessToken);
  });

  it('hands out a token refreshed within the last minute as it is', async () => {
    const minted = await oauth.mintTokens({ accountId: 'recent', clientId: CLIENT.clientId });
    const id = await h.seed({ provider: 'local', accessToken: minted.accessToken, refreshToken: minted.refreshToken, expiresIn: 45 });
    await h.t.db.query(`update public.integrations set last_refreshed_at = now() - interval '55 seconds' where id = $1`, [id]);
    const before = oauth.stats().refreshSuccess;
    await expect(getValidAccessTokenWith(h.deps(), id, { minValiditySeconds: 60 })).resolves.toBe(minted.accessToken);
    expect(oauth.stats().refreshSuccess - before).toBe(0);
  });

  it('throws a typed error saying the user must reconnect when the grant is dead', async () => {
    const minted = await oauth.mintTokens({ accountId: 'dead', clientId: CLIENT.clientId });
    const id = await h.seed({ provider: 'local', accessToken: minted.accessToken, refreshToken: minted.refreshToken, expiresIn: 10 });
    await oauth.revokeGrant(minted.grantId);
    const failure = await getValidAccessTokenWith(h.deps(), id).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(TokenUnavailableError);
    expect(failure).toMatchObject({ reason: 'needs_reauthorization', reconnectRequired: true });
    const again = await getValidAccessTokenWith(h.deps(), id).catch((error: unknown) => error);
    expect(again).toMatchObject({ reason: 'needs_reauthorization', reconnectRequired: true });
  });

  it('says a configuration problem is not the user’s to fix', async () => {
    const id = await h.seed({ provider: 'zoom', expiresIn: 10 }); // no zoom credentials configured
    const failure = await getValidAccessTokenWith(h.deps(), id).catch((error: unknown) => error);
    expect(failure).toMatchObject({ reason: 'configuration', reconnectRequired: false, errorCode: 'missing_client_credentials' });
  });

  it('refuses an unknown integration', async () => {
    await expect(getValidAccessTokenWith(h.deps(), '00000000-0000-4000-8000-000000000000')).rejects.toMatchObject({ reason: 'not_found' });
    await expect(getValidAccessTokenWith(h.deps(), 'nope')).rejects.toMatchObject({ reason: 'not_found' });
  });
});
