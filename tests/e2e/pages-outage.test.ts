import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import request from 'supertest';
import { createTestDatabase, type TestDatabase } from '../support/database';
import { ensureBuild, freePort, startNext, type RunningServer, supabaseServerEnv } from '../support/next-server';
import { insertUser } from '../support/fixtures';
import { startTcpProxy, type TcpProxy } from '../support/tcp-proxy';
import { startSupabaseAuthMock, type MockSupabaseAuth, type MockUser } from '../support/supabase-auth-mock';
import { chromiumAvailable, launchBrowser } from '../support/browser';

/**
 * Pages over next start while the database is unreachable (the test's own proxy cut, the
 * shared server untouched): a 5xx whose HTML holds no driver error, stack or connection string;
 * in Chromium (Next renders error boundaries in the browser) the page says so in words with a
 * retry; and the page again once the database is back.
 */
describe.runIf(chromiumAvailable())('pages while the database is unreachable (next start)', () => {
  let t: TestDatabase;
  let proxy: TcpProxy;
  let server: RunningServer;
  let auth: MockSupabaseAuth;
  let operator: MockUser;
  const bearer = (who: MockUser) => `Bearer ${auth.accessToken(who)}`;

  beforeAll(async () => {
    ensureBuild();
    t = await createTestDatabase();
    if (!t.url) throw new Error('this test needs PostgreSQL (a TCP proxy in front of it)');
    const url = new URL(t.url);
    proxy = await startTcpProxy({ host: url.hostname, port: Number(url.port || 5432) }, { reset: true });
    auth = await startSupabaseAuthMock();
    operator = { id: await insertUser(t.db, 'ops@example.com'), email: 'ops@example.com' };
    await t.db.query(`update auth.users set email_confirmed_at = now() where id = $1`, [operator.id]);
    server = await startNext(supabaseServerEnv({ databaseUrl: proxy.via(t.url), auth }, { OPERATOR_EMAILS: 'ops@example.com' }), await freePort());
  }, 240_000);

  afterAll(async () => {
    await server?.stop();
    await auth?.close();
    await proxy?.close();
    await t?.drop();
  });

  it('shows an error page in words, without the error, and the page again once the database is back', async () => {
    const paths = ['/', '/notifications', '/settings/notifications', '/admin/logs', '/admin/stats'];
    for (const path of paths) expect((await request(server.url).get(path).set('Authorization', bearer(operator))).status, path).toBe(200);
    const browser = await launchBrowser();
    proxy.cut();
    try {
      const context = await browser.newContext({ extraHTTPHeaders: { authorization: bearer(operator) } });
      const tab = await context.newPage();
      for (const path of paths) {
        const response = await request(server.url).get(path).set('Authorization', bearer(operator));
        expect(response.status, path).toBeGreaterThanOrEqual(500);
        for (const leak of ['ECONNRESET', 'postgres', t.url!, '    at ', 'node_modules']) expect(response.text, `${path}: ${leak}`).not.toContain(leak);
        await tab.goto(`${server.url}${path}`);
        await tab.getByRole('heading', { name: 'This page could not be loaded' }).waitFor({ timeout: 15_000 });
        expect(await tab.getByRole('button', { name: 'Try again' }).isVisible(), path).toBe(true);
        expect(await tab.content(), path).not.toContain('ECONNRESET');
      }
      proxy.restore();
      await tab.getByRole('button', { name: 'Try again' }).click();
      await tab.goto(`${server.url}/notifications`);
      await tab.getByRole('heading', { name: 'Notifications' }).waitFor({ timeout: 15_000 });
    } finally {
      proxy.restore();
      await browser.close();
    }
  }, 120_000);
});
