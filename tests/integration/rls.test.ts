import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, postgresAnswers, type TestDatabase } from '../support/database';
import { asUser } from '../../lib/db/user-context';
import { insertIntegration, insertNotification, insertOrganization, insertUser, testKeyRing } from '../support/fixtures';

const engines = ['postgres', 'pglite'] as const;

describe.each(engines)('row-level security on %s', (engine) => {
  let t: TestDatabase;
  let alice: string;
  let bob: string;
  let carol: string;
  let aliceIntegration: string;
  let bobIntegration: string;
  let orgIntegration: string;

  beforeAll(async () => {
    if (engine === 'postgres' && !(await postgresAnswers())) return;
    t = await createTestDatabase({ engine });
    const ring = testKeyRing();
    alice = await insertUser(t.db, 'alice@example.com');
    bob = await insertUser(t.db, 'bob@example.com');
    carol = await insertUser(t.db, 'carol@example.com');
    const org = await insertOrganization(t.db, 'Acme', [
      { userId: carol, role: 'owner' },
      { userId: bob, role: 'member' },
    ]);
    aliceIntegration = await insertIntegration(t.db, ring, { userId: alice, provider: 'google' });
    bobIntegration = await insertIntegration(t.db, ring, { userId: bob, provider: 'slack' });
    orgIntegration = await insertIntegration(t.db, ring, { userId: carol, provider: 'hubspot', organizationId: org });
    await insertNotification(t.db, alice, aliceIntegration, 'google');
    await insertNotification(t.db, bob, bobIntegration, 'slack');
    await t.db.query(
      `insert into public.token_refresh_logs (integration_id, provider, trigger, outcome, attempts) values ($1, 'google', 'cron', 'refreshed', 1), ($2, 'slack', 'cron', 'refreshed', 1)`,
      [aliceIntegration, bobIntegration],
    );
  });
  afterAll(async () => t?.drop());

  const ready = async (skip: (note: string) => void) => {
    if (engine === 'postgres' && !(await postgresAnswers())) skip('no PostgreSQL server here');
  };

  it('shows a user only their own integrations through a query without a filter', async ({ skip }) => {
    await ready(skip);
    const rows = await asUser(t.db, alice, (tx) => tx.query<{ id: string }>(`select id from public.integrations`));
    expect(rows.map((r) => r.id)).toEqual([aliceIntegration]);
  });

  it('shows organization members the organization integrations, and nobody else', async ({ skip }) => {
    await ready(skip);
    const bobSees = await asUser(t.db, bob, (tx) => tx.query<{ id: string }>(`select id from public.integrations order by id`));
    expect(bobSees.map((r) => r.id).sort()).toEqual([bobIntegration, orgIntegration].sort());
    const aliceSees = await asUser(t.db, alice, (tx) =>
      tx.query<{ id: string }>(`select id from public.integrations where id = $1`, [orgIntegration]),
    );
    expect(aliceSees).toEqual([]);
  });

  it("never lets a user read another user's notifications", async ({ skip }) => {
    await ready(skip);
    const rows = await asUser(t.db, alice, (tx) =>
      tx.query<{ user_id: string }>(`select user_id from public.notifications`),
    );
    expect(rows).toHaveLength(1);
    expect(rows[0]!.user_id).toBe(alice);
  });

  it("cannot mark another user's notification read", async ({ skip }) => {
    await ready(skip);
    const updated = await asUser(t.db, alice, (tx) =>
      tx.query(`update public.notifications set is_read = true where user_id = $1 returning id`, [bob]),
    );
    expect(updated).toEqual([]);
    const [row] = await t.db.query<{ is_read: boolean }>(`select is_read from public.notifications where user_id = $1`, [bob]);
    expect(row!.is_read).toBe(false);
  });

  it('never grants users the encrypted token columns', async ({ skip }) => {
    await ready(skip);
    await expect(
      asUser(t.db, alice, (tx) => tx.query(`select access_token_encrypted from public.integrations`)),
    ).rejects.toThrow(/permission denied/);
    await expect(asUser(t.db, alice, (tx) => tx.query(`select * from public.email_outbox`))).rejects.toThrow(/permission denied/);
  });

  it('shows refresh logs only for integrations the user can see', async ({ skip }) => {
    await ready(skip);
    const rows = await asUser(t.db, alice, (tx) => tx.query<{ integration_id: string }>(`select integration_id from public.token_refresh_logs`));
    expect(rows.map((r) => r.integration_id)).toEqual([aliceIntegration]);
  });

  it('shows nothing at all without a signed-in user', async ({ skip }) => {
    await ready(skip);
    const rows = await t.db.transaction(async (tx) => {
      await tx.query(`select set_config('role', 'authenticated', true)`);
      return tx.query(`select id from public.integrations`);
    });
    expect(rows).toEqual([]);
  });

  it('follows membership as it is when the statement runs (the policy reads the caller\'s organizations once per statement)', async ({ skip }) => {
    await ready(skip);
    const [{ org } = { org: '' }] = await t.db.query<{ org: string }>(`select organization_id as org from public.integrations where id = $1`, [orgIntegration]);
    const bobSees = () => asUser(t.db, bob, (tx) => tx.query<{ id: string }>(`select id from public.integrations where id = $1`, [orgIntegration]));
    await t.db.query(`delete from public.organization_members where organization_id = $1 and user_id = $2`, [org, bob]);
    try {
      expect(await bobSees()).toEqual([]);
    } finally {
      await t.db.query(`insert into public.organization_members (organization_id, user_id, role) values ($1, $2, 'member')`, [org, bob]);
    }
    expect(await bobSees()).toEqual([{ id: orgIntegration }]);
  });

  it('answers "has a refresh token" only about connections the caller can see, and never with the token', async ({ skip }) => {
    await ready(skip);
    const ring = testKeyRing();
    const noRefresh = await insertIntegration(t.db, ring, { userId: bob, provider: 'slack', refreshToken: null });
    const presence = (user: string, id: string) =>
      asUser(t.db, user, async (tx) => {
        const [row] = await tx.query<{ present: unknown }>(`select public.integration_has_refresh_token($1) as present`, [id]);
        return row?.present;
      });
    // Visible: the truth (own, and an organization's for its members).
    expect(await presence(alice, aliceIntegration)).toBe(true);
    expect(await presence(bob, orgIntegration)).toBe(true);
    expect(await presence(carol, orgIntegration)).toBe(true);
    expect(await presence(bob, noRefresh)).toBe(false);
    // Not visible: false, exactly as "no refresh token" answers, so nothing is learned.
    expect(await presence(alice, bobIntegration)).toBe(false);
    expect(await presence(alice, orgIntegration)).toBe(false);
    expect(await presence(carol, bobIntegration)).toBe(false);
    // No signed-in user: nothing.
    const anonymous = await t.db.transaction(async (tx) => {
      await tx.query(`select set_config('role', 'authenticated', true)`);
      return tx.query<{ present: boolean }>(`select public.integration_has_refresh_token($1) as present`, [aliceIntegration]);
    });
    expect(anonymous).toEqual([{ present: false }]);
    await t.db.query(`delete from public.integrations where id = $1`, [noRefresh]);
  });

  it('lets members see their organization but not others', async ({ skip }) => {
    await ready(skip);
    const carolOrgs = await asUser(t.db, carol, (tx) => tx.query<{ name: string }>(`select name from public.organizations`));
    expect(carolOrgs.map((o) => o.name)).toEqual(['Acme']);
    const aliceOrgs = await asUser(t.db, alice, (tx) => tx.query(`select name from public.organizations`));
    expect(aliceOrgs).toEqual([]);
  });
});
