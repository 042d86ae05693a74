import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { runCli } from '../../lib/cli/run';
import { runDeliverPass, type DeliverDeps } from '../../lib/notify/deliver';
import { createResendMailer } from '../../lib/notify/mailer';
import { createTestDatabase, postgresAnswers, type TestDatabase } from '../support/database';
import { testKeyRing } from '../support/fixtures';
import { organizationWithEndpoint, oweEmail, oweWebhook } from '../support/outbox';
import { resendErrors, startResendCapture, type ResendCapture } from '../support/resend-capture';
import { startWebhookReceiver, type WebhookReceiver } from '../support/webhook-receiver';

/**
 * `tokenwarden redrive [--emails] [--webhooks] [--since ISO]`: given-up messages back in the
 * queue, through the CLI against a real PostgreSQL, then delivered by the real deliver pass.
 */

const hasPostgres = await postgresAnswers();
const DAY = 86_400_000;
const key = randomBytes(32);

describe.skipIf(!hasPostgres)('redrive', () => {
  let t: TestDatabase;
  let capture: ResendCapture;
  let receiver: WebhookReceiver;
  let env: Record<string, string | undefined>;
  const keyRing = testKeyRing();

  beforeAll(async () => {
    t = await createTestDatabase({ engine: 'postgres' });
    capture = await startResendCapture();
    receiver = await startWebhookReceiver();
    env = { DATABASE_URL: t.url!, TOKEN_ENCRYPTION_KEYS: `cli:${key.toString('base64')}`, NODE_ENV: 'test' };
  });
  afterAll(async () => {
    await receiver?.close();
    await capture?.close();
    await t?.drop();
  });
  beforeEach(async () => {
    await t.db.exec(`delete from public.email_outbox; delete from public.webhook_deliveries;`);
    capture.reset();
  });

  async function cli(argv: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
    let stdout = '';
    let stderr = '';
    const code = await runCli(argv, { stdout: (text) => (stdout += text), stderr: (text) => (stderr += text), env });
    return { code, stdout, stderr };
  }
  function onlyJson(stdout: string): Record<string, unknown> {
    expect(stdout.trimEnd().split('\n')).toHaveLength(1);
    return JSON.parse(stdout) as Record<string, unknown>;
  }
  const deps = (now: Date): DeliverDeps => ({
    db: t.db,
    mailer: createResendMailer(`re_test_${randomBytes(8).toString('hex')}`, { baseUrl: capture.url }),
    emailFrom: 'Tokenwarden <alerts@tokenwarden.example>',
    keyRing,
    fetch: globalThis.fetch,
    now: () => now,
    random: () => 0.5,
    sleep: async () => undefined,
    emailsPerSecond: 1000,
    webhookTimeoutMs: 2_000,
  });
  const deliver = (now: Date) => runDeliverPass(deps(now), { timeBudgetMs: 30_000 });
  const status = async (table: 'email_outbox' | 'webhook_deliveries', id: string) =>
    (await t.db.query<{ status: string; attempts: number }>(`select status, attempts from public.${table} where id = $1`, [id]))[0];

  /** An email Resend refused (a 422 fails it at once) on the pass at `at`. */
  async function failedEmail(at: Date) {
    const owed = await oweEmail(t.db, keyRing, at);
    capture.enqueue(resendErrors.validation());
    expect((await deliver(at)).emails.failed).toBe(1);
    return owed;
  }

  it('puts failed emails and dead webhook deliveries back in the queue, only those last tried since --since, and re-sends nothing already sent', async () => {
    const now = new Date();
    const old = await failedEmail(new Date(now.getTime() - 3 * DAY));
    const recent = await failedEmail(new Date(now.getTime() - DAY));
    const sent = await oweEmail(t.db, keyRing, new Date(now.getTime() - DAY));
    expect((await deliver(new Date(now.getTime() - DAY))).emails.sent).toBe(1);

    // A webhook whose endpoint was disabled is dead-lettered at once; re-enabled, it can go.
    const org = await organizationWithEndpoint(t.db, keyRing, `${receiver.url}/redrive`);
    await oweWebhook(t.db, org, new Date(now.getTime() - DAY));
    await t.db.query(`update public.webhook_endpoints set enabled = false where id = $1`, [org.endpointId]);
    expect((await deliver(new Date(now.getTime() - DAY))).webhooks.dead).toBe(1);
    await t.db.query(`update public.webhook_endpoints set enabled = true where id = $1`, [org.endpointId]);
    const requestsBefore = capture.requests.length;

    const since = new Date(now.getTime() - 2 * DAY).toISOString();
    const run = await cli(['redrive', '--since', since, '--json']);
    expect(run.code, run.stderr).toBe(0);
    expect(onlyJson(run.stdout)).toEqual({ ok: true, emails: 1, webhooks: 1, since });
    expect(run.stderr).toContain('Redriving failed emails and dead webhook deliveries');
    expect(await status('email_outbox', recent.id)).toEqual({ status: 'pending', attempts: 0 });
    expect((await status('email_outbox', old.id))!.status).toBe('failed');
    expect((await status('email_outbox', sent.id))!.status).toBe('sent');

    const pass = await deliver(new Date());
    expect(pass.emails).toMatchObject({ claimed: 1, sent: 1 });
    expect(pass.webhooks).toMatchObject({ claimed: 1, sent: 1 });
    expect(capture.requests.slice(requestsBefore).map((r) => r.idempotencyKey)).toEqual([recent.idempotencyKey]);
    expect(receiver.at('/redrive')).toHaveLength(1);

    // Without --since: the rest; again: nothing left to redrive.
    expect(onlyJson((await cli(['redrive', '--emails', '--json'])).stdout)).toEqual({ ok: true, emails: 1, since: null });
    expect(await status('email_outbox', old.id)).toEqual({ status: 'pending', attempts: 0 });
    expect(onlyJson((await cli(['redrive', '--json'])).stdout)).toEqual({ ok: true, emails: 0, webhooks: 0, since: null });
    expect((await status('email_outbox', sent.id))!.status).toBe('sent');
  });

  it('--webhooks redrives only webhook deliveries, and says how many in words without --json', async () => {
    await failedEmail(new Date(Date.now() - DAY));
    const run = await cli(['redrive', '--webhooks']);
    expect(run.code).toBe(0);
    expect(run.stdout).toBe('Back in the queue: 0 dead webhook deliveries. The deliver job sends them on its next pass.\n');
    const [row] = await t.db.query<{ status: string }>(`select status from public.email_outbox`);
    expect(row!.status).toBe('failed');
  });

  it('refuses a --since that is not ISO-8601, naming the flag, and changes nothing', async () => {
    const failed = await failedEmail(new Date(Date.now() - DAY));
    for (const value of ['yesterday', '25/11/2026', '2026-11-25T09:00:00']) {
      const run = await cli(['redrive', '--since', value, '--json']);
      expect(run.code).toBe(2);
      expect(onlyJson(run.stdout)).toEqual({
        ok: false,
        error: { code: 'usage', message: expect.stringContaining(`--since: "${value}" is not an ISO-8601 date or time`) },
      });
    }
    expect((await status('email_outbox', failed.id))!.status).toBe('failed');
    // A date alone is midnight UTC.
    expect(onlyJson((await cli(['redrive', '--since', '2000-01-01', '--json'])).stdout)).toMatchObject({
      ok: true,
      emails: 1,
      since: '2000-01-01T00:00:00.000Z',
    });
  });
});
