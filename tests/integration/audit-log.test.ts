import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomUUID } from 'node:crypto';
import { createTestDatabase, type TestDatabase } from '../support/database';
import { insertOrganization, insertUser, testKeyRing } from '../support/fixtures';
import { listAuditLog, recordAudit, userActor } from '../../lib/db/audit-log';
import { asUser } from '../../lib/db/user-context';
import { createWebhookEndpoint, deleteWebhookEndpoint, webhookEndpointInputSchema } from '../../lib/notify/webhook-endpoints';

describe('audit log of webhook endpoint changes', () => {
  let t: TestDatabase;
  let owner: string;
  let member: string;
  let stranger: string;
  let org: string;
  const ring = testKeyRing();
  const input = (url = 'https://hooks.example.com/services/T000/B000/receiver-token?sig=abc') =>
    webhookEndpointInputSchema.parse({ url, events: ['integration.disconnected'] });

  beforeAll(async () => {
    t = await createTestDatabase();
    owner = await insertUser(t.db, 'owner@example.com');
    member = await insertUser(t.db, 'member@example.com');
    stranger = await insertUser(t.db, 'stranger@example.com');
    org = await insertOrganization(t.db, 'Audited', [
      { userId: owner, role: 'owner' },
      { userId: member, role: 'member', canManage: true },
    ]);
  });
  afterAll(async () => t?.drop());

  it('records who created an endpoint, where it points and what it hears, never its secret or the URL path', async () => {
    const created = await createWebhookEndpoint(t.db, ring, org, input(), userActor(owner));
    const [row] = (await listAuditLog(t.db, org)).filter((entry) => entry.target_id === created.id);
    expect(row).toMatchObject({
      organization_id: org,
      actor: `user:${owner}`,
      actor_user_id: owner,
      action: 'webhook_endpoint.created',
      target_type: 'webhook_endpoint',
      target_id: created.id,
      metadata: { origin: 'https://hooks.example.com', events: ['integration.disconnected'] },
    });
    const text = JSON.stringify(row);
    expect(text).not.toContain(created.secret);
    expect(text).not.toContain(created.secret.slice('whsec_'.length, 20));
    expect(text).not.toMatch(/receiver-token|sig=abc/);
  });

  it('records who deleted an endpoint, and nothing for one that was not there', async () => {
    const created = await createWebhookEndpoint(t.db, ring, org, input('https://other.example.com/hook'), userActor(owner));
    expect(await deleteWebhookEndpoint(t.db, org, created.id, userActor(owner))).toBe(true);
    expect(await deleteWebhookEndpoint(t.db, org, created.id, userActor(owner))).toBe(false);
    expect(await deleteWebhookEndpoint(t.db, org, randomUUID(), userActor(owner))).toBe(false);
    const rows = (await listAuditLog(t.db, org)).filter((entry) => entry.target_id === created.id);
    // Newest first: the deletion, then the creation.
    expect(rows.map((row) => row.action)).toEqual(['webhook_endpoint.deleted', 'webhook_endpoint.created']);
    expect(rows[0]!.metadata).toEqual({ origin: 'https://other.example.com', events: ['integration.disconnected'] });
  });

  it('writes the endpoint and its audit row in one transaction: neither without the other', async () => {
    const before = await t.db.query(`select id from public.webhook_endpoints`);
    // An actor id that is no user breaks the audit row's foreign key; the endpoint must go with it.
    const failing = createWebhookEndpoint(t.db, ring, org, input('https://rolled-back.example.com/hook'), userActor(randomUUID()));
    await expect(failing).rejects.toThrow(/audit_log_actor_user_fkey/);
    expect(await t.db.query(`select id from public.webhook_endpoints`)).toEqual(before);

    const kept = await createWebhookEndpoint(t.db, ring, org, input('https://kept.example.com/hook'), userActor(owner));
    await expect(deleteWebhookEndpoint(t.db, org, kept.id, userActor(randomUUID()))).rejects.toThrow(/audit_log_actor_user_fkey/);
    expect(await t.db.query(`select id from public.webhook_endpoints where id = $1`, [kept.id])).toHaveLength(1);
  });

  it('shows the organization audit log to its owners and admins only', async () => {
    const read = (userId: string) =>
      asUser(t.db, userId, (tx) => tx.query<{ organization_id: string }>(`select organization_id from public.audit_log`));
    const ownerSees = await read(owner);
    expect(ownerSees.length).toBeGreaterThan(0);
    expect(ownerSees.every((row) => row.organization_id === org)).toBe(true);
    expect(await read(member)).toEqual([]);
    expect(await read(stranger)).toEqual([]);
    await expect(
      asUser(t.db, owner, (tx) => tx.query(`insert into public.audit_log (organization_id, actor, action) values ($1, 'user:x', 'forged')`, [org])),
    ).rejects.toThrow(/permission denied/);
  });

  it('lists an organization newest first, within the limit', async () => {
    const other = await insertOrganization(t.db, 'Listed', [{ userId: owner, role: 'owner' }]);
    for (const action of ['first.done', 'second.done', 'third.done']) {
      await recordAudit(t.db, [{ organizationId: other, actor: 'cli:test', action }]);
    }
    expect((await listAuditLog(t.db, other, { limit: 2 })).map((row) => row.action)).toEqual(['third.done', 'second.done']);
  });
});
