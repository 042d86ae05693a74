import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import request from 'supertest';
import { freePort, ROOT, spawnServer, type RunningServer } from '../support/next-server';

/**
 * `npm run demo` as a newcomer runs it: embedded PGlite in a fresh data folder, migrated
 * and seeded, the app in development mode, a visitor signing in as a demo user.
 */
describe('npm run demo', () => {
  let server: RunningServer;

  beforeAll(async () => {
    const port = await freePort();
    const oauthPort = await freePort();
    const dataDir = mkdtempSync(join(tmpdir(), 'tw-demo-'));
    server = await spawnServer(process.execPath, [join(ROOT, 'node_modules', 'tsx', 'dist', 'cli.mjs'), 'scripts/demo.ts'], {
      env: {
        PATH: process.env.PATH,
        HOME: process.env.HOME,
        PORT: String(port),
        DEMO_OAUTH_PORT: String(oauthPort),
        DEMO_TICK_SECONDS: '3',
        TOKENWARDEN_DATA_DIR: dataDir,
      },
      port,
      timeoutMs: 120_000,
    });
  }, 180_000);

  afterAll(async () => server?.stop());

  async function signIn(email: string): Promise<string> {
    const response = await request(server.url)
      .post('/api/auth/local-sign-in')
      .set('Origin', server.url)
      .type('form')
      .send({ email })
      .redirects(0);
    expect(response.status).toBe(303);
    const cookie = response.headers['set-cookie'] as unknown as string[];
    expect(cookie?.[0]).toMatch(/HttpOnly/i);
    return cookie[0]!.split(';')[0]!;
  }

  it('offers the seeded demo users on the sign-in page', async () => {
    expect(server.output()).toMatch(/seeded 14 demo connections/);
    const page = await request(server.url).get('/sign-in');
    expect(page.status).toBe(200);
    expect(page.text).toContain('dana@demo.tokenwarden.dev');
    expect(page.text).toContain('sam@demo.tokenwarden.dev');
  });

  it("shows the signed-in user's integrations with provider, account, status and expiry", async () => {
    const cookie = await signIn('dana@demo.tokenwarden.dev');
    const page = await request(server.url).get('/').set('Cookie', cookie);
    expect(page.status).toBe(200);
    expect(page.text).toContain('Signed in as <!-- -->dana@demo.tokenwarden.dev');
    expect(page.text.match(/<tr data-integration-id=/g)).toHaveLength(9); // own + the organization's
    for (const text of ['Google', 'Microsoft', 'Salesforce', 'dana@acme.example', 'needs reauthorization', 'connected, retrying']) {
      expect(page.text).toContain(text);
    }
    expect(page.text).toMatch(/in [34] min/); // Google, seeded to expire 4 minutes after start
    expect(page.text).not.toMatch(/demo-(access|refresh)-[0-9a-f]{24}/);
    expect(page.text).not.toMatch(/tw1\.[A-Za-z0-9_-]+\./);
  });

  it('shows another user only what is theirs', async () => {
    const cookie = await signIn('sam@demo.tokenwarden.dev');
    const page = await request(server.url).get('/').set('Cookie', cookie);
    expect(page.text.match(/<tr data-integration-id=/g)).toHaveLength(3);
    expect(page.text).not.toContain('dana@acme.example');
  });

  it('keeps the dev mailbox behind the sign-in', async () => {
    const anonymous = await request(server.url).get('/dev/mailbox').redirects(0);
    expect(anonymous.status).toBe(307);
    expect(anonymous.headers.location).toMatch(/\/sign-in$/);
    const signedIn = await request(server.url).get('/dev/mailbox').set('Cookie', await signIn('sam@demo.tokenwarden.dev'));
    expect(signedIn.status).toBe(200);
    expect(signedIn.text).toContain('Dev mailbox');
  });

  it("shows the operator page to the demo's operator, whose address the demo confirmed, and 404 to others", async () => {
    const dana = await request(server.url).get('/admin').set('Cookie', await signIn('dana@demo.tokenwarden.dev'));
    expect(dana.status).toBe(200);
    expect(dana.text).toContain('Operator alerts');
    expect((await request(server.url).get('/admin').set('Cookie', await signIn('sam@demo.tokenwarden.dev'))).status).toBe(404);
  });

  it('refuses a sign-in posted from another site', async () => {
    const response = await request(server.url)
      .post('/api/auth/local-sign-in')
      .set('Origin', 'http://evil.example')
      .type('form')
      .send({ email: 'dana@demo.tokenwarden.dev' });
    expect(response.status).toBe(403);
    expect(response.headers['set-cookie']).toBeUndefined();
  });

  it('refreshes through the scheduler: the revoked connection turns needs_reauthorization, the others refresh', async () => {
    const cookie = await signIn('dana@demo.tokenwarden.dev');
    const deadline = Date.now() + 60_000;
    let page = '';
    while (Date.now() < deadline) {
      page = (await request(server.url).get('/').set('Cookie', cookie)).text;
      if (/cron \/api\/cron\/token-refresh → 200 .*refreshed=[1-9]/.test(server.output()) && (page.match(/needs reauthorization/g) ?? []).length >= 2) break;
      await new Promise((resolve) => setTimeout(resolve, 1000));
    }
    expect(server.output()).toMatch(/cron \/api\/cron\/token-refresh → 200 .*disconnected=1/);
    // Salesforce was seeded dead; Xero's grant was revoked at the provider and is found dead now.
    expect((page.match(/needs reauthorization/g) ?? []).length).toBeGreaterThanOrEqual(2);
    expect(page).toMatch(/Xero no longer accepts this connection&#x27;s refresh token \(invalid_grant\)/);
  }, 90_000);

  it('refuses a forged session cookie', async () => {
    const forged = 'tw_local_session=00000000-0000-4000-8000-000000000000.9999999999.bm90LWEtc2lnbmF0dXJl';
    const response = await request(server.url).get('/').set('Cookie', forged).redirects(0);
    expect(response.status).toBe(307);
  });
});
