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

  /** The id of the dashboard row that names `text` (a provider or an account). */
  function rowId(html: string, text: string): string {
    const row = [...html.matchAll(/<tr data-integration-id="([0-9a-f-]{36})"[^>]*>([\s\S]*?)<\/tr>/g)].find((match) => match[2]!.includes(text));
    if (!row) throw new Error(`no dashboard row names ${text}`);
    return row[1]!;
  }

  it('offers Connect for every provider with credentials and an authorization URL, for oneself and for the organization one manages', async () => {
    const dana = (await request(server.url).get('/').set('Cookie', await signIn('dana@demo.tokenwarden.dev'))).text;
    expect(dana).toContain('<h2 id="connect">Connect</h2>');
    expect(dana).toContain('href="/connect/xero"');
    expect(dana).toContain('href="/connect/dropbox"');
    expect(dana).toMatch(/href="\/connect\/google\?organization=[0-9a-f-]{36}"/);
    expect(dana).toContain('For Acme Demo');
    // Facebook is seeded without a refresh token, so the demo does not point it at its OAuth server.
    expect(dana).not.toContain('href="/connect/facebook"');
    const sam = (await request(server.url).get('/').set('Cookie', await signIn('sam@demo.tokenwarden.dev'))).text;
    expect(sam).toContain('href="/connect/xero"');
    expect(sam).not.toContain('For Acme Demo');
  });

  it('offers Reconnect on dead connections and Disconnect on live ones to the people who manage them', async () => {
    const dana = (await request(server.url).get('/').set('Cookie', await signIn('dana@demo.tokenwarden.dev'))).text;
    const salesforce = rowId(dana, 'Salesforce');
    expect(dana).toContain(`href="/connect/salesforce?integration=${salesforce}&amp;return_to=%2F"`);
    expect(dana).toMatch(/aria-label="Disconnect Google \(dana@acme\.example\)"/);
    // Lee manages the organization's integrations, so he may disconnect Dana's organization connections too.
    const lee = (await request(server.url).get('/').set('Cookie', await signIn('lee@demo.tokenwarden.dev'))).text;
    expect(lee).toMatch(/aria-label="Disconnect Google \(dana@acme\.example\)"/);
    expect(lee).toContain(`href="/connect/salesforce?integration=${salesforce}&amp;return_to=%2F"`);
  });

  it('shows on the reconnect page what happened, and a Reconnect button for that connection', async () => {
    const cookie = await signIn('dana@demo.tokenwarden.dev');
    const salesforce = rowId((await request(server.url).get('/').set('Cookie', cookie)).text, 'Salesforce');
    const page = await request(server.url).get(`/integrations/${salesforce}/reconnect`).set('Cookie', cookie);
    expect(page.status).toBe(200);
    expect(page.text).toContain('Reconnect Salesforce');
    expect(page.text).toContain('needs reauthorization');
    expect(page.text).toContain('invalid_grant');
    expect(page.text).toMatch(/It failed/);
    expect(page.text).toContain(
      `href="/connect/salesforce?integration=${salesforce}&amp;return_to=%2Fintegrations%2F${salesforce}%2Freconnect"`,
    );
    expect(page.text).not.toContain('role="status"');
    // Someone else's connection does not exist for them.
    expect((await request(server.url).get(`/integrations/${salesforce}/reconnect`).set('Cookie', await signIn('sam@demo.tokenwarden.dev'))).status).toBe(404);
  });

  it("says a healthy connection needs nothing, and shows the callback's outcome on return", async () => {
    const cookie = await signIn('dana@demo.tokenwarden.dev');
    const google = rowId((await request(server.url).get('/').set('Cookie', cookie)).text, 'dana@acme.example');
    const page = await request(server.url).get(`/integrations/${google}/reconnect?connect=restored&integration=${google}`).set('Cookie', cookie);
    expect(page.text).toContain('This connection works: nothing to do.');
    expect(page.text).toMatch(/<div role="status"[^>]*>.*Google reconnected/);
    expect(page.text).not.toContain('href="/connect/google?integration=');
    const dashboard = await request(server.url).get(`/?connect=connected&integration=${google}`).set('Cookie', cookie);
    expect(dashboard.text).toMatch(/<div role="status"[^>]*>.*Google connected\./);
    // Anything else in the query is not an outcome.
    const forged = await request(server.url).get('/?connect=%3Cscript%3E&integration=x').set('Cookie', cookie);
    expect(forged.text).not.toContain('role="status"');
  });

  it('refuses a forged session cookie', async () => {
    const forged = 'tw_local_session=00000000-0000-4000-8000-000000000000.9999999999.bm90LWEtc2lnbmF0dXJl';
    const response = await request(server.url).get('/').set('Cookie', forged).redirects(0);
    expect(response.status).toBe(307);
  });
});
