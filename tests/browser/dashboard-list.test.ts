import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { startDemo, type DemoServer } from '../support/next-server';
import { chromiumAvailable, docsScreenshot, launchBrowser } from '../support/browser';

/** The list, the banners, the nav's unread count and the polling, in Chromium against the demo. */
describe.runIf(chromiumAvailable())('the dashboard list in Chromium', () => {
  let server: DemoServer;
  let browser: Browser;
  let page: Page;

  beforeAll(async () => {
    server = await startDemo({ dataDirPrefix: 'tw-browser-list-' });
    browser = await launchBrowser();
    page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  }, 600_000);

  afterAll(async () => {
    await browser?.close();
    await server?.stop();
  });

  /** A new visit: a new browser context signed in with the same cookies (its own sessionStorage). */
  const newVisit = async (viewport = { width: 1280, height: 900 }) => {
    const context = await browser.newContext({ viewport });
    await context.addCookies(await page.context().cookies());
    return { context, tab: await context.newPage() };
  };

  const xeroBanner = () => page.locator('[data-banner$=":dead"]', { hasText: 'Xero connection lost' });

  it("shows a dead connection's banner with its reason, and the unread count in the nav", async () => {
    await page.goto(`${server.url}/`);
    await page.waitForURL(/\/sign-in$/);
    await page.getByRole('button', { name: /Continue as dana/ }).click();
    await page.waitForURL(`${server.url}/`);
    // The scheduler revokes Xero within a few ticks; the page polls every 10 s.
    await expect.poll(() => xeroBanner().count(), { timeout: 60_000, interval: 1_000 }).toBe(1);
    expect(await xeroBanner().innerText()).toMatch(/^Xero connection lost( \(.+\))? — .*invalid_grant.* — Reconnect/);
    const xeroRow = page.locator('tr[data-integration-id]', { hasText: 'Xero' });
    expect(await xeroRow.getAttribute('data-health')).toBe('red');
    expect(await xeroRow.innerText()).toMatch(/Needs reconnecting/);
    // Rows link to the connection's page.
    const id = await xeroRow.getAttribute('data-integration-id');
    expect(await xeroRow.getByRole('link', { name: 'Xero', exact: true }).getAttribute('href')).toBe(`/integrations/${id}`);

    const notifications = page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: /Notifications/ });
    expect(await notifications.getAttribute('href')).toBe('/notifications');
    await expect.poll(async () => Number(await notifications.getAttribute('data-unread')), { timeout: 20_000 }).toBeGreaterThan(0);
    const heading = Number((await page.locator('h2#notifications').innerText()).match(/\((\d+) unread\)/)?.[1]);
    expect(await notifications.locator('.count').innerText()).toBe(String(heading));
    await docsScreenshot(page, 'dashboard');
  }, 120_000);

  it('filters by status and by provider', async () => {
    await page.getByLabel('Status').selectOption('needs_reauthorization');
    await page.getByRole('button', { name: 'Filter' }).click();
    await page.waitForURL(/status=needs_reauthorization/);
    const rows = page.locator('tr[data-integration-id]');
    const count = await rows.count();
    expect(count).toBeGreaterThan(0);
    for (let index = 0; index < count; index++) expect(await rows.nth(index).innerText()).toMatch(/needs reauthorization/);
    await page.goto(`${server.url}/?provider=google`);
    expect(await rows.count()).toBeGreaterThan(0);
    for (const text of await rows.allInnerTexts()) expect(text).toMatch(/^Google/);
    await page.goto(`${server.url}/`);
    expect(await rows.count()).toBe(9);
    // Nine fit on one page: no page links. A cursor the page did not make shows the first page, saying so.
    expect(await page.getByRole('navigation', { name: 'Pages' }).count()).toBe(0);
    await page.goto(`${server.url}/?after=not-a-cursor`);
    await page.locator('[data-list-notice]', { hasText: 'That page link is not valid; showing the first page.' }).waitFor();
    expect(await rows.count()).toBe(9);
    // The scope choice is in the form, reachable by its label.
    await page.getByLabel('Show').selectOption('own');
    await page.getByRole('button', { name: 'Filter' }).click();
    await page.waitForURL(/scope=own/);
    expect(await rows.count()).toBeGreaterThan(0);
    await page.goto(`${server.url}/`);
  }, 60_000);

  it('dismisses a banner for the visit', async () => {
    await xeroBanner().getByRole('button', { name: /Dismiss/ }).click();
    await expect.poll(() => xeroBanner().count(), { timeout: 5_000 }).toBe(0);
    await page.reload();
    await page.locator('tr[data-integration-id]').first().waitFor();
    // Hidden once the page hydrates (sessionStorage is read on the client), and it stays hidden.
    await expect.poll(() => xeroBanner().count(), { timeout: 5_000 }).toBe(0);
    await page.waitForTimeout(1_000);
    expect(await xeroBanner().count()).toBe(0);
    // A new visit (a new tab's sessionStorage) shows it again.
    const other = await newVisit();
    await other.tab.goto(`${server.url}/`);
    await expect.poll(() => other.tab.locator('[data-banner$=":dead"]', { hasText: 'Xero connection lost' }).count(), { timeout: 10_000 }).toBe(1);
    await other.context.close();
  }, 60_000);

  it('fits a 390 px screen without horizontal scrolling', async () => {
    const { context: phone, tab: small } = await newVisit({ width: 390, height: 844 });
    await small.goto(`${server.url}/`);
    await small.locator('tr[data-integration-id]').first().waitFor();
    const widths = await small.evaluate(() => ({ scroll: document.documentElement.scrollWidth, client: document.documentElement.clientWidth }));
    expect(widths.scroll).toBeLessThanOrEqual(widths.client);
    expect(await small.locator('tr[data-integration-id]').count()).toBe(9);
    await docsScreenshot(small, 'dashboard-390');
    await phone.close();
  }, 60_000);

  it('reconnects Xero from its banner, through the provider sign-in and consent, back to green', async () => {
    // On the demo's APP_URL origin (localhost): the connect flow's state cookie and its
    // callback live there, so the visit signs in there too, in a context of its own.
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    const tab = await context.newPage();
    await tab.goto(`${server.app}/sign-in`);
    await tab.getByRole('button', { name: /Continue as dana/ }).click();
    await tab.waitForURL(`${server.app}/`);
    const banner = tab.locator('[data-banner$=":dead"]', { hasText: 'Xero connection lost' });
    await banner.waitFor({ timeout: 10_000 });
    const row = tab.locator('tr[data-integration-id]', { hasText: 'Xero' });
    const id = await row.getAttribute('data-integration-id');
    expect(await row.getAttribute('data-health')).toBe('red');

    await banner.getByRole('link', { name: /Reconnect now: Xero/ }).click();
    // The bundled OAuth server's sign-in page, prefilled with the connection's account (login_hint).
    const login = tab.getByLabel('Login');
    await login.waitFor({ timeout: 30_000 });
    expect(await login.inputValue()).toBe('dana@demo.tokenwarden.dev/xero');
    await tab.getByLabel('Password').fill('anything');
    await tab.getByRole('button', { name: 'Sign in' }).click();
    await tab.getByRole('button', { name: 'Allow' }).click();

    // Back where the banner was, with the outcome said.
    await tab.waitForURL(`${server.app}/?connect=restored&integration=${id}`, { timeout: 30_000 });
    await expect.poll(() => tab.getByRole('status').filter({ hasText: 'Xero reconnected' }).innerText(), { timeout: 30_000 }).toMatch(
      /^Xero reconnected: it works again\./,
    );
    expect(await banner.count()).toBe(0);
    expect(await row.getAttribute('data-integration-id')).toBe(id); // restored in place, not a second Xero
    expect(await row.getAttribute('data-health')).toBe('green');
    expect(await row.innerText()).not.toMatch(/needs reauthorization|Needs reconnecting/);
    // The restored notice is in the list, and the banner stays gone across a reload.
    const restored = tab.locator('li[data-notification-id]', { hasText: 'Xero reconnected' });
    await expect.poll(() => restored.count(), { timeout: 30_000 }).toBe(1);
    expect(await restored.innerText()).toMatch(/Xero is connected again\./);
    await tab.goto(`${server.app}/`);
    await row.waitFor();
    expect(await banner.count()).toBe(0);
    expect(await row.getAttribute('data-health')).toBe('green');

    // Its own page says so in words, not only in colour.
    await tab.goto(`${server.app}/integrations/${id}`);
    await expect.poll(() => tab.locator('[data-connection-status]').innerText(), { timeout: 30_000 }).toMatch(/Healthy/);
    expect(await tab.locator('[data-connection-status]').innerText()).not.toMatch(/Needs reauthorization/);
    await context.close();
  }, 120_000);

  it('stops polling while the tab is hidden and resumes when visible', async () => {
    const refreshes = () => page.evaluate(() => window.__tokenwardenRefreshes ?? 0);
    const before = await refreshes();
    await expect.poll(refreshes, { timeout: 25_000, interval: 500 }).toBeGreaterThan(before);
    await page.evaluate(() => {
      Object.defineProperty(document, 'visibilityState', { configurable: true, get: () => 'hidden' });
      document.dispatchEvent(new Event('visibilitychange'));
    });
    const hidden = await refreshes();
    await page.waitForTimeout(22_000); // two polling periods
    expect(await refreshes()).toBe(hidden);
    await page.evaluate(() => {
      Object.defineProperty(document, 'visibilityState', { configurable: true, get: () => 'visible' });
      document.dispatchEvent(new Event('visibilitychange'));
    });
    expect(await refreshes()).toBe(hidden + 1); // refreshed at once on return
  }, 90_000);
});
