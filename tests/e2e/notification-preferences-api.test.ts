import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import request from 'supertest';
import { createTestDatabase, type TestDatabase } from '../support/database';
import { ensureBuild, freePort, startNext, type RunningServer, supabaseServerEnv } from '../support/next-server';
import { insertUser } from '../support/fixtures';
import { startSupabaseAuthMock, type MockSupabaseAuth } from '../support/supabase-auth-mock';

/** GET/POST /api/notification-preferences over real HTTP (docs/contracts.md §3), signed in through Supabase Auth (mocked at its HTTP API). */
describe('notification preferences API (next start, Supabase Auth)', () => {
  let t: TestDatabase;
  let server: RunningServer;
  let auth: MockSupabaseAuth;
  let aliceToken: string;
  let bobToken: string;

  beforeAll(async () => {
    ensureBuild();
    t = await createTestDatabase();
    auth = await startSupabaseAuthMock();
    const alice = { id: await insertUser(t.db, 'alice@example.com'), email: 'alice@example.com' };
    const bob = { id: await insertUser(t.db, 'bob@example.com'), email: 'bob@example.com' };
    aliceToken = auth.accessToken(alice, { alg: 'HS256' });
    bobToken = auth.accessToken(bob, { alg: 'HS256' });
    server = await startNext(supabaseServerEnv({ databaseUrl: t.url ?? undefined, auth }), await freePort());
  }, 240_000);

  afterAll(async () => {
    await server?.stop();
    await auth?.close();
    await t?.drop();
  });

  const as = (token: string, method: 'get' | 'post') =>
    request(server.url)[method]('/api/notification-preferences').set('Authorization', `Bearer ${token}`);

  it('refuses a request without a session', async () => {
    expect((await request(server.url).get('/api/notification-preferences')).status).toBe(401);
  });

  it('answers the §5 defaults, saves all three choices, and keeps them per person', async () => {
    const defaults = await as(aliceToken, 'get');
    expect(defaults.status).toBe(200);
    expect(defaults.body).toEqual({ preferences: { email_disconnections: true, email_expiring: true, email_auth_warning: false } });
    const chosen = { email_disconnections: false, email_expiring: true, email_auth_warning: true };
    const saved = await as(aliceToken, 'post').send(chosen);
    expect(saved.status).toBe(200);
    expect(saved.body).toEqual({ ok: true, preferences: chosen });
    expect((await as(aliceToken, 'get')).body).toEqual({ preferences: chosen });
    expect((await as(bobToken, 'get')).body).toEqual({ preferences: { email_disconnections: true, email_expiring: true, email_auth_warning: false } });
  });

  it('answers 400 naming the field for a missing, mistyped or unknown field', async () => {
    const missing = await as(aliceToken, 'post').send({ email_disconnections: true, email_expiring: true });
    expect(missing.status).toBe(400);
    expect(missing.body).toMatchObject({ error: 'Invalid input', field: 'email_auth_warning' });
    const mistyped = await as(aliceToken, 'post').send({ email_disconnections: 'no', email_expiring: true, email_auth_warning: false });
    expect(mistyped.status).toBe(400);
    expect(mistyped.body).toMatchObject({ field: 'email_disconnections' });
    const unknown = await as(aliceToken, 'post').send({ email_disconnections: true, email_expiring: true, email_auth_warning: false, user_id: 'x' });
    expect(unknown.status).toBe(400);
  });
});
