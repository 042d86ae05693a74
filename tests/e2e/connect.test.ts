import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLocalOAuthProvider, type LocalOAuthProvider } from '../../lib/demo/local-oauth-provider';
import { createTestDatabase, type TestDatabase } from '../support/database';
import { insertOrganization, insertUser } from '../support/fixtures';
import { ensureBuild, freePort, startNext, type RunningServer } from '../support/next-server';
import { authorizeAtLocalProvider } from '../support/oauth-login';

/**
 * Connect and reconnect over real HTTP on `next start`: the local sign-in, `GET /connect/{provider}`,
 * the bundled oidc-provider's login and consent pages, `GET /api/connect/callback`, and the
 * refresh cron afterwards against the same provider. The test is the browser: it keeps the
 * cookies each answer sets and sends them where a browser would.
 */

const CLIENT = { clientId: 'tw-e2e-connect', clientSecret: `e2e-connect-${randomBytes(6).toString('hex')}`, auth: 'client_secret_basic' } as const;

describe('connect over next start', () => {
  let t: TestDatabase;
  let server: RunningServer;
  let oauth: LocalOAuthProvider;
  let dir: string;
  let appUrl: string;
  let orgId: string;
  let aliceId: string;
  const cronSecret = randomBytes(24).toString('hex');
  const secrets = new Set<string>([CLIENT.clientSecret]);
  const bodies: string[] = [];

  beforeAll(async () => {
    ensureBuild();
    t = await createTestDatabase();
    const port = await freePort();
    appUrl = `http://127.0.0.1:${port}`;
    oauth = await startLocalOAuthProvider({ clients: [CLIENT], loginPages: true, redirectUris: [`${appUrl}/api/connect/callback`] });
    dir = mkdtempSync(join(tmpdir(), 'tw-e2e-connect-'));
    const providersFile = join(dir, 'providers.json');
    writeFileSync(
      providersFile,
      JSON.stringify({
        providers: [
          {
            id: 'localoidc',
            name: 'Local OIDC',
            tokenUrl: oauth.tokenUrl,
            authorizationUrl: oauth.authorizationUrl,
            scopes: ['openid', 'email', 'offline_access'],
            rotatesRefreshTokens: true,
            clientId: CLIENT.clientId,
            clientSecret: CLIENT.clientSecret,
            clientAuth: 'client_secret_basic',
          },
        ],
      }),
    );
    aliceId = await insertUser(t.db, 'alice@example.com');
    await insertUser(t.db, 'carol@example.com');
    orgId = await insertOrganization(t.db, 'Acme', [{ userId: aliceId, role: 'owner' }]);
    server = await startNext(
      {
        PATH: process.env.PATH,
        HOME: process.env.HOME,
        NODE_ENV: 'production',
        DATABASE_URL: t.url ?? undefined,
        TOKEN_ENCRYPTION_KEYS: `k1:${randomBytes(32).toString('base64')}`,
        TOKENWARDEN_PROVIDERS_FILE: providersFile,
        TOKENWARDEN_LOCAL_AUTH: '1',
        APP_URL: appUrl,
        CRON_SECRET: cronSecret,
      },
      port,
    );
  }, 300_000);

  afterAll(async () => {
    await server?.stop();
    await oauth?.close();
    await t?.drop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  async function signIn(email: string): Promise<string> {
    const response = await fetch(`${appUrl}/api/auth/local-sign-in`, {
      method: 'POST',
      redirect: 'manual',
      headers: { origin: appUrl, 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ email }),
    });
    expect(response.status).toBe(303);
    return response.headers.getSetCookie()[0]!.split(';')[0]!;
  }

  async function get(path: string, cookies: string[]): Promise<Response> {
    const response = await fetch(new URL(path, appUrl), { redirect: 'manual', headers: { cookie: cookies.join('; ') } });
    bodies.push(await response.clone().text());
    return response;
  }

  /** Start at /connect/…, sign in at the provider as `login`, and come back to the callback. */
  async function connect(session: string, path: string, login: string, options: { deny?: boolean; cookie?: boolean } = {}) {
    const started = await get(path, [session]);
    expect(started.status).toBe(303);
    const location = started.headers.get('location')!;
    secrets.add(new URL(location).searchParams.get('state')!);
    const binding = started.headers.getSetCookie()[0]!;
    expect(binding).toMatch(/^tw_connect_[0-9a-f]{16}=[A-Za-z0-9_-]+; HttpOnly; SameSite=Lax; Path=\/api\/connect\/callback; Max-Age=600$/);
    const back = await authorizeAtLocalProvider(location, { login, deny: options.deny, callbackPrefix: `${appUrl}/api/connect/callback` });
    const code = back.searchParams.get('code');
    if (code) secrets.add(code);
    const cookies = options.cookie === false ? [session] : [session, binding.split(';')[0]!];
    return { back, response: await get(back.pathname + back.search, cookies), cookies };
  }

  it('sends a visitor without a session to the sign-in page', async () => {
    const response = await get('/connect/localoidc', []);
    expect(response.status).toBe(303);
    expect(response.headers.get('location')).toMatch(/\/sign-in$/);
  });

  let integrationId: string;

  it('connects a new account, and the cron refreshes it against the same provider', async () => {
    const session = await signIn('alice@example.com');
    const { response } = await connect(session, `/connect/localoidc?organization=${orgId}&return_to=%2F`, 'alice.work@example.com');
    expect(response.status).toBe(303);
    const back = new URL(response.headers.get('location')!);
    expect(back.origin).toBe(appUrl);
    expect(back.searchParams.get('connect')).toBe('connected');
    integrationId = back.searchParams.get('integration')!;
    expect(response.headers.getSetCookie().join('\n')).toMatch(/tw_connect_[0-9a-f]{16}=; .*Max-Age=0/);
    const [row] = await t.db.query<{ status: string; provider_account_id: string; organization_id: string }>(
      `select status, provider_account_id, organization_id from public.integrations where id = $1`,
      [integrationId],
    );
    expect(row).toEqual({ status: 'connected', provider_account_id: 'alice.work@example.com', organization_id: orgId });

    // Due now: the cron's pass refreshes it with the refresh token the connect stored.
    await t.db.query(`update public.integrations set refresh_due_at = now() - interval '1 minute', expires_at = now() + interval '1 minute' where id = $1`, [integrationId]);
    const cron = await fetch(`${appUrl}/api/cron/token-refresh`, { headers: { authorization: `Bearer ${cronSecret}` } });
    expect(cron.status).toBe(200);
    expect(oauth.stats().refreshSuccess).toBe(1);
    const [after] = await t.db.query<{ token_version: number }>(`select token_version from public.integrations where id = $1`, [integrationId]);
    expect(Number(after!.token_version)).toBe(2);
  });

  it('reconnects a dead connection in place from its reconnect link', async () => {
    await t.db.query(
      `update public.integrations set status = 'needs_reauthorization', consecutive_failures = 3, disconnect_reason = 'revoked', last_error_code = 'invalid_grant' where id = $1`,
      [integrationId],
    );
    const session = await signIn('alice@example.com');
    const { response } = await connect(session, `/connect/localoidc?integration=${integrationId}&return_to=${encodeURIComponent(`/integrations/${integrationId}/reconnect`)}`, 'alice.work@example.com');
    expect(response.status).toBe(303);
    const back = new URL(response.headers.get('location')!);
    expect(back.pathname).toBe(`/integrations/${integrationId}/reconnect`);
    expect(Object.fromEntries(back.searchParams)).toEqual({ connect: 'restored', integration: integrationId });
    const [row] = await t.db.query<Record<string, unknown>>(`select status, token_version, consecutive_failures, disconnect_reason from public.integrations where id = $1`, [integrationId]);
    expect(row).toMatchObject({ status: 'connected', consecutive_failures: 0, disconnect_reason: null });
    expect(Number(row!.token_version)).toBe(3);
    expect(await t.db.query(`select 1 from public.notifications where integration_id = $1 and type = 'integration_restored'`, [integrationId])).toHaveLength(1);
  });

  it('refuses another account, a replay, a foreign browser and a cancel with a page that says so', async () => {
    const session = await signIn('alice@example.com');
    const wrong = await connect(session, `/connect/localoidc?integration=${integrationId}`, 'mallory@example.com');
    expect(wrong.response.status).toBe(409);
    expect(wrong.response.headers.get('content-type')).toMatch(/text\/html/);
    const page = await wrong.response.text();
    expect(page).toContain('mallory@example.com');
    expect(page).toContain('alice.work@example.com');

    const replay = await get(wrong.back.pathname + wrong.back.search, wrong.cookies);
    expect(replay.status).toBe(400);
    expect(await replay.text()).toContain('already used');

    const foreign = await connect(session, `/connect/localoidc?organization=${orgId}`, 'alice.work@example.com', { cookie: false });
    expect(foreign.response.status).toBe(400);
    expect(await foreign.response.text()).toContain('another browser');

    const cancelled = await connect(session, `/connect/localoidc?organization=${orgId}`, 'alice.work@example.com', { deny: true });
    expect(cancelled.response.status).toBe(400);
    expect(await cancelled.response.text()).toContain('cancelled');
    expect(await t.db.query(`select 1 from public.integrations`)).toHaveLength(1);
  });

  it('answers a stranger\'s reconnect with 404, and a return_to off the origin with 400', async () => {
    const carol = await signIn('carol@example.com');
    const stranger = await get(`/connect/localoidc?integration=${integrationId}`, [carol]);
    expect(stranger.status).toBe(404);
    expect(stranger.headers.get('set-cookie')).toBeNull();
    const alice = await signIn('alice@example.com');
    for (const returnTo of ['//evil.example/', 'https://evil.example/']) {
      const response = await get(`/connect/localoidc?organization=${orgId}&return_to=${encodeURIComponent(returnTo)}`, [alice]);
      expect(response.status).toBe(400);
      expect(await response.text()).toContain('page of this app');
    }
    const unknown = await get('/connect/nosuchprovider', [alice]);
    expect(unknown.status).toBe(404);
    const noCredentials = await get('/connect/google', [alice]);
    expect(noCredentials.status).toBe(400);
    expect(await noCredentials.text()).toContain('Google');
    const missing = await get('/api/connect/callback', [alice]);
    expect(missing.status).toBe(400);
  });

  it('never puts a token, code or state in a page or the server output', async () => {
    for (const secret of secrets) {
      for (const body of bodies) expect(body).not.toContain(secret);
      expect(server.output()).not.toContain(secret);
    }
  });
});
