import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import request from 'supertest';
import { startLocalOAuthProvider, type LocalOAuthProvider } from '../../lib/demo/local-oauth-provider';
import { KeyRing } from '../../lib/crypto/key-ring';
import { createTestDatabase, type TestDatabase } from '../support/database';
import { ensureBuild, freePort, startNext, type RunningServer, supabaseServerEnv } from '../support/next-server';
import { insertIntegration, insertOrganization, insertUser } from '../support/fixtures';
import { startSupabaseAuthMock, supabaseSessionCookie, type MockSupabaseAuth, type MockUser } from '../support/supabase-auth-mock';

/**
 * POST /api/integrations/{id}/disconnect over real HTTP (next start, Supabase Auth mocked at
 * its HTTP API): who may (docs/contracts.md §3: the connection's user, and its organization's
 * owners, admins and members allowed to manage integrations), 404 for everyone else, the
 * same-origin rule for cookie sessions, and an answer that never holds a token.
 */
describe('disconnect route (next start, Supabase Auth)', () => {
  let t: TestDatabase;
  let server: RunningServer;
  let auth: MockSupabaseAuth;
  let ring: KeyRing;
  let owner: MockUser;
  let stranger: MockUser;
  let plainMember: MockUser;
  let manager: MockUser;
  let soloUser: MockUser;
  let orgId: string;
  let oauth: LocalOAuthProvider;
  const CLIENT = { clientId: 'tw-e2e-disconnect', clientSecret: 'tw-e2e-disconnect-secret' };

  const user = async (email: string): Promise<MockUser> => ({ id: await insertUser(t.db, email), email });
  const bearer = (who: MockUser) => `Bearer ${auth.accessToken(who)}`;
  const path = (id: string) => `/api/integrations/${id}/disconnect`;
  /** An organization connection (Microsoft: no revocation endpoint, so nothing leaves this machine). */
  const orgConnection = (accessToken = `access-${randomBytes(8).toString('hex')}`) =>
    insertIntegration(t.db, ring, { userId: owner.id, organizationId: orgId, provider: 'microsoft', accessToken, refreshToken: `refresh-${randomBytes(8).toString('hex')}` });

  async function row(id: string) {
    const [found] = await t.db.query<{ status: string; access_token_encrypted: string | null; refresh_token_encrypted: string | null; disconnect_reason: string | null }>(
      `select status, access_token_encrypted, refresh_token_encrypted, disconnect_reason from public.integrations where id = $1`,
      [id],
    );
    return found!;
  }

  beforeAll(async () => {
    ensureBuild();
    t = await createTestDatabase();
    auth = await startSupabaseAuthMock();
    const key = randomBytes(32);
    ring = new KeyRing([{ id: 'k1', key }]);
    owner = await user('owner@example.com');
    stranger = await user('stranger@example.com');
    plainMember = await user('member@example.com');
    manager = await user('manager@example.com');
    soloUser = await user('solo@example.com');
    orgId = await insertOrganization(t.db, 'Disconnecting', [
      { userId: owner.id, role: 'owner' },
      { userId: plainMember.id, role: 'member' },
      { userId: manager.id, role: 'member', canManage: true },
    ]);
    await insertOrganization(t.db, 'Elsewhere', [{ userId: stranger.id, role: 'owner' }]);
    // A provider of the providers file with an RFC 7009 endpoint: the real oidc-provider.
    oauth = await startLocalOAuthProvider({ clients: [{ ...CLIENT, auth: 'client_secret_basic' }] });
    const providersFile = join(mkdtempSync(join(tmpdir(), 'tw-disconnect-')), 'providers.json');
    writeFileSync(
      providersFile,
      JSON.stringify({
        providers: [
          { id: 'localoidc', name: 'Local OAuth', tokenUrl: oauth.tokenUrl, revocationUrl: oauth.revocationUrl, ...CLIENT, clientAuth: 'client_secret_basic', rotatesRefreshTokens: true },
        ],
      }),
    );
    server = await startNext(supabaseServerEnv({ databaseUrl: t.url ?? undefined, auth, key }, { TOKENWARDEN_PROVIDERS_FILE: providersFile }), await freePort());
  }, 240_000);

  afterAll(async () => {
    await server?.stop();
    await oauth?.close();
    await auth?.close();
    await t?.drop();
  });

  it('lets the organization owner disconnect: 200, tokens erased, reason names them, no token in the answer', async () => {
    const accessToken = `access-${randomBytes(12).toString('hex')}`;
    const id = await orgConnection(accessToken);
    const response = await request(server.url).post(path(id)).set('Authorization', bearer(owner));
    expect(response.status).toBe(200);
    expect(response.headers['cache-control']).toBe('no-store');
    expect(response.body).toEqual({ ok: true, integration_id: id, status: 'disconnected', revoked: null });
    expect(response.text).not.toContain(accessToken);
    expect(await row(id)).toEqual({ status: 'disconnected', access_token_encrypted: null, refresh_token_encrypted: null, disconnect_reason: 'Disconnected by owner@example.com' });
    const audit = await t.db.query<{ actor: string }>(`select actor from public.audit_log where target_id = $1 and action = 'integration.disconnected'`, [id]);
    expect(audit).toEqual([{ actor: `user:${owner.id}` }]);

    const again = await request(server.url).post(path(id)).set('Authorization', bearer(owner));
    expect(again.status).toBe(200);
    expect(again.body).toEqual({ ok: true, integration_id: id, status: 'disconnected', revoked: null, already_disconnected: true });
  });

  it('answers 404 to a stranger and to a plain member without can_manage_integrations, changing nothing', async () => {
    const id = await orgConnection();
    for (const who of [stranger, plainMember]) {
      const response = await request(server.url).post(path(id)).set('Authorization', bearer(who));
      expect(response.status).toBe(404);
      expect(response.body).toEqual({ error: 'Not found' });
    }
    // The same answer as for a connection that does not exist: existence never leaks.
    const missing = await request(server.url).post(path('00000000-0000-4000-8000-000000000000')).set('Authorization', bearer(stranger));
    expect(missing.status).toBe(404);
    expect(missing.body).toEqual({ error: 'Not found' });
    expect((await row(id)).status).toBe('connected');
    expect((await row(id)).access_token_encrypted).not.toBeNull();
  });

  it('lets a member with can_manage_integrations disconnect', async () => {
    const id = await orgConnection();
    const response = await request(server.url).post(path(id)).set('Authorization', bearer(manager));
    expect(response.status).toBe(200);
    expect(response.body).toMatchObject({ ok: true, status: 'disconnected' });
    expect((await row(id)).disconnect_reason).toBe('Disconnected by manager@example.com');
  });

  it("lets a connection's own user disconnect, and says when the provider's revocation could not happen", async () => {
    // Google has an RFC 7009 endpoint, but this deployment has no Google credentials: recorded, and disconnected all the same.
    const refreshToken = `refresh-${randomBytes(12).toString('hex')}`;
    const id = await insertIntegration(t.db, ring, { userId: soloUser.id, provider: 'google', refreshToken });
    const response = await request(server.url).post(path(id)).set('Authorization', bearer(soloUser));
    expect(response.status).toBe(200);
    expect(response.body).toEqual({ ok: true, integration_id: id, status: 'disconnected', revoked: false, revocation_error: 'missing_client_credentials' });
    expect(response.text).not.toContain(refreshToken);
    expect((await row(id)).refresh_token_encrypted).toBeNull();
  });

  it('refuses a cookie-session POST from another site with 403, and accepts it from the app itself', async () => {
    const id = await orgConnection();
    const cookie = supabaseSessionCookie(auth.url, { ...auth.session(owner), access_token: auth.accessToken(owner) });
    const crossSite = await request(server.url).post(path(id)).set('Cookie', cookie).set('Origin', 'https://evil.example');
    expect(crossSite.status).toBe(403);
    expect((await row(id)).status).toBe('connected');
    const sameSite = await request(server.url).post(path(id)).set('Cookie', cookie).set('Origin', server.url);
    expect(sameSite.status).toBe(200);
    expect((await row(id)).status).toBe('disconnected');
  });

  it('answers 401 without a session and 400 naming the field for an id that is not a uuid', async () => {
    const id = await orgConnection();
    expect((await request(server.url).post(path(id))).status).toBe(401);
    const bad = await request(server.url).post(path('not-a-uuid')).set('Authorization', bearer(owner));
    expect(bad.status).toBe(400);
    expect(bad.body).toMatchObject({ error: 'Invalid input', field: 'id' });
    expect((await row(id)).status).toBe('connected');
  });

  it("revokes the grant at the provider: the old refresh token then answers invalid_grant there", async () => {
    const minted = await oauth.mintTokens({ accountId: 'e2e-user', clientId: CLIENT.clientId });
    const id = await insertIntegration(t.db, ring, { userId: owner.id, organizationId: orgId, provider: 'localoidc', accessToken: minted.accessToken, refreshToken: minted.refreshToken });
    const response = await request(server.url).post(path(id)).set('Authorization', bearer(owner));
    expect(response.status).toBe(200);
    expect(response.body).toEqual({ ok: true, integration_id: id, status: 'disconnected', revoked: true });
    for (const token of [minted.accessToken, minted.refreshToken]) expect(response.text).not.toContain(token);
    const refresh = await fetch(oauth.tokenUrl, {
      method: 'POST',
      headers: {
        authorization: `Basic ${Buffer.from(`${CLIENT.clientId}:${CLIENT.clientSecret}`).toString('base64')}`,
        'content-type': 'application/x-www-form-urlencoded',
      },
      body: new URLSearchParams({ grant_type: 'refresh_token', refresh_token: minted.refreshToken }),
    });
    expect(refresh.status).toBe(400);
    expect(((await refresh.json()) as { error: string }).error).toBe('invalid_grant');
    expect(server.output()).not.toContain(minted.refreshToken);
  });
});
