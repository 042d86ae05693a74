import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { startDemo, type DemoServer } from '../support/next-server';
import { chromiumAvailable, docsScreenshot, launchBrowser } from '../support/browser';

/**
 * A connection's page (/integrations/{id}) in the demo, as Dana uses it: the ticking
 * countdown, the refresh history and its chart, Refresh now up to its hourly limit, Test
 * connection's verdict, a dead connection's reason and Reconnect; Sam, who is outside the
 * organization, gets 404.
 */
describe.runIf(chromiumAvailable())("a connection's page in Chromium", () => {
  let server: DemoServer;
  let browser: Browser;
  let page: Page;
  const ids = new Map<string, string>();

  beforeAll(async () => {
    server = await startDemo({ dataDirPrefix: 'tw-connection-page-' });
    browser = await launchBrowser();
    page = await browser.newPage({ locale: 'en-GB', timezoneId: 'Europe/London' });
  }, 600_000);

  afterAll(async () => {
    await browser?.close();
    await server?.stop();
  });

  const signIn = async (who: string) => {
    await page.goto(`${server.url}/sign-in`);
    await page.getByRole('button', { name: new RegExp(`Continue as ${who}`) }).click();
    await page.waitForURL(`${server.url}/`);
  };

  it('signs Dana in and finds her connections', async () => {
    await signIn('dana');
    await expect.poll(() => page.locator('tr[data-integration-id]').count(), { timeout: 30_000 }).toBe(9);
    for (const provider of ['Slack', 'Salesforce', 'Google']) {
      const id = await page.locator('tr[data-integration-id]', { hasText: provider }).first().getAttribute('data-integration-id');
      expect(id).toMatch(/^[0-9a-f-]{36}$/);
      ids.set(provider, id!);
    }
  }, 60_000);

  it('shows the connection with a countdown that ticks and its renewal', async () => {
    await page.goto(`${server.url}/integrations/${ids.get('Slack')}`);
    await expect.poll(() => page.locator('h1').innerText(), { timeout: 60_000 }).toBe('Slack');
    const main = page.locator('main');
    await expect.poll(() => main.innerText(), { timeout: 30_000 }).toMatch(/Connected (now|\d+ \w+ ago|yesterday) on \d{1,2} \w+ \d{4}/);
    const countdown = page.locator('[data-countdown]');
    await expect.poll(() => countdown.innerText(), { timeout: 10_000 }).toMatch(/^Expires in \d+ hours? \d+ minutes? \d+ seconds?, on \d{1,2} \w+ \d{4} at \d{2}:\d{2}$/);
    const first = await countdown.innerText();
    await page.waitForTimeout(1_500);
    expect(await countdown.innerText()).not.toBe(first);
    expect(await page.locator('[data-renewal]').innerText()).toMatch(/^Automatic renewal (around \d{2}:\d{2}|due now)/);
    expect(await page.locator('[data-counters]').innerText()).toMatch(/0 refused by Slack/);
    expect(await page.locator('[data-connection-status]').innerText()).toMatch(/Healthy/);
  }, 120_000);

  it('tests the connection and shows its verdict', async () => {
    await page.getByRole('button', { name: /^Test Slack/ }).click();
    const verdict = page.locator('.test-connection [role="status"], .test-connection [role="alert"]');
    await expect.poll(() => verdict.innerText(), { timeout: 30_000 }).toMatch(/Working|Not working/);
    // When it was checked, as a time of day in the browser's locale.
    expect(await verdict.innerText()).toMatch(/ — checked at \S*\d{1,2}[:.]\d{2}[:.]\d{2}/);
  }, 60_000);

  it('refreshes now, the sixth press within the hour shows the limit message, and the history table and chart show the attempts', async () => {
    const button = page.getByRole('button', { name: /^Refresh Slack .* now$/ });
    const said = page.locator('.refresh-now [role="status"], .refresh-now [role="alert"]');
    for (let press = 1; press <= 5; press += 1) {
      await button.click();
      await expect.poll(() => said.count(), { timeout: 30_000 }).toBe(1);
      const text = await said.innerText();
      expect(text, `press ${press}`).not.toMatch(/Too many tries/);
      expect(text).toMatch(/Refreshed|Nothing to refresh yet|could not|refused|configured/);
      await expect.poll(() => button.isEnabled(), { timeout: 30_000 }).toBe(true);
    }
    await button.click();
    await expect.poll(() => said.innerText(), { timeout: 30_000 }).toMatch(/Too many tries\. Try again in/);
    // The manual attempts are in the history.
    await page.reload();
    await expect.poll(() => page.locator('table[data-refresh-history]').innerText(), { timeout: 30_000 }).toMatch(/Refresh now/);
    expect(await page.locator('table[data-refresh-history] tbody tr').count()).toBeGreaterThanOrEqual(5);
    expect(await page.locator('svg[data-refresh-chart]').count()).toBe(1);
    expect(await page.locator('svg[data-refresh-chart] g[data-outcome]').count()).toBeGreaterThanOrEqual(5);
    expect(await page.locator('svg[data-refresh-chart] desc').textContent()).toMatch(/\d+ attempts: /);
    await docsScreenshot(page, 'connection-page');
  }, 180_000);

  it("shows a dead connection's reason and Reconnect", async () => {
    await page.goto(`${server.url}/integrations/${ids.get('Salesforce')}`);
    await expect.poll(() => page.locator('h1').innerText(), { timeout: 30_000 }).toBe('Salesforce');
    expect(await page.locator('[data-connection-status]').innerText()).toMatch(/Not working.*Needs reauthorization/s);
    expect(await page.locator('[data-reason]').innerText()).toMatch(/invalid_grant/);
    expect(await page.locator('[data-renewal]').innerText()).toMatch(/needs reauthorization/);
    const reconnect = page.getByRole('link', { name: /^Reconnect Salesforce/ });
    const href = await reconnect.getAttribute('href');
    expect(href).toBe(`/connect/salesforce?integration=${ids.get('Salesforce')}&return_to=%2Fintegrations%2F${ids.get('Salesforce')}`);
    expect(await page.getByRole('button', { name: /^Refresh Salesforce/ }).count()).toBe(0);
  }, 60_000);

  it('answers 404 to someone outside the organization, and shows them no buttons', async () => {
    await page.goto(`${server.url}/`);
    await page.getByRole('button', { name: 'Sign out' }).click();
    await signIn('sam');
    const response = await page.goto(`${server.url}/integrations/${ids.get('Google')}`);
    expect(response?.status()).toBe(404);
    expect(await page.getByRole('button', { name: /Refresh|Test|Disconnect/ }).count()).toBe(0);
  }, 60_000);
});
