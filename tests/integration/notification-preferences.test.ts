import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { asUser } from '../../lib/db/user-context';
import {
  DEFAULT_NOTIFICATION_PREFERENCES,
  getNotificationPreferences,
  saveNotificationPreferences,
  type NotificationPreferences,
} from '../../lib/db/notification-preferences';
import type { PassSummary } from '../../lib/refresh/run-pass';
import { createTestDatabase } from '../support/database';
import { responses, startFaultProvider, type FaultProvider } from '../support/fault-provider';
import { insertUser } from '../support/fixtures';
import { createRefreshHarness, type RefreshHarness } from '../support/refresh-harness';
import { migrate } from '../../lib/db/migrate';

/**
 * Notification preferences (issue 11, Deliver 5; docs/contracts.md §5): the person's choice is
 * honoured by public.queue_owed_messages, in the transaction that records the refresh result.
 * Opt-out emails (disconnections, expiries) turned off are kept as `skipped` with the reason;
 * the opt-in "having trouble" email is written only for those who opted in.
 */

let fault: FaultProvider;
let h: RefreshHarness;

beforeAll(async () => {
  fault = await startFaultProvider();
  fault.setFallback(responses.oauthError(400, 'unscripted_request'));
  h = await createRefreshHarness([{ id: 'fault', name: 'Fault Co', tokenUrl: fault.tokenUrl, clientId: 'fault-client-id', clientSecret: `fault-secret-${randomUUID()}` }]);
});

afterAll(async () => {
  await h?.close();
  await fault?.close();
});

// Consecutive passes over one connection are cron ticks apart, as in production.
let clockOffsetMs = 0;
const now = () => new Date(Date.now() + clockOffsetMs);
function pass(integrationId: string): Promise<PassSummary> {
  clockOffsetMs += 5 * 60_000;
  return h.pass({ integrationId }, { now });
}

async function person(preferences?: Partial<NotificationPreferences>): Promise<string> {
  const userId = await insertUser(h.t.db, `person-${randomUUID()}@example.com`);
  if (preferences) {
    await asUser(h.t.db, userId, (tx) => saveNotificationPreferences(tx, userId, { ...DEFAULT_NOTIFICATION_PREFERENCES, ...preferences }));
  }
  return userId;
}

type Outbox = { template: string; status: string; last_error: string | null; user_id: string; throttled: boolean };
const outbox = (integrationId: string) =>
  h.t.db.query<Outbox>(
    `select template, status, last_error, user_id, throttled from public.email_outbox where integration_id = $1 order by created_at`,
    [integrationId],
  );
const notes = (integrationId: string) =>
  h.t.db.query<{ type: string; user_id: string }>(`select type, user_id from public.notifications where integration_id = $1 order by created_at`, [
    integrationId,
  ]);

