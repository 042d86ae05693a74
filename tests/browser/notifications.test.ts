import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { freePort, ROOT, spawnServer, type RunningServer } from '../support/next-server';
import { chromiumAvailable, launchBrowser } from '../support/browser';

/**
 * /notifications and /settings/notifications in the demo, as a person uses them: the inbox
 * lists the demo's notifications with their unread state in words, "Mark all read" clears it,
 * and an email turned off on the preferences page stays off after a reload. The screenshots
 * in docs/screenshots are taken here, so they stay true.
 */
describe.runIf(chromiumAvailable())('notifications and preferences in Chromium', () => {
  let server: RunningServer;
  let browser: Browser;
  let page: Page;
  let app: string;

  beforeAll(async () => {
    const port = await freePort();
    server = await spawnServer(process.execPath, [join(ROOT, 'node_modules', 'tsx', 'dist', 'cli.mjs'), 'scripts/demo.ts'], {
      env: {
        PATH: process.env.PATH,
        HOME: process.env.HOME,
        PORT: String(port),
        DEMO_OAUTH_PORT: String(await freePort()),
        DEMO_TICK_SECONDS: '3',
        TOKENWARDEN_DATA_DIR: mkdtempSync(join(tmpdir(), 'tw-notifications-')),
      },
      port,
      timeoutMs: 120_000,
    });
    app = `http://localhost:${port}`;
    browser = await launchBrowser();
    page = await browser.newPage({ viewport: { width: 1100, height: 900 } });
  }, 180_000);

  afterAll(async () => {
    await browser?.close();
    await server?.stop();
  });

  it('signs Dana in and lists her notifications, unread ones said in words, each linking to its connection', async () => {
    await page.goto(`${app}/`);
    await page.waitForURL(/\/sign-in$/);
    await page.getByRole('button', { name: /Continue as dana/ }).click();
    await page.waitForURL(`${app}/`);
    await page.goto(`${app}/notifications`);
    await expect.poll(() => page.locator('h1').innerText(), { timeout: 60_000 }).toBe('Notifications');
    const dead = page.locator('li[data-notification-id]', { hasText: 'Xero disconnected' }).first();
    await expect.poll(() => dead.count(), { timeout: 60_000, interval: 2_000 }).toBe(1);
    await page.reload();
    expect(await dead.innerText()).toMatch(/Unread/);
    expect(await dead.getByRole('link', { name: 'Xero disconnected' }).getAttribute('href')).toMatch(/^\/integrations\/[0-9a-f-]{36}$/);
    expect(await dead.getByRole('link', { name: /Reconnect Xero/ }).getAttribute('href')).toMatch(/^\/connect\/xero\?integration=/);
    await page.screenshot({ path: join(ROOT, 'docs', 'screenshots', 'notifications.png'), fullPage: true });
  }, 180_000);

  it('marks all read: no item says Unread any more, and the summary says nothing is unread', async () => {
    await page.getByRole('button', { name: 'Mark all read' }).click();
    await expect.poll(() => page.getByTestId('unread-summary').innerText(), { timeout: 30_000 }).toMatch(/Nothing unread/);
    expect(await page.locator('li[data-notification-id][data-read="false"]').count()).toBe(0);
    await page.reload();
    expect(await page.getByTestId('unread-summary').innerText()).toMatch(/Nothing unread/);
  }, 60_000);

  it('turns disconnection emails off, and they stay off after a reload', async () => {
    await page.goto(`${app}/settings/notifications`);
    const disconnections = page.getByLabel('Email me when a connection is disconnected');
    const warning = page.getByLabel('Email me when we are having trouble connecting');
    await disconnections.waitFor({ timeout: 60_000 });
    expect(await disconnections.isChecked()).toBe(true);
    expect(await warning.isChecked()).toBe(false);
    await disconnections.uncheck();
    await warning.check();
    await page.getByRole('button', { name: 'Save' }).click();
    await expect.poll(() => page.getByRole('status').innerText(), { timeout: 30_000 }).toBe('Saved.');
    await page.reload();
    await disconnections.waitFor({ timeout: 60_000 });
    expect(await disconnections.isChecked()).toBe(false);
    expect(await warning.isChecked()).toBe(true);
    expect(await page.getByLabel('Email me when a connection is about to expire').isChecked()).toBe(true);
    await page.screenshot({ path: join(ROOT, 'docs', 'screenshots', 'preferences.png'), fullPage: true });
  }, 120_000);
});
