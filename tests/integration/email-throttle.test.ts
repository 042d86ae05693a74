import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../support/database';
import { insertIntegration, insertUser, testKeyRing } from '../support/fixtures';

/**
 * "At most one email per user, integration and type in 24 hours" (docs/contracts.md §5), enforced by
 * public.queue_owed_messages on a real PostgreSQL with the caller's clock: a throttled email
 * is still written, as `skipped` with throttled = true, and is not counted as queued.
 */

let t: TestDatabase;
const keyRing = testKeyRing();
const T = new Date('2026-11-25T09:00:00.000Z');
const at = (ms: number) => new Date(T.getTime() + ms);
const MINUTE = 60_000;
const HOUR = 60 * MINUTE;

interface OutboxRow {
  id: string;
  status: string;
  throttled: boolean;
  idempotency_key: string;
  template: string;
  last_error: string | null;
  created_at: Date;
  next_attempt_at: Date;
  [key: string]: unknown;
}

beforeAll(async () => {
  t = await createTestDatabase();
});
afterAll(async () => {
  await t?.drop();
});

async function subject() {
  const email = `person-${randomUUID()}@example.com`;
  const userId = await insertUser(t.db, email);
  const integrationId = await insertIntegration(t.db, keyRing, { userId });
  return { email, userId, integrationId };
}

type Subject = Awaited<ReturnType<typeof subject>>;

/** One owed email through the SQL function, as record_refresh_result and the expiry check call it. */
async function queue(
  who: Subject,
  now: Date,
  options: { template?: string; key?: string; integrationId?: string } = {},
): Promise<{ emails: number; webhooks: number; key: string }> {
  const key = options.key ?? `${options.template ?? 'integration_disconnected'}/${randomUUID()}/${who.userId}`;
  const integrationId = options.integrationId ?? who.integrationId;
  const [row] = await t.db.query<{ queued: { emails: number; webhooks: number } }>(
    `select public.queue_owed_messages($1, $2, $3::jsonb, '[]'::jsonb) as queued`,
    [
      integrationId,
      now.toISOString(),
      JSON.stringify([
        {
          to_email: who.email,
          template: options.template ?? 'integration_disconnected',
          idempotency_key: key,
          user_id: who.userId,
          payload: { provider: 'google', provider_name: 'Google', action_url: `https://app.example.com/integrations/${integrationId}/reconnect` },
        },
      ]),
    ],
  );
  return { ...row!.queued, key };
}

async function byKey(key: string): Promise<OutboxRow[]> {
  return t.db.query<OutboxRow>(`select * from public.email_outbox where idempotency_key = $1`, [key]);
}

describe('queue_owed_messages: the 24-hour email throttle', () => {
  it('throttles a second email for the same user, integration and template within 24 hours, and lets one through after', async () => {
    const who = await subject();

    const first = await queue(who, T);
    expect(first).toMatchObject({ emails: 1, webhooks: 0 });
    expect(await byKey(first.key)).toEqual([
      expect.objectContaining({ status: 'pending', throttled: false, last_error: null, created_at: T, next_attempt_at: T }),
    ]);

    const within = await queue(who, at(23 * HOUR + 59 * MINUTE));
    expect(within.emails).toBe(0);
    const [throttled] = await byKey(within.key);
    expect(throttled).toMatchObject({ status: 'skipped', throttled: true, created_at: at(23 * HOUR + 59 * MINUTE) });
    expect(throttled!.last_error).toMatch(/throttled/);

    const after = await queue(who, at(24 * HOUR + MINUTE));
    expect(after.emails).toBe(1);
    expect(await byKey(after.key)).toEqual([expect.objectContaining({ status: 'pending', throttled: false })]);

    const rows = await t.db.query<{ status: string }>(
      `select status from public.email_outbox where user_id = $1 and integration_id = $2 order by created_at`,
      [who.userId, who.integrationId],
    );
    expect(rows.map((r) => r.status)).toEqual(['pending', 'skipped', 'pending']);
  });

  it('counts a sent email as well as a pending one', async () => {
    const who = await subject();
    const first = await queue(who, T);
    await t.db.query(`update public.email_outbox set status = 'sent', sent_at = $2 where idempotency_key = $1`, [first.key, at(MINUTE).toISOString()]);

    const second = await queue(who, at(HOUR));
    expect(second.emails).toBe(0);
    expect(await byKey(second.key)).toEqual([expect.objectContaining({ status: 'skipped', throttled: true })]);
  });

  it('does not throttle a different template or a different integration', async () => {
    const who = await subject();
    const otherIntegration = await insertIntegration(t.db, keyRing, { userId: who.userId });
    expect((await queue(who, T)).emails).toBe(1);

    // The warning email is opt-in (notification_preferences): this person opted in.
    await t.db.query(`insert into public.notification_preferences (user_id, email_auth_warning) values ($1, true)`, [who.userId]);
    const otherTemplate = await queue(who, at(MINUTE), { template: 'integration_warning' });
    expect(otherTemplate.emails).toBe(1);
    expect(await byKey(otherTemplate.key)).toEqual([expect.objectContaining({ status: 'pending', throttled: false })]);

    const otherConnection = await queue(who, at(2 * MINUTE), { integrationId: otherIntegration });
    expect(otherConnection.emails).toBe(1);
    expect(await byKey(otherConnection.key)).toEqual([expect.objectContaining({ status: 'pending', throttled: false })]);
  });

  it('does not throttle another user about the same integration', async () => {
    const owner = await subject();
    const colleague = { ...(await subject()), integrationId: owner.integrationId };
    expect((await queue(owner, T)).emails).toBe(1);
    const other = await queue(colleague, at(MINUTE));
    expect(other.emails).toBe(1);
    expect(await byKey(other.key)).toEqual([expect.objectContaining({ status: 'pending', throttled: false })]);
  });

  it('writes one row for the same idempotency key queued twice, and counts it once', async () => {
    const who = await subject();
    const key = `integration_disconnected/${randomUUID()}/${who.userId}`;
    const first = await queue(who, T, { key });
    const again = await queue(who, at(MINUTE), { key });
    expect(first.emails).toBe(1);
    expect(again.emails).toBe(0);
    expect(await byKey(key)).toEqual([expect.objectContaining({ status: 'pending', throttled: false, created_at: T })]);
  });

  it('lets exactly one of 10 concurrent calls for the same user, integration and template through', async () => {
    const who = await subject();
    const results = await Promise.all(Array.from({ length: 10 }, () => queue(who, T)));

    expect(results.reduce((sum, r) => sum + r.emails, 0)).toBe(1);
    const rows = await t.db.query<OutboxRow>(
      `select * from public.email_outbox where user_id = $1 and integration_id = $2`,
      [who.userId, who.integrationId],
    );
    expect(rows).toHaveLength(10);
    expect(rows.filter((r) => r.status === 'pending')).toHaveLength(1);
    expect(rows.filter((r) => r.status === 'skipped' && r.throttled)).toHaveLength(9);
    const pending = rows.find((r) => r.status === 'pending')!;
    expect(results.find((r) => r.emails === 1)!.key).toBe(pending.idempotency_key);
  });
});
