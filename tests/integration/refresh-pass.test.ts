import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLocalOAuthProvider, type LocalOAuthProvider } from '../../lib/demo/local-oauth-provider';
import { createRefreshHarness, type RefreshHarness } from '../support/refresh-harness';
import { startFaultProvider, type FaultProvider } from '../support/fault-provider';

describe('a refresh pass against a real OAuth server (oidc-provider, rotating refresh tokens)', () => {
  let oauth: LocalOAuthProvider;
  let h: RefreshHarness;

  beforeAll(async () => {
    oauth = await startLocalOAuthProvider({
      accessTokenTtlSeconds: 300,
      clients: [{ clientId: 'tw-test', clientSecret: 'tw-test-secret', auth: 'client_secret_basic' }],
    });
    h = await createRefreshHarness([
      { id: 'local', name: 'Local OAuth', tokenUrl: oauth.tokenUrl, clientId: 'tw-test', clientSecret: 'tw-test-secret', rotatesRefreshTokens: true },
    ]);
  });
  afterAll(async () => {
    await h?.close();
    await oauth?.close();
  });

  it('refreshes a due connection, stores the rotated refresh token and the new expiry', async () => {
    const minted = await oauth.mintTokens({ accountId: 'alice', clientId: 'tw-test' });
    const id = await h.seed({ provider: 'local', accessToken: minted.accessToken, refreshToken: minted.refreshToken, expiresIn: 120 });
    const before = await h.row(id);
    const summary = await h.pass({ integrationId: id });
    expect(summary).toMatchObject({ ok: true, claimed: 1, refreshed: 1, transientFailures: 0, authFailures: 0 });
    expect(summary.results).toEqual([expect.objectContaining({ integrationId: id, provider: 'local', outcome: 'refreshed', attempts: 1 })]);
    const after = await h.row(id);
    const tokens = await h.tokens(id);
    expect(tokens.refreshToken).not.toBe(minted.refreshToken);
    expect(tokens.accessToken).not.toBe(minted.accessToken);
    expect(after.token_version).toBe(before.token_version + 1);
    expect(after.status).toBe('connected');
    expect(after.lease_expires_at).toBeNull();
    const lifetime = (after.expires_at!.getTime() - after.last_refreshed_at!.getTime()) / 1000;
    expect(lifetime).toBeGreaterThan(290);
    expect(lifetime).toBeLessThanOrEqual(300);
    expect(after.refresh_due_at!.getTime()).toBeLessThan(after.expires_at!.getTime());
    const logs = await h.t.db.query(`select provider, trigger, outcome, attempts from public.token_refresh_logs where integration_id = $1`, [id]);
    expect(logs).toEqual([{ provider: 'local', trigger: 'cron', outcome: 'refreshed', attempts: 1 }]);
    expect(JSON.stringify(summary)).not.toContain(tokens.accessToken);
  });

  it('leaves connections that are not due alone, and refreshes them with force', async () => {
    const minted = await oauth.mintTokens({ accountId: 'bob', clientId: 'tw-test' });
    const id = await h.seed({ provider: 'local', accessToken: minted.accessToken, refreshToken: minted.refreshToken, expiresIn: 3600 });
    const lazy = await h.pass({ integrationId: id });
    expect(lazy.claimed).toBe(0);
    const forced = await h.pass({ integrationId: id, force: true, trigger: 'forced' });
    expect(forced).toMatchObject({ claimed: 1, refreshed: 1 });
  });

  it('marks a connection whose grant was revoked as needing reauthorization at once, and tells the user once', async () => {
    const minted = await oauth.mintTokens({ accountId: 'carol', clientId: 'tw-test' });
    const id = await h.seed({ provider: 'local', accessToken: minted.accessToken, refreshToken: minted.refreshToken, expiresIn: 60 });
    await oauth.revokeGrant(minted.grantId);
    const summary = await h.pass({ integrationId: id });
    expect(summary).toMatchObject({ claimed: 1, authFailures: 1, disconnected: 1, notificationsCreated: 1, emailsQueued: 1 });
    const row = await h.row(id);
    expect(row).toMatchObject({ status: 'needs_reauthorization', consecutive_failures: 1, last_error_code: 'invalid_grant' });
    expect(row.disconnect_reason).toMatch(/Local OAuth no longer accepts this connection's refresh token \(invalid_grant\)/);
    const notes = await h.t.db.query<{ type: string; message: string; action_url: string; metadata: { provider: string } }>(
      `select type, message, action_url, metadata from public.notifications where integration_id = $1`,
      [id],
    );
    expect(notes).toHaveLength(1);
    expect(notes[0]).toMatchObject({ type: 'integration_disconnected', action_url: `https://app.example.com/integrations/${id}/reconnect` });
    expect(notes[0]!.message).toMatch(/^Local OAuth disconnected\. Your workflows are paused\. Reconnect now\./);
    expect(notes[0]!.metadata.provider).toBe('local');
    const emails = await h.t.db.query(`select template, status, idempotency_key from public.email_outbox where integration_id = $1`, [id]);
    expect(emails).toEqual([expect.objectContaining({ template: 'integration_disconnected', status: 'pending' })]);
    // Never called again until reconnected.
    const again = await h.pass({ integrationId: id, force: true });
    expect(again.claimed).toBe(0);
  });
});

describe('the per-provider cap', () => {
  let slow: FaultProvider;
  let other: FaultProvider;
  let h: RefreshHarness;
  const client = { clientId: 'tw-test', clientSecret: 'tw-test-secret' };

  beforeAll(async () => {
    slow = await startFaultProvider({ latencyMs: 120 });
    other = await startFaultProvider({ latencyMs: 120 });
    h = await createRefreshHarness([
      { id: 'capped_a', name: 'A', tokenUrl: slow.tokenUrl, ...client },
      { id: 'capped_b', name: 'B', tokenUrl: other.tokenUrl, ...client },
    ]);
  });
  afterAll(async () => {
    await h?.close();
    await slow?.close();
    await other?.close();
  });

  /** A fetch that counts calls in flight per provider, and what was in flight as each started. */
  function countingFetch() {
    const now = { capped_a: 0, capped_b: 0 };
    const max = { capped_a: 0, capped_b: 0 };
    const aInFlightAsBStarted: number[] = [];
    const fetcher: typeof fetch = async (input, init) => {
      const provider = String(input).startsWith(slow.tokenUrl) ? 'capped_a' : 'capped_b';
      if (provider === 'capped_b') aInFlightAsBStarted.push(now.capped_a);
      now[provider] += 1;
      max[provider] = Math.max(max[provider], now[provider]);
      try {
        return await fetch(input, init);
      } finally {
        now[provider] -= 1;
      }
    };
    return { fetcher, max, aInFlightAsBStarted };
  }

  async function seedDue(provider: string, fault: FaultProvider, count: number, expiresIn: number): Promise<void> {
    for (let i = 0; i < count; i += 1) {
      const refreshToken = `${provider}-rt-${i}-${Date.now()}`;
      fault.rotating.seed(refreshToken);
      await h.seed({ provider, refreshToken, expiresIn });
    }
  }

  it('uses every configured slot when only one provider has work waiting', async () => {
    await seedDue('capped_a', slow, 24, 60);
    const counting = countingFetch();
    const summary = await h.pass({ concurrency: 8, providerConcurrency: 4, batchSize: 24 }, { fetch: counting.fetcher });
    expect(summary).toMatchObject({ claimed: 24, refreshed: 24 });
    expect(counting.max.capped_a).toBe(8);
  });

  it('holds a provider to its cap while another provider’s work waits', async () => {
    // A's rows come first in due order; B's wait behind them in the same batch.
    await seedDue('capped_a', slow, 16, 30);
    await seedDue('capped_b', other, 8, 50);
    const counting = countingFetch();
    const summary = await h.pass({ concurrency: 8, providerConcurrency: 4, batchSize: 24 }, { fetch: counting.fetcher });
    expect(summary).toMatchObject({ claimed: 24, refreshed: 24 });
    expect(counting.aInFlightAsBStarted).toHaveLength(8);
    expect(Math.max(...counting.aInFlightAsBStarted)).toBeLessThanOrEqual(4);
  });
});
