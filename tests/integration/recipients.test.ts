import { randomBytes, randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { responses, startFaultProvider, type FaultProvider } from '../support/fault-provider';
import { insertOrganization, insertUser } from '../support/fixtures';
import { createRefreshHarness, type RefreshHarness } from '../support/refresh-harness';

/**
 * Who hears about a connection (docs/contracts.md §5, "tells the right people once"): its own user
 * and, for an organization's connection, the owners, admins and members allowed to manage
 * integrations — each person once, however many of those roles they hold, and each event
 * once, however often it is recorded.
 */

let fault: FaultProvider;
let h: RefreshHarness;

beforeAll(async () => {
  fault = await startFaultProvider();
  // Unless a test queues something else, the refresh token is dead.
  fault.setFallback(responses.oauthError(400, 'invalid_grant', 'refresh token revoked'));
  h = await createRefreshHarness([
    { id: 'fault', name: 'Fault Co', tokenUrl: fault.tokenUrl, clientId: 'fault-client-id', clientSecret: `secret-${randomBytes(8).toString('hex')}` },
  ]);
});

afterAll(async () => {
  await h?.close();
  await fault?.close();
});

interface Person {
  id: string;
  email: string;
}

async function person(label: string): Promise<Person> {
  const email = `${label}-${randomUUID()}@example.com`;
  return { id: await insertUser(h.t.db, email), email };
}

async function notificationsOf(integrationId: string) {
  return h.t.db.query<{ user_id: string; type: string; dedupe_key: string; organization_id: string | null }>(
    `select user_id, type, dedupe_key, organization_id from public.notifications where integration_id = $1 order by created_at, user_id`,
    [integrationId],
  );
}

async function emailsOf(integrationId: string) {
  return h.t.db.query<{ to_email: string; user_id: string; template: string; status: string; throttled: boolean; idempotency_key: string }>(
    `select to_email, user_id, template, status, throttled, idempotency_key from public.email_outbox where integration_id = $1 order by created_at, to_email`,
    [integrationId],
  );
}

/** How many rows each user got, as a plain object (users absent got none). */
function perUser(rows: { user_id: string }[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const row of rows) counts[row.user_id] = (counts[row.user_id] ?? 0) + 1;
  return counts;
}

describe('recipients of an organization integration', () => {
  let owner: Person;
  let admin: Person; // also the integration's own user
  let manager: Person; // member with can_manage_integrations
  let member: Person; // member without it
  let outsider: Person; // owner of another organization
  let orgId: string;
  let integrationId: string;
  let clock: number;
  const at = () => new Date(clock);

  beforeAll(async () => {
    owner = await person('owner');
    admin = await person('admin');
    manager = await person('manager');
    member = await person('member');
    outsider = await person('outsider');
    orgId = await insertOrganization(h.t.db, `Recipients ${randomUUID()}`, [
      { userId: owner.id, role: 'owner' },
      { userId: admin.id, role: 'admin', canManage: true },
      { userId: manager.id, role: 'member', canManage: true },
      { userId: member.id, role: 'member', canManage: false },
    ]);
    await insertOrganization(h.t.db, `Elsewhere ${randomUUID()}`, [{ userId: outsider.id, role: 'owner' }]);
    integrationId = await h.seed({ provider: 'fault', organizationId: orgId, userId: admin.id });
    clock = Date.now();
  });

  it('tells the integration user, the owner, the admin and the managing member once each, never the plain member', async () => {
    const summary = await h.pass({ integrationId }, { now: at });
    expect(summary).toMatchObject({ claimed: 1, authFailures: 1, disconnected: 1, notificationsCreated: 3, emailsQueued: 3 });

    const notifications = await notificationsOf(integrationId);
    expect(perUser(notifications)).toEqual({ [admin.id]: 1, [owner.id]: 1, [manager.id]: 1 });
    for (const n of notifications) {
      expect(n).toMatchObject({ type: 'integration_disconnected', organization_id: orgId, dedupe_key: expect.stringMatching(/^disconnect\//) });
    }

    const emails = await emailsOf(integrationId);
    expect(emails.map((e) => e.to_email).sort()).toEqual([admin.email, manager.email, owner.email].sort());
    expect(new Set(emails.map((e) => e.idempotency_key)).size).toBe(3);
    for (const e of emails) {
      expect(e).toMatchObject({ template: 'integration_disconnected', status: 'pending', throttled: false });
      expect(e.user_id).toBe([admin, owner, manager].find((p) => p.email === e.to_email)!.id);
    }

    const heard = await h.t.db.query(
      `select 1 from public.notifications where user_id in ($1, $2)
       union all select 1 from public.email_outbox where to_email in ($3, $4)`,
      [member.id, outsider.id, member.email, outsider.email],
    );
    expect(heard).toHaveLength(0);
  });

  it('does not repeat a recorded event: the same disconnect recorded by a second pass adds nothing', async () => {
    const before = await h.row(integrationId);
    // The connection is put back as connected without new tokens (same token_version): the
    // next pass meets the very same dead refresh token, i.e. the same business event.
    await h.t.db.query(`update public.integrations set status = 'connected' where id = $1`, [integrationId]);
    clock += 5 * 60_000;
    const summary = await h.pass({ integrationId }, { now: at });
    expect(summary).toMatchObject({ claimed: 1, authFailures: 1, notificationsCreated: 0, emailsQueued: 0 });

    const after = await h.row(integrationId);
    expect(after.status).toBe('needs_reauthorization');
    expect(after.token_version).toBe(before.token_version);
    expect(perUser(await notificationsOf(integrationId))).toEqual({ [admin.id]: 1, [owner.id]: 1, [manager.id]: 1 });
    expect(await emailsOf(integrationId)).toHaveLength(3);
    // Both passes are in the log: it is the messages that are deduplicated, not the facts.
    const logs = await h.t.db.query(`select 1 from public.token_refresh_logs where integration_id = $1 and outcome = 'auth_failure'`, [
      integrationId,
    ]);
    expect(logs).toHaveLength(2);
  });

  it('a new disconnect after a successful refresh is a new event in-app, and emails stay throttled for 24 hours', async () => {
    await h.t.db.query(`update public.integrations set status = 'connected' where id = $1`, [integrationId]);
    fault.enqueue(responses.tokens({ refreshToken: `rt-${randomBytes(8).toString('hex')}` }));
    clock += 5 * 60_000;
    expect(await h.pass({ integrationId, force: true }, { now: at })).toMatchObject({ refreshed: 1, notificationsCreated: 0 });

    clock += 5 * 60_000;
    const summary = await h.pass({ integrationId, force: true }, { now: at });
    expect(summary).toMatchObject({ authFailures: 1, disconnected: 1, notificationsCreated: 3, emailsQueued: 0 });
    expect(perUser(await notificationsOf(integrationId))).toEqual({ [admin.id]: 2, [owner.id]: 2, [manager.id]: 2 });

    const emails = await emailsOf(integrationId);
    expect(emails).toHaveLength(6);
    const throttled = emails.filter((e) => e.throttled);
    expect(throttled.map((e) => e.to_email).sort()).toEqual([admin.email, manager.email, owner.email].sort());
    for (const e of throttled) expect(e.status).toBe('skipped');
  });
});

describe('recipients of a personal integration', () => {
  it('tells only its user, even when that user belongs to an organization', async () => {
    const user = await person('solo');
    const colleague = await person('colleague');
    await insertOrganization(h.t.db, `Solo's team ${randomUUID()}`, [
      { userId: colleague.id, role: 'owner' },
      { userId: user.id, role: 'member', canManage: true },
    ]);
    const integrationId = await h.seed({ provider: 'fault', organizationId: null, userId: user.id });
    const summary = await h.pass({ integrationId });
    expect(summary).toMatchObject({ disconnected: 1, notificationsCreated: 1, emailsQueued: 1 });

    const notifications = await notificationsOf(integrationId);
    expect(perUser(notifications)).toEqual({ [user.id]: 1 });
    expect(notifications[0]).toMatchObject({ type: 'integration_disconnected', organization_id: null });
    const emails = await emailsOf(integrationId);
    expect(emails.map((e) => [e.to_email, e.user_id])).toEqual([[user.email, user.id]]);
  });
});
