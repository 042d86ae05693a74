import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import request from 'supertest';
import { createTestDatabase, type TestDatabase } from '../support/database';
import { ensureBuild, freePort, startNext, type RunningServer, supabaseServerEnv } from '../support/next-server';
import { insertIntegration, insertUser, testKeyRing } from '../support/fixtures';
import { startSupabaseAuthMock, type MockSupabaseAuth, type MockUser } from '../support/supabase-auth-mock';

/**
 * What the dashboard's pages say over real HTTP (next start, Supabase Auth mocked at its HTTP
 * API): the banner of a connection that has ended but is still marked connected; the banners'
 * capped count; a bad list filter named, not dropped; the connection page's status words.
 */
describe('dashboard pages (next start)', () => {
  let t: TestDatabase;
  let server: RunningServer;
  let auth: MockSupabaseAuth;
  let member: MockUser;
  let ended: string;
  let crowd: MockUser;
  const bearer = (who: MockUser) => `Bearer ${auth.accessToken(who)}`;

  beforeAll(async () => {
    ensureBuild();
    t = await createTestDatabase();
    auth = await startSupabaseAuthMock();
    member = { id: await insertUser(t.db, 'member-pages@example.com'), email: 'member-pages@example.com' };
    const ring = testKeyRing();
    await insertIntegration(t.db, ring, { userId: member.id, provider: 'google' });
    // Still `connected`, but its refresh token ended a minute ago: nothing can renew it.
    ended = await insertIntegration(t.db, ring, { userId: member.id, provider: 'slack' });
    await t.db.query(`update public.integrations set refresh_token_expires_at = now() - interval '1 minute' where id = $1`, [ended]);
    // More dead connections than the banners count: the count stops at its cap.
    crowd = { id: await insertUser(t.db, 'crowd-pages@example.com'), email: 'crowd-pages@example.com' };
    await t.db.query(
      `insert into public.integrations (user_id, provider, status, account_label, access_token_encrypted, token_key_id)
       select $1, 'google', 'needs_reauthorization', 'crowd ' || g, 'sealed', 'k1' from generate_series(1, 1005) g`,
      [crowd.id],
    );
    server = await startNext(supabaseServerEnv({ databaseUrl: t.url ?? undefined, auth }), await freePort());
  }, 240_000);

  afterAll(async () => {
    await server?.stop();
    await auth?.close();
    await t?.drop();
  });

  it('carries a banner for a connection that has ended though still marked connected', async () => {
    const page = await request(server.url).get('/notifications').set('Authorization', bearer(member));
    expect(page.status).toBe(200);
    expect(page.text).toContain(`data-banner="${ended}:expired"`);
    expect(page.text).toContain('Slack connection expired');
    expect(page.text).toContain(`/connect/slack?integration=${ended}`);
  });

  it('counts the banners only up to the cap and says so', async () => {
    const page = await request(server.url).get('/notifications').set('Authorization', bearer(crowd));
    expect(page.status).toBe(200);
    expect(page.text.match(/data-banner="[^"]+:dead"/g)).toHaveLength(3);
    expect(page.text).toContain('1,000+ connections with problems in all');
    const few = await request(server.url).get('/notifications').set('Authorization', bearer(member));
    expect(few.text).not.toContain('with problems');
  });

  it('names a bad dashboard filter in an alert and lists nothing as if it were filtered', async () => {
    const bogus = await request(server.url).get('/?status=bogus').set('Authorization', bearer(member));
    expect(bogus.status).toBe(200);
    expect(bogus.text).toContain('role="alert"');
    expect(bogus.text).toContain('Status must be one of');
    expect(bogus.text).not.toContain('data-integration-id=');
    const provider = await request(server.url).get('/?provider=Not%20A%20Provider').set('Authorization', bearer(member));
    expect(provider.text).toContain('Provider must be a provider id');
    expect(provider.text).not.toContain('data-integration-id=');
    const scope = await request(server.url).get('/?scope=everything').set('Authorization', bearer(member));
    expect(scope.text).toContain('Show must be');
    expect(scope.text).not.toContain('data-integration-id=');
    const stranger = await request(server.url).get(`/?scope=${'0'.repeat(8)}-0000-4000-8000-${'0'.repeat(12)}`).set('Authorization', bearer(member));
    expect(stranger.text).toContain('You are not a member of that organization');
    expect(stranger.text).not.toContain('data-integration-id=');
    const good = await request(server.url).get('/?status=connected&provider=slack').set('Authorization', bearer(member));
    expect(good.text).not.toContain('were not applied');
    expect(good.text).toContain(`data-integration-id="${ended}"`);
  });

  it("says in the connection page's status words what the health badge says", async () => {
    const page = await request(server.url).get(`/integrations/${ended}`).set('Authorization', bearer(member));
    expect(page.status).toBe(200);
    expect(page.text).toContain('data-health="red"');
    const status = /<p data-connection-status="true">([\s\S]*?)<\/p>/.exec(page.text)?.[1] ?? '';
    expect(status).toContain('Not working');
    expect(status).not.toContain('Connected and working.');
    expect(status).toContain('Its access has ended and nothing can renew it');
  });

  it('qualifies the stored status in the list with the health rule (an ended row is not just "connected")', async () => {
    const list = await request(server.url).get('/?status=connected&provider=slack').set('Authorization', bearer(member));
    const start = list.text.indexOf(`data-integration-id="${ended}"`);
    expect(start).toBeGreaterThan(-1);
    const row = list.text.slice(start, list.text.indexOf('</tr>', start));
    expect(row).toContain('data-health="red"');
    expect(row).toContain('connected, expired');
    expect(row).toContain('Its access has ended and nothing can renew it');
  });
});
