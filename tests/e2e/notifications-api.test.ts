import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import request from 'supertest';
import { createTestDatabase, type TestDatabase } from '../support/database';
import { ensureBuild, freePort, startNext, type RunningServer, supabaseServerEnv } from '../support/next-server';
import { insertIntegration, insertOrganization, insertUser, testKeyRing } from '../support/fixtures';
import { startSupabaseAuthMock, supabaseSessionCookie, type MockSupabaseAuth } from '../support/supabase-auth-mock';

/** The notifications API over real HTTP, signed in through Supabase Auth (mocked at its HTTP API). */
describe('notifications API (next start, Supabase Auth)', () => {
  let t: TestDatabase;
  let server: RunningServer;
  let auth: MockSupabaseAuth;
  let alice: { id: string; email: string };
  let bob: { id: string; email: string };
  let carol: { id: string; email: string };
  let dave: { id: string; email: string };
  let bobNote: string;
  let aliceOrg: string;
  let bobOrg: string;
  // A legacy (HS256) project's access token: Supabase Auth itself verifies it.
  let aliceToken: string;

  beforeAll(async () => {
    ensureBuild();
    t = await createTestDatabase();
    auth = await startSupabaseAuthMock();
    alice = { id: await insertUser(t.db, 'alice@example.com'), email: 'alice@example.com' };
    bob = { id: await insertUser(t.db, 'bob@example.com'), email: 'bob@example.com' };
    aliceToken = auth.accessToken(alice, { alg: 'HS256' });
    // Operators: Alice is listed but never confirmed her address; Carol confirmed hers (listed
    // in other letter case); Dave's is unconfirmed but app_metadata vouches for him; Bob is not listed.
    carol = { id: await insertUser(t.db, 'carol@example.com'), email: 'carol@example.com' };
    dave = { id: await insertUser(t.db, 'dave@example.com'), email: 'dave@example.com' };
    await t.db.query(`update auth.users set email_confirmed_at = now() where id in ($1, $2)`, [carol.id, bob.id]);
    await t.db.query(`update auth.users set raw_app_meta_data = '{"tokenwarden_role": "operator"}' where id = $1`, [dave.id]);
    const ring = testKeyRing();
    const integration = await insertIntegration(t.db, ring, { userId: alice.id, provider: 'google' });
    const bobIntegration = await insertIntegration(t.db, ring, { userId: bob.id, provider: 'slack' });
    // 25 notifications for Alice, 5 of them read, created a minute apart.
    for (let i = 0; i < 25; i += 1) {
      await t.db.query(
        `insert into public.notifications (user_id, integration_id, type, severity, title, message, metadata, is_read, created_at)
         values ($1, $2, 'integration_warning', 'warning', $3, 'We''re having trouble connecting to Google. Please check your connection.',
                 '{"provider":"google"}', $4, now() - make_interval(mins => $5::int))`,
        [alice.id, integration, `note ${i}`, i < 5, i],
      );
    }
    const [note] = await t.db.query<{ id: string }>(
      `insert into public.notifications (user_id, integration_id, type, severity, title, message, metadata)
       values ($1, $2, 'integration_disconnected', 'error', 'Slack disconnected', 'Slack disconnected.', '{"provider":"slack"}') returning id`,
      [bob.id, bobIntegration],
    );
    bobNote = note!.id;
    aliceOrg = await insertOrganization(t.db, 'Alice Org', [{ userId: alice.id, role: 'member' }]);
    bobOrg = await insertOrganization(t.db, 'Bob Org', [{ userId: bob.id, role: 'owner' }]);
    // A long-lived Facebook token (no refresh token) ending in 30 hours: urgent.
    await insertIntegration(t.db, ring, {
      userId: alice.id,
      provider: 'facebook',
      organizationId: aliceOrg,
      refreshToken: null,
      expiresAt: new Date(Date.now() + 30 * 3_600_000),
    });
    server = await startNext(supabaseServerEnv({ databaseUrl: t.url ?? undefined, auth }, { OPERATOR_EMAILS: 'alice@example.com, Carol@Example.com, dave@example.com' }), await freePort());
  }, 240_000);

  afterAll(async () => {
    await server?.stop();
    await auth?.close();
    await t?.drop();
  });

  const asAlice = (method: 'get' | 'post', path: string) => request(server.url)[method](path).set('Authorization', `Bearer ${aliceToken}`);

  it('refuses requests without a valid Supabase session', async () => {
    expect((await request(server.url).get('/api/notifications')).status).toBe(401);
    const forged = await request(server.url).get('/api/notifications').set('Authorization', 'Bearer not-a-real-token');
    expect(forged.status).toBe(401);
    expect(forged.body).toEqual({ error: 'Unauthorized', message: 'Sign in first' });
  });

  it("lists the signed-in user's notifications, unread first, newest first, with counts and pages", async () => {
    const first = await asAlice('get', '/api/notifications?limit=10');
    expect(first.status).toBe(200);
    expect(first.body).toMatchObject({ unread_count: 20, total_count: 25, limit: 10, offset: 0, next_offset: 10 });
    expect(first.body.notifications.map((n: { title: string }) => n.title)).toEqual(
      Array.from({ length: 10 }, (_, i) => `note ${i + 5}`),
    );
    expect(first.body.notifications.every((n: { metadata: { provider: string } }) => n.metadata.provider === 'google')).toBe(true);
    const last = await asAlice('get', '/api/notifications?limit=10&offset=20');
    expect(last.body.notifications.map((n: { is_read: boolean }) => n.is_read)).toEqual([true, true, true, true, true]);
    expect(last.body.next_offset).toBeNull();
    expect(JSON.stringify(first.body)).not.toContain(bobNote);
  });

  it('answers 400 naming the field for bad paging input', async () => {
    const response = await asAlice('get', '/api/notifications?limit=1000');
    expect(response.status).toBe(400);
    expect(response.body).toMatchObject({ error: 'Invalid input', field: 'limit' });
  });

  it("marks one read, but cannot touch another user's notification", async () => {
    const list = await asAlice('get', '/api/notifications?limit=1');
    const id = list.body.notifications[0].id as string;
    const marked = await asAlice('post', `/api/notifications/${id}/read`);
    expect(marked.status).toBe(200);
    expect(marked.body).toEqual({ ok: true, id, is_read: true });
    expect((await asAlice('get', '/api/notifications?limit=1')).body.unread_count).toBe(19);
    const foreign = await asAlice('post', `/api/notifications/${bobNote}/read`);
    expect(foreign.status).toBe(404);
    const [bobs] = await t.db.query<{ is_read: boolean }>(`select is_read from public.notifications where id = $1`, [bobNote]);
    expect(bobs!.is_read).toBe(false);
    expect((await asAlice('post', '/api/notifications/not-a-uuid/read')).status).toBe(400);
  });

  it('refuses a cookie-session mutation from another site, and accepts it from the app itself', async () => {
    const cookie = supabaseSessionCookie(auth.url, { ...auth.session(alice), access_token: aliceToken });
    const crossSite = await request(server.url).post('/api/notifications/read-all').set('Cookie', cookie).set('Origin', 'https://evil.example');
    expect(crossSite.status).toBe(403);
    const noOrigin = await request(server.url).post('/api/notifications/read-all').set('Cookie', cookie);
    expect(noOrigin.status).toBe(403);
    const sameSite = await request(server.url).post('/api/notifications/read-all').set('Cookie', cookie).set('Origin', server.url);
    expect(sameSite.status).toBe(200);
    expect(sameSite.body).toEqual({ ok: true, updated: 19 });
    expect((await asAlice('get', '/api/notifications')).body.unread_count).toBe(0);
  });

  it("lists an organization's expiring tokens to its members only", async () => {
    const response = await asAlice('get', `/api/dashboard/${aliceOrg}/integrations/expiring-tokens?days=7`);
    expect(response.status).toBe(200);
    expect(response.body).toMatchObject({ total_count: 1, critical_count: 0, urgent_count: 1, warning_count: 0 });
    expect(response.body.expiring_tokens[0]).toMatchObject({
      platform: 'facebook',
      platform_name: 'Facebook',
      severity: 'urgent',
      has_refresh_token: false,
      days_until_expiry: 1,
    });
    expect(JSON.stringify(response.body)).not.toMatch(/tw1\./);
    expect((await asAlice('get', `/api/dashboard/${bobOrg}/integrations/expiring-tokens`)).status).toBe(404);
    const bad = await asAlice('get', `/api/dashboard/${aliceOrg}/integrations/expiring-tokens?days=0`);
    expect(bad.status).toBe(400);
    expect(bad.body).toMatchObject({ field: 'days' });
    expect((await request(server.url).get(`/api/dashboard/${aliceOrg}/integrations/expiring-tokens`)).status).toBe(401);
  });

  it('keeps a Supabase session near expiry through ten dashboard renders without spending its refresh token', async () => {
    // 60 s left: inside the margin in which a supabase-js session client refreshes.
    const session = auth.session(alice, { expiresInSeconds: 60 });
    const cookie = supabaseSessionCookie(auth.url, session);
    for (let render = 0; render < 10; render += 1) {
      const page = await request(server.url).get('/').set('Cookie', cookie).redirects(0);
      expect(page.status).toBe(200);
      expect(page.text).toContain('Signed in as <!-- -->alice@example.com');
      expect(page.headers['set-cookie']).toBeUndefined();
    }
    expect(auth.refreshes()).toEqual([]);
    expect(auth.spent(session.refresh_token)).toBe(false);
    // ES256: verified against the published key, not by a call to Supabase Auth per render.
    expect(auth.requests.filter((r) => r.authorization === `Bearer ${session.access_token}`)).toEqual([]);
    // The host app still holds a working session: its refresh token has never been used.
    const refreshed = await fetch(`${auth.url}/auth/v1/token?grant_type=refresh_token`, {
      method: 'POST',
      headers: { apikey: auth.anonKey, 'content-type': 'application/json' },
      body: JSON.stringify({ refresh_token: session.refresh_token }),
    });
    expect(refreshed.status).toBe(200);
  });

  it('treats an expired Supabase session as signed out instead of refreshing it', async () => {
    const session = auth.session(alice, { expiresInSeconds: -5 });
    const page = await request(server.url).get('/').set('Cookie', supabaseSessionCookie(auth.url, session)).redirects(0);
    expect(page.status).toBe(307);
    expect(page.headers.location).toMatch(/\/sign-in$/);
    expect(auth.spent(session.refresh_token)).toBe(false);
  });

  it('shows the operator page only to listed operators with a verified address: an unconfirmed one gets 404', async () => {
    const admin = (token: string) => request(server.url).get('/admin').set('Authorization', `Bearer ${token}`).redirects(0);
    expect((await admin(aliceToken)).status).toBe(404);
    const confirmed = await admin(auth.accessToken(carol));
    expect(confirmed.status).toBe(200);
    expect(confirmed.text).toContain('Operator alerts');
    expect((await admin(auth.accessToken(dave))).status).toBe(200);
    expect((await admin(auth.accessToken(bob))).status).toBe(404);
  });

  it('sends the access token only to Supabase Auth, with the anon key', async () => {
    const call = auth.requests.find((r) => r.authorization === `Bearer ${aliceToken}`);
    expect(call).toMatchObject({ path: '/auth/v1/user', apikey: auth.anonKey });
  });
});
