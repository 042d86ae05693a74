import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { startDemo, type DemoServer } from '../support/next-server';
import { chromiumAvailable, launchBrowser } from '../support/browser';

/**
 * The way back and the way in, as a person does it in the demo: the revoked Xero connection
 * is reconnected from its notification's link, through the bundled OAuth server's sign-in and
 * consent pages, and turns green, with the restored notice and its email; then a new account
 * is connected from the dashboard's Connect section.
 */
describe.runIf(chromiumAvailable())('connect and reconnect in Chromium', () => {
  let server: DemoServer;
  let browser: Browser;
  let page: Page;
  /** The demo's APP_URL (http://localhost:PORT): its links and its OAuth callback are on this origin. */
  let app: string;
  const cspViolations: string[] = [];

  beforeAll(async () => {
    server = await startDemo({ dataDirPrefix: 'tw-connect-' });
    app = server.app;
    browser = await launchBrowser();
    page = await browser.newPage();
    page.on('console', (message) => {
      if (message.type() === 'error' && /Content Security Policy/i.test(message.text())) cspViolations.push(message.text());
    });
  }, 600_000);

  afterAll(async () => {
    await browser?.close();
    await server?.stop();
  });

  const xeroRow = () => page.locator('tr[data-integration-id]', { hasText: 'Xero' });

  it('signs Dana in and shows the revoked Xero connection dead, with its notification', async () => {
    await page.goto(`${app}/`);
    await page.waitForURL(/\/sign-in$/);
    await page.getByRole('button', { name: /Continue as dana/ }).click();
    await page.waitForURL(`${app}/`);
    await expect.poll(() => xeroRow().innerText(), { timeout: 60_000, interval: 1_000 }).toMatch(/needs reauthorization/);
    const note = page.locator('li[data-notification-id]', { hasText: 'Xero disconnected' });
    await expect.poll(() => note.count(), { timeout: 20_000 }).toBeGreaterThan(0);
  }, 120_000);

  it("follows the notification's link to a reconnect page that says what happened", async () => {
    const note = page.locator('li[data-notification-id]', { hasText: 'Xero disconnected' }).first();
    await note.getByRole('link', { name: 'Reconnect' }).click();
    await page.waitForURL(/\/integrations\/[0-9a-f-]{36}\/reconnect$/, { timeout: 30_000 });
    await expect.poll(() => page.locator('h1').innerText(), { timeout: 30_000 }).toBe('Reconnect Xero');
    const text = await page.locator('main').innerText();
    expect(text).toMatch(/needs reauthorization/);
    expect(text).toMatch(/Xero no longer accepts this connection/);
    expect(text).toMatch(/invalid_grant/);
    expect(text).toMatch(/It failed \(/);
  }, 60_000);

  it('reconnects through the bundled OAuth server as the same account, and comes back restored', async () => {
    await page.getByRole('link', { name: 'Reconnect Xero' }).click();
    // The bundled server's own sign-in page, prefilled with the connection's account (login_hint).
    const login = page.getByLabel('Login');
    await login.waitFor({ timeout: 30_000 });
    expect(await login.inputValue()).toBe('dana@demo.tokenwarden.dev/xero');
    await page.getByLabel('Password').fill('anything');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('button', { name: 'Allow' }).click();

    await page.waitForURL(/\/integrations\/[0-9a-f-]{36}\/reconnect\?connect=restored&integration=/, { timeout: 30_000 });
    const status = page.getByRole('status');
    await expect.poll(() => status.innerText(), { timeout: 30_000 }).toMatch(/Xero reconnected/);
    expect(await page.locator('main').innerText()).toMatch(/This connection works: nothing to do\./);
  }, 90_000);

  it('shows Xero green on the dashboard, the restored notice, and its email in the dev mailbox', async () => {
    await page.getByRole('link', { name: 'Back to your connections' }).click();
    await page.waitForURL(`${app}/`);
    await expect.poll(() => xeroRow().innerText(), { timeout: 30_000 }).toMatch(/\bconnected\b/);
    expect(await xeroRow().innerText()).not.toMatch(/needs reauthorization/);
    // Nine rows still: reconnected in place, not a second Xero connection.
    expect(await page.locator('tr[data-integration-id]').count()).toBe(9);
    const restored = page.locator('li[data-notification-id]', { hasText: 'Xero reconnected' });
    await expect.poll(() => restored.count(), { timeout: 30_000 }).toBe(1);
    expect(await restored.innerText()).toMatch(/Xero is connected again\./);

    await page.getByRole('link', { name: 'Dev mailbox' }).click();
    await page.waitForURL(/\/dev\/mailbox$/);
    // One restored email to each of the connection's people: Dana (its user) and Lee (who manages the organization's integrations).
    const restoredEmails = page.locator('tr[data-email-id]', { hasText: 'integration_restored' });
    await expect.poll(() => restoredEmails.count(), { timeout: 30_000 }).toBe(2);
    const danas = restoredEmails.filter({ hasText: 'dana@demo.tokenwarden.dev' });
    expect(await danas.count()).toBe(1);
    await danas.getByRole('link', { name: 'integration_restored' }).click();
    await page.waitForURL(/\/dev\/mailbox\/[0-9a-f-]{36}$/, { timeout: 30_000 });
    await expect.poll(() => page.locator('h1').innerText(), { timeout: 30_000 }).toMatch(/^Xero reconnected$/);
    expect(await page.locator('iframe').getAttribute('srcdoc')).toContain('Xero is connected again.');
  }, 120_000);

  it("connects a new account from the dashboard's Connect section", async () => {
    await page.goto(`${app}/`);
    const rowsBefore = await page.locator('tr[data-integration-id]').count();
    const mine = page.getByRole('list', { name: 'Connect for yourself' });
    await mine.getByRole('link', { name: 'Connect Dropbox' }).click();

    const login = page.getByLabel('Login');
    await login.waitFor({ timeout: 30_000 });
    await login.fill('dana.files@example.test');
    await page.getByLabel('Password').fill('anything');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('button', { name: 'Allow' }).click();

    await page.waitForURL(/\/\?connect=connected&integration=[0-9a-f-]{36}$/, { timeout: 30_000 });
    await expect.poll(() => page.getByRole('status').innerText(), { timeout: 30_000 }).toMatch(/Dropbox connected/);
    await expect.poll(() => page.locator('tr[data-integration-id]').count(), { timeout: 30_000 }).toBe(rowsBefore + 1);
    const dropbox = page.locator('tr[data-integration-id]', { hasText: 'dana.files@example.test' });
    expect(await dropbox.innerText()).toMatch(/Dropbox/);
    expect(await dropbox.innerText()).toMatch(/\bconnected\b/);
    // The new connection is Dana's to manage: it offers Disconnect.
    expect(await dropbox.getByRole('button', { name: /Disconnect Dropbox/ }).count()).toBe(1);
  }, 90_000);

  it('disconnects it after asking, and then offers Reconnect', async () => {
    const dropbox = page.locator('tr[data-integration-id]', { hasText: 'dana.files@example.test' });
    const asked: string[] = [];
    page.once('dialog', (dialog) => {
      asked.push(dialog.message());
      void dialog.accept();
    });
    // Keyboard, as anyone may use it: focus the button and press Enter.
    await dropbox.getByRole('button', { name: /Disconnect Dropbox/ }).focus();
    await page.keyboard.press('Enter');
    await expect.poll(() => dropbox.innerText(), { timeout: 30_000 }).toMatch(/\bdisconnected\b/);
    expect(asked).toEqual([expect.stringMatching(/^Disconnect Dropbox/)]);
    expect(await dropbox.innerText()).toMatch(/Disconnected by dana@demo\.tokenwarden\.dev/);
    expect(await dropbox.getByRole('link', { name: /Reconnect Dropbox/ }).count()).toBe(1);
    expect(await dropbox.getByRole('button', { name: /Disconnect/ }).count()).toBe(0);

    // Its reconnect page says so, with a way back.
    const id = await dropbox.getAttribute('data-integration-id');
    await page.goto(`${app}/integrations/${id}/reconnect`);
    await expect.poll(() => page.locator('main').innerText(), { timeout: 30_000 }).toMatch(/You disconnected it\./);
    expect(await page.locator('main').innerText()).toMatch(/Disconnected by dana@demo\.tokenwarden\.dev/);
    expect(await page.getByRole('link', { name: 'Reconnect Dropbox' }).getAttribute('href')).toBe(
      `/connect/dropbox?integration=${id}&return_to=%2Fintegrations%2F${id}%2Freconnect`,
    );
  }, 60_000);

  it('refuses a reconnect that signs in as another account, naming both, and changes nothing', async () => {
    await page.goto(`${app}/`);
    const salesforce = page.locator('tr[data-integration-id]', { hasText: 'Salesforce' });
    await salesforce.getByRole('link', { name: /Reconnect Salesforce/ }).click();
    const login = page.getByLabel('Login');
    await login.waitFor({ timeout: 30_000 });
    expect(await login.inputValue()).toBe('dana@demo.tokenwarden.dev/salesforce');
    await login.fill('someone.else@example.test');
    await page.getByLabel('Password').fill('anything');
    await page.getByRole('button', { name: 'Sign in' }).click();
    const refused = page.waitForResponse((response) => response.url().includes('/api/connect/callback'));
    await page.getByRole('button', { name: 'Allow' }).click();
    expect((await refused).status()).toBe(409);
    const text = await page.locator('body').innerText();
    expect(text).toContain('someone.else@example.test');
    expect(text).toContain('dana@demo.tokenwarden.dev/salesforce');

    await page.goto(`${app}/`);
    expect(await salesforce.innerText()).toMatch(/needs reauthorization/);
    expect(cspViolations).toEqual([]);
  }, 60_000);
});
