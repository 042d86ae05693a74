import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { startDemo, type DemoServer } from '../support/next-server';
import { chromiumAvailable, docsScreenshot, launchBrowser } from '../support/browser';

/**
 * /notifications and /settings/notifications in the demo, as people use them: Lee turns
 * disconnection emails off; then the revoked Xero connection dies, and Dana gets its email
 * while Lee, told in the app like everyone, gets none. The inbox lists the notifications with
 * their unread state in words, and "Mark all read" clears it. The screenshots in
 * docs/screenshots are taken here, so they stay true.
 *
 * The demo runs without automatic refreshes (DEMO_TICK_SECONDS=0): Xero dies only when Dana,
 * the operator, runs a pass from /admin/operations, after Lee's choice is saved, so the order
 * is the test's and not a race with the scheduler.
 */
describe.runIf(chromiumAvailable())('notifications and preferences in Chromium', () => {
  let server: DemoServer;
  let browser: Browser;
  /** Dana (operator, the connection's user) and Lee (manages the organization's integrations), each in a context of their own. */
  let dana: Page;
  let lee: Page;
  let app: string;

  const signIn = async (who: 'dana' | 'lee'): Promise<Page> => {
    const context = await browser.newContext({ viewport: { width: 1100, height: 900 } });
    const page = await context.newPage();
    await page.goto(`${app}/sign-in`);
    await page.getByRole('button', { name: new RegExp(`Continue as ${who}`) }).click();
    await page.waitForURL(`${app}/`);
    return page;
  };

  beforeAll(async () => {
    server = await startDemo({ dataDirPrefix: 'tw-notifications-', tickSeconds: 0 });
    app = server.app;
    browser = await launchBrowser();
    dana = await signIn('dana');
    lee = await signIn('lee');
  }, 600_000);

  afterAll(async () => {
    await browser?.close();
    await server?.stop();
  });

  it('Lee turns disconnection emails off, and they stay off after a reload', async () => {
    await lee.goto(`${app}/settings/notifications`);
    const disconnections = lee.getByLabel('Email me when a connection is disconnected');
    const warning = lee.getByLabel('Email me when we are having trouble connecting');
    await disconnections.waitFor({ timeout: 60_000 });
    expect(await disconnections.isChecked()).toBe(true);
    expect(await warning.isChecked()).toBe(false);
    await disconnections.uncheck();
    await warning.check();
    await lee.getByRole('button', { name: 'Save' }).click();
    await expect.poll(() => lee.getByRole('status').innerText(), { timeout: 30_000 }).toBe('Saved.');
    await lee.reload();
    await disconnections.waitFor({ timeout: 60_000 });
    expect(await disconnections.isChecked()).toBe(false);
    expect(await warning.isChecked()).toBe(true);
    expect(await lee.getByLabel('Email me when a connection is about to expire').isChecked()).toBe(true);
    await docsScreenshot(lee, 'preferences');
  }, 120_000);

  it('nothing is disconnected yet: no disconnection email is in the mailbox', async () => {
    await dana.goto(`${app}/dev/mailbox`);
    await dana.locator('h1', { hasText: 'Dev mailbox' }).waitFor({ timeout: 30_000 });
    expect(await dana.locator('tr[data-email-id]', { hasText: 'integration_disconnected' }).count()).toBe(0);
  }, 60_000);

  it('the operator runs a refresh pass, and the revoked Xero connection is found dead', async () => {
    await dana.goto(`${app}/admin/operations`);
    await dana.getByRole('button', { name: 'Run a pass' }).click();
    const summary = dana.locator('form', { has: dana.getByRole('button', { name: 'Run a pass' }) }).getByRole('status');
    await expect.poll(() => summary.innerText(), { timeout: 60_000 }).toMatch(/^Pass done in \d+ ms: .*; [1-9]\d* need reauthorization\.$/);
  }, 90_000);

  it('lists Dana’s notifications, unread ones said in words, each linking to its connection', async () => {
    await dana.goto(`${app}/notifications`);
    await expect.poll(() => dana.locator('h1').innerText(), { timeout: 60_000 }).toBe('Notifications');
    const dead = dana.locator('li[data-notification-id]', { hasText: 'Xero disconnected' }).first();
    await expect.poll(() => dead.count(), { timeout: 30_000 }).toBe(1);
    expect(await dead.innerText()).toMatch(/Unread/);
    expect(await dead.getByRole('link', { name: 'Xero disconnected' }).getAttribute('href')).toMatch(/^\/integrations\/[0-9a-f-]{36}$/);
    expect(await dead.getByRole('link', { name: /Reconnect Xero/ }).getAttribute('href')).toMatch(/^\/connect\/xero\?integration=/);
    await docsScreenshot(dana, 'notifications');
  }, 90_000);

  it('marks all read: no item says Unread any more, and the summary says nothing is unread', async () => {
    await dana.getByRole('button', { name: 'Mark all read' }).click();
    await expect.poll(() => dana.getByTestId('unread-summary').innerText(), { timeout: 30_000 }).toMatch(/Nothing unread/);
    expect(await dana.locator('li[data-notification-id][data-read="false"]').count()).toBe(0);
    await dana.reload();
    expect(await dana.getByTestId('unread-summary').innerText()).toMatch(/Nothing unread/);
  }, 60_000);

  it('stopped the email: Dana gets the disconnection email, Lee gets the notification but not the email', async () => {
    // Lee is one of the connection's people: told in the app (notifications are not chosen).
    await lee.goto(`${app}/notifications`);
    await expect.poll(() => lee.locator('li[data-notification-id]', { hasText: 'Xero disconnected' }).count(), { timeout: 30_000 }).toBe(1);

    // The outbox keeps a row for Lee, skipped with the reason, so operators can see why no
    // email went; Dana's is sent (without RESEND_API_KEY the demo keeps it here instead).
    await dana.goto(`${app}/dev/mailbox`);
    const disconnectionEmails = dana.locator('tr[data-email-id]', { hasText: 'integration_disconnected' });
    const danas = disconnectionEmails.filter({ hasText: 'dana@demo.tokenwarden.dev' });
    const lees = disconnectionEmails.filter({ hasText: 'lee@demo.tokenwarden.dev' });
    await expect.poll(() => danas.count(), { timeout: 30_000 }).toBe(1);
    expect(await lees.count()).toBe(1);
    expect(await lees.innerText()).toMatch(/skipped\s+the user turned these emails off/);
    expect(await danas.innerText()).not.toMatch(/turned these emails off/);
    expect(await danas.innerText()).toMatch(/pending|RESEND_API_KEY is not set/);
  }, 60_000);
});
