import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../support/database';
import { insertIntegration, insertUser, testKeyRing } from '../support/fixtures';
import { asUser } from '../../lib/db/user-context';
import { BANNER_COUNT_CAP, listBannerIntegrations } from '../../lib/db/integrations';

/**
 * The banners' read (lib/db/integrations.ts listBannerIntegrations, as the user, RLS on): dead
 * connections, connections still `connected` whose end has passed and that nothing can renew
 * (the red "Expired" of lib/owed/health.ts), and retrying ones, in that order; the total is
 * counted only up to a cap.
 */
describe('banner connections', () => {
  let t: TestDatabase;
  let alice: string;
  const ids: Record<string, string> = {};
  const hourAgo = new Date(Date.now() - 3600_000);
  // The providers the 5-minute refresh renews with a refresh token (facebook exchanges instead).
  const renewing = ['google', 'slack'];

  beforeAll(async () => {
    t = await createTestDatabase();
    const ring = testKeyRing();
    alice = await insertUser(t.db, 'alice-banners@example.com');
    const bob = await insertUser(t.db, 'bob-banners@example.com');
    ids.healthy = await insertIntegration(t.db, ring, { userId: alice, provider: 'google' });
    ids.refreshEnded = await insertIntegration(t.db, ring, { userId: alice, provider: 'google' });
    await t.db.query(`update public.integrations set refresh_token_expires_at = now() - interval '1 minute' where id = $1`, [ids.refreshEnded]);
    ids.noRefreshToken = await insertIntegration(t.db, ring, { userId: alice, provider: 'google', expiresAt: hourAgo, refreshToken: null });
    ids.renewedSoon = await insertIntegration(t.db, ring, { userId: alice, provider: 'google', expiresAt: hourAgo });
    ids.exchangeEnded = await insertIntegration(t.db, ring, { userId: alice, provider: 'facebook', expiresAt: hourAgo });
    ids.dead = await insertIntegration(t.db, ring, { userId: alice, provider: 'slack' });
    await t.db.query(`update public.integrations set status = 'needs_reauthorization', disconnect_reason = 'revoked' where id = $1`, [ids.dead]);
    ids.retrying = await insertIntegration(t.db, ring, { userId: alice, provider: 'slack' });
    await t.db.query(`update public.integrations set consecutive_transient_failures = 1, last_failure_at = now() where id = $1`, [ids.retrying]);
    ids.bobs = await insertIntegration(t.db, ring, { userId: bob, provider: 'google', expiresAt: hourAgo, refreshToken: null });
  });

  afterAll(async () => {
    await t?.drop();
  });

  it('lists dead, then ended (nothing renews them), then retrying connections, only the visible ones', async () => {
    const { integrations, total } = await asUser(t.db, alice, (tx) => listBannerIntegrations(tx, { limit: 10, renewingProviders: renewing }));
    const kinds = integrations.map((row) => [row.id, row.expired] as const);
    expect(kinds[0]).toEqual([ids.dead, false]);
    expect(new Set(kinds.slice(1, 4).map(([id]) => id))).toEqual(new Set([ids.refreshEnded, ids.noRefreshToken, ids.exchangeEnded]));
    expect(kinds.slice(1, 4).every(([, expired]) => expired)).toBe(true);
    expect(kinds[4]).toEqual([ids.retrying, false]);
    expect(integrations).toHaveLength(5);
    expect(total).toBe(5);
    const shown = integrations.map((row) => row.id);
    expect(shown).not.toContain(ids.healthy);
    expect(shown).not.toContain(ids.renewedSoon); // the cron renews it: not ended
    expect(shown).not.toContain(ids.bobs);
  });

  it('answers the total beyond the limit', async () => {
    const { integrations, total } = await asUser(t.db, alice, (tx) => listBannerIntegrations(tx, { limit: 2, renewingProviders: renewing }));
    expect(integrations).toHaveLength(2);
    expect(total).toBe(5);
  });

  it('counts no further than the cap', async () => {
    const crowd = await insertUser(t.db, 'crowd-banners@example.com');
    await t.db.query(
      `insert into public.integrations (user_id, provider, status, account_label, access_token_encrypted, token_key_id)
       select $1, 'google', 'needs_reauthorization', 'crowd ' || g, 'sealed', 'k1' from generate_series(1, $2::int) g`,
      [crowd, BANNER_COUNT_CAP + 5],
    );
    const { integrations, total } = await asUser(t.db, crowd, (tx) => listBannerIntegrations(tx, { limit: 3, renewingProviders: renewing }));
    expect(integrations).toHaveLength(3);
    expect(BANNER_COUNT_CAP).toBe(1_000);
    expect(total).toBe(BANNER_COUNT_CAP + 1);
  });
});
