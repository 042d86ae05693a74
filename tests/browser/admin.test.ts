import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { startDemo, type DemoServer } from '../support/next-server';
import { chromiumAvailable, docsScreenshot, launchBrowser } from '../support/browser';

/** The operator console in a real browser against the demo (its OPERATOR_EMAILS is Dana): logs filtered, stats with the SVG, a member's 404. */
describe.runIf(chromiumAvailable())('the operator console in Chromium', () => {
  let server: DemoServer;
  let browser: Browser;
  let page: Page;

  beforeAll(async () => {
    server = await startDemo({ dataDirPrefix: 'tw-browser-admin-' });
    browser = await launchBrowser();
    page = await browser.newPage();
  }, 600_000);

  afterAll(async () => {
    await browser?.close();
    await server?.stop();
  });

  async function signIn(target: Page, who: RegExp) {
    await target.goto(`${server.url}/sign-in`);
    await target.getByRole('button', { name: who }).click();
    await target.waitForURL(`${server.url}/`);
  }

  it('lets the operator filter the refresh logs by provider and outcome', async () => {
    await signIn(page, /Continue as dana/);
    // The demo's revoked Xero connection fails with an auth failure on its first refresh.
    await expect
      .poll(
        async () => {
          await page.goto(`${server.url}/admin/logs`);
          await page.getByLabel('Provider').selectOption('xero');
          await page.getByLabel('Outcome').selectOption('auth_failure');
          await page.getByRole('button', { name: 'Filter' }).click();
          await page.waitForURL(/provider=xero/);
          return page.locator('tbody tr').count();
        },
        { timeout: 60_000, interval: 3_000 },
      )
      .toBeGreaterThan(0);
    const text = await page.locator('tbody').innerText();
    expect(text).toContain('auth_failure');
    expect(text).not.toContain('refreshed');
    expect(await page.locator('tbody a[href^="/integrations/"]').count()).toBeGreaterThan(0);
    await docsScreenshot(page, 'admin-logs');
  }, 90_000);

  it('shows the stats with the outcomes-per-hour SVG, and the providers', async () => {
    await page.goto(`${server.url}/admin/stats`);
    await expect.poll(() => page.locator('svg[data-chart="outcomes-per-hour"]').count()).toBe(1);
    expect(await page.locator('caption', { hasText: /^Last 24 hours$/ }).count()).toBe(1);
    await docsScreenshot(page, 'admin-stats');
    await page.goto(`${server.url}/admin/providers`);
    expect(await page.locator('body').innerText()).toContain('/api/connect/callback');
    await docsScreenshot(page, 'admin-providers');
  }, 60_000);

  it('answers 404 to a member on /admin', async () => {
    const context = await browser.newContext();
    const other = await context.newPage();
    await signIn(other, /Continue as lee/);
    const response = await other.goto(`${server.url}/admin`);
    expect(response?.status()).toBe(404);
    await context.close();
  }, 60_000);
});