describe('notification preferences decide the emails, in SQL', () => {
  it('by default, a disconnect queues its email as pending', async () => {
    const userId = await person();
    const id = await h.seed({ provider: 'fault', userId, consecutiveFailures: 2 });
    fault.enqueue({ status: 401, body: 'Unauthorized' });
    const summary = await pass(id);
    expect(summary.disconnected).toBe(1);
    expect(summary.emailsQueued).toBe(1);
    expect(await notes(id)).toEqual([{ type: 'integration_disconnected', user_id: userId }]);
    expect(await outbox(id)).toEqual([{ template: 'integration_disconnected', status: 'pending', last_error: null, user_id: userId, throttled: false }]);
  });

  it('with disconnection emails off, a disconnect still writes the notification, and the email is skipped with the reason', async () => {
    const userId = await person({ email_disconnections: false });
    const id = await h.seed({ provider: 'fault', userId });
    fault.enqueue(responses.oauthError(400, 'invalid_grant'));
    const summary = await pass(id);
    expect(summary.disconnected).toBe(1);
    expect(summary.notificationsCreated).toBe(1);
    expect(summary.emailsQueued).toBe(0);
    expect(await notes(id)).toEqual([{ type: 'integration_disconnected', user_id: userId }]);
    expect(await outbox(id)).toEqual([
      { template: 'integration_disconnected', status: 'skipped', last_error: 'the user turned these emails off', user_id: userId, throttled: false },
    ]);
  });

  it('by default, the 2nd auth failure is in-app only: no email row at all', async () => {
    const userId = await person();
    const id = await h.seed({ provider: 'fault', userId, consecutiveFailures: 1 });
    fault.enqueue({ status: 401, body: 'Unauthorized' });
    const summary = await pass(id);
    expect(summary.authFailures).toBe(1);
    expect(summary.notificationsCreated).toBe(1);
    expect(summary.emailsQueued).toBe(0);
    expect(await notes(id)).toEqual([{ type: 'integration_warning', user_id: userId }]);
    expect(await outbox(id)).toEqual([]);
  });

  it('opted in to the auth warning, the 2nd auth failure queues a "having trouble" email (and the 1st none)', async () => {
    const userId = await person({ email_auth_warning: true });
    const id = await h.seed({ provider: 'fault', userId });
    fault.enqueue({ status: 401, body: 'Unauthorized' });
    expect((await pass(id)).emailsQueued).toBe(0);
    expect(await outbox(id)).toEqual([]);

    fault.enqueue({ status: 401, body: 'Unauthorized' });
    const summary = await pass(id);
    expect(summary.emailsQueued).toBe(1);
    expect(await outbox(id)).toEqual([{ template: 'integration_warning', status: 'pending', last_error: null, user_id: userId, throttled: false }]);
    const [row] = await h.t.db.query<{ payload: { title: string; message: string } }>(
      `select payload from public.email_outbox where integration_id = $1`,
      [id],
    );
    expect(row!.payload).toMatchObject({ title: 'Trouble connecting to Fault Co', message: expect.stringContaining("We're having trouble connecting to Fault Co") });
  });

  it('with expiry emails off, an owed expiry email is skipped with the reason; restored emails are not chosen', async () => {
    const userId = await person({ email_expiring: false });
    const id = await h.seed({ provider: 'fault', userId });
    const [row] = await h.t.db.query<{ queued: { emails: number } }>(
      `select public.queue_owed_messages($1, now(), $2::jsonb, '[]'::jsonb) as queued`,
      [
        id,
        JSON.stringify(
          ['integration_token_expiring', 'integration_restored'].map((template) => ({
            to_email: 'someone@example.com',
            template,
            idempotency_key: `${template}/${id}/${userId}`,
            user_id: userId,
            payload: {},
          })),
        ),
      ],
    );
    expect(row!.queued.emails).toBe(1);
    const rows = await outbox(id);
    expect(rows.map((r) => [r.template, r.status, r.last_error])).toEqual(
      expect.arrayContaining([
        ['integration_token_expiring', 'skipped', 'the user turned these emails off'],
        ['integration_restored', 'pending', null],
      ]),
    );
  });
});

describe('notification preferences: RLS', () => {
  it('gives the defaults to someone who never chose, and keeps what they save', async () => {
    const userId = await person();
    expect(await asUser(h.t.db, userId, (tx) => getNotificationPreferences(tx, userId))).toEqual(DEFAULT_NOTIFICATION_PREFERENCES);
    const saved = { email_disconnections: false, email_expiring: true, email_auth_warning: true };
    await asUser(h.t.db, userId, (tx) => saveNotificationPreferences(tx, userId, saved));
    expect(await asUser(h.t.db, userId, (tx) => getNotificationPreferences(tx, userId))).toEqual(saved);
  });

  it('lets nobody read or change another person\'s preferences', async () => {
    const owner = await person({ email_disconnections: false });
    const other = await person();
    // Reading: the row is invisible, so the other person sees nothing of it.
    const seen = await asUser(h.t.db, other, (tx) => tx.query(`select * from public.notification_preferences where user_id = $1`, [owner]));
    expect(seen).toEqual([]);
    // Updating: no row matches.
    const updated = await asUser(h.t.db, other, (tx) =>
      tx.query(`update public.notification_preferences set email_disconnections = true where user_id = $1 returning user_id`, [owner]),
    );
    expect(updated).toEqual([]);
    // Writing a row in their name: refused by the policy (on conflict would update it).
    await expect(asUser(h.t.db, other, (tx) => saveNotificationPreferences(tx, owner, DEFAULT_NOTIFICATION_PREFERENCES))).rejects.toThrow(
      /row-level security/,
    );
    const [kept] = await h.t.db.query<{ email_disconnections: boolean }>(
      `select email_disconnections from public.notification_preferences where user_id = $1`,
      [owner],
    );
    expect(kept!.email_disconnections).toBe(false);
  });
});

describe('notification preferences on PGlite', () => {
  it('the migration runs, and an unwanted email is skipped there too', async () => {
    const t = await createTestDatabase({ engine: 'pglite', migrated: false });
    try {
      await migrate(t.db);
      const userId = await insertUser(t.db, `pglite-${randomUUID()}@example.com`);
      await t.db.query(`insert into public.notification_preferences (user_id, email_disconnections) values ($1, false)`, [userId]);
      const [row] = await t.db.query<{ off: boolean; warning: boolean; fresh: boolean }>(
        `select public.wants_email($1, 'integration_disconnected') as off, public.wants_email($1, 'integration_warning') as warning,
                public.wants_email(gen_random_uuid(), 'integration_token_expiring') as fresh`,
        [userId],
      );
      expect(row).toEqual({ off: false, warning: false, fresh: true });
    } finally {
      await t.drop();
    }
  });
});
