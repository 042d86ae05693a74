import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { startDemo, type DemoServer } from '../support/next-server';
import { chromiumAvailable, launchBrowser } from '../support/browser';

/**
 * The demo as a person uses it, in a real browser: sign in, watch refreshes, read and dismiss a
 * notification. On `next dev`, as `npm run demo` runs for a newcomer (with development's
 * Content-Security-Policy); the other browser tests run the demo on `next start`.
 */
describe.runIf(chromiumAvailable())('the dashboard in Chromium', () => {
  let server: DemoServer;
  let browser: Browser;
  let page: Page;
  const cspViolations: string[] = [];
  const documentPolicies: string[] = [];

  beforeAll(async () => {
    server = await startDemo({ dataDirPrefix: 'tw-browser-', server: 'dev' });
    browser = await launchBrowser();
    page = await browser.newPage();
    // Anything the Content-Security-Policy blocks is reported on the console.
    page.on('console', (message) => {
      if (message.type() === 'error' && /Content Security Policy/i.test(message.text())) cspViolations.push(message.text());
    });
    page.on('response', (response) => {
      if (response.request().resourceType() === 'document') documentPolicies.push(response.headers()['content-security-policy'] ?? '');
    });
  }, 600_000);

  afterAll(async () => {
    await browser?.close();
    await server?.stop();
  });

  it('signs a visitor in as a demo user and lists their connections', async () => {
    await page.goto(`${server.url}/`);
    await page.waitForURL(/\/sign-in$/);
    await page.getByRole('button', { name: /Continue as dana/ }).click();
    await page.waitForURL(`${server.url}/`);
    await expect.poll(() => page.locator('tr[data-integration-id]').count()).toBe(9);
    const text = await page.locator('table').innerText();
    for (const provider of ['Google', 'Microsoft', 'Slack', 'HubSpot', 'Xero', 'Salesforce']) expect(text).toContain(provider);
  }, 60_000);

  it('shows the revoked connection turn needs_reauthorization and its notification, without reloading', async () => {
    const xero = page.locator('tr', { hasText: 'Xero' });
    // The scheduler refreshes every 3 s; the page re-renders itself every 10 s.
    await expect.poll(() => xero.innerText(), { timeout: 45_000, interval: 1_000 }).toMatch(/needs reauthorization/);
    const note = page.locator('li[data-notification-id]', { hasText: 'Xero disconnected' });
    await expect.poll(() => note.count(), { timeout: 20_000 }).toBeGreaterThan(0);
    expect(await note.first().innerText()).toMatch(/Your workflows are paused\. Reconnect now\./);
    // `next dev` draws its indicator in a <nextjs-portal>: what docsScreenshot (tests/support/browser.ts)
    // refuses, so the docs' screenshots are taken on `next start` by the other browser tests.
    expect(await page.locator('nextjs-portal').count()).toBeGreaterThan(0);
    await page.screenshot({ path: join(tmpdir(), 'tokenwarden-dashboard.png'), fullPage: true });
  }, 90_000);

  it('marks a notification read through the API from the page', async () => {
    const heading = page.locator('h2#notifications');
    const unreadBefore = Number((await heading.innerText()).match(/\((\d+) unread\)/)?.[1]);
    expect(unreadBefore).toBeGreaterThan(0);
    await page.locator('li.unread[data-notification-id]').first().getByRole('button', { name: 'Mark read' }).click();
    // The first press compiles the mark-read route in development mode: slow on a busy machine.
    await expect.poll(async () => Number((await heading.innerText()).match(/\((\d+) unread\)/)?.[1]), { timeout: 45_000 }).toBe(unreadBefore - 1);
  }, 60_000);

  it('tests a connection and refreshes it now from its row, and says when to retry past the limit', async () => {
    const row = page.locator('tr[data-integration-id]', { hasText: 'Google' }).first();
    await row.getByRole('button', { name: /^Test Google/ }).click();
    await expect.poll(() => row.locator('.test-connection [role=status]').innerText(), { timeout: 20_000 }).toMatch(/^Working/);

    const refresh = row.getByRole('button', { name: /^Refresh Google.* now$/ });
    const said = row.locator('.refresh-now [role=status], .refresh-now [role=alert]');
    // Refresh now is 5 an hour per user; the sixth press shows the 429's wait.
    for (let press = 1; press <= 5; press += 1) {
      await refresh.click();
      await expect.poll(() => said.innerText(), { timeout: 20_000 }).toBe('Refreshed');
      await expect.poll(() => refresh.isEnabled()).toBe(true);
    }
    await refresh.click();
    await expect.poll(() => said.innerText(), { timeout: 20_000 }).toMatch(/^Too many tries\. Try again in \d+ (minutes?|seconds?) \(at .+\)\.$/);
  }, 120_000);

  it('shows the disconnection email in the dev mailbox, rendered', async () => {
    await page.getByRole('link', { name: 'Dev mailbox' }).click();
    await page.waitForURL(/\/dev\/mailbox$/);
    const link = page.getByRole('link', { name: 'integration_disconnected' }).first();
    await expect.poll(() => link.count(), { timeout: 20_000 }).toBeGreaterThan(0);
    await link.click();
    await page.waitForURL(/\/dev\/mailbox\/[0-9a-f-]{36}$/, { timeout: 30_000 });
    // The first visit compiles the route in development mode.
    // The subject is the title the policy wrote (lib/owed/messages.ts), the body its message.
    await expect.poll(() => page.locator('h1').innerText(), { timeout: 30_000 }).toMatch(/^Xero disconnected$/);
    const html = await page.locator('iframe').getAttribute('srcdoc');
    expect(html).toContain('/reconnect');
    expect(html).toContain('Xero disconnected. Your workflows are paused. Reconnect now.');
  }, 90_000);

  it('works under the Content-Security-Policy: every page carries it and nothing was blocked', async () => {
    // The rendered email in the sandboxed frame inherits the policy: its inline styles must still apply.
    const frame = page.frameLocator('iframe');
    await expect.poll(() => frame.locator('body').innerText(), { timeout: 10_000 }).toMatch(/reconnect/i);
    expect(documentPolicies.length).toBeGreaterThan(0);
    for (const policy of documentPolicies) expect(policy).toMatch(/frame-ancestors 'none'/);
    expect(cspViolations).toEqual([]);
  }, 30_000);
});
