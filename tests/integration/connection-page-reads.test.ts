import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../support/database';
import { asUser } from '../../lib/db/user-context';
import { findConnectionPageView, listRecentRefreshAttempts } from '../../lib/db/integrations';
import { insertIntegration, insertOrganization, insertUser, testKeyRing } from '../support/fixtures';

/**
 * The connection page's reads (lib/db/integrations.ts, "Connection page (U1)"): RLS decides
 * who sees the row and its logs, can_manage who gets the buttons, and the history is the
 * newest 50, newest first.
 */
describe('connection page reads', () => {
  let t: TestDatabase;
  let owner: string;
  let member: string;
  let stranger: string;
  let integration: string;

  beforeAll(async () => {
    t = await createTestDatabase();
    const ring = testKeyRing();
    owner = await insertUser(t.db, 'owner@example.com');
    member = await insertUser(t.db, 'member@example.com');
    stranger = await insertUser(t.db, 'stranger@example.com');
    const org = await insertOrganization(t.db, 'Acme', [
      { userId: owner, role: 'owner' },
      { userId: member, role: 'member' },
    ]);
    integration = await insertIntegration(t.db, ring, { userId: owner, provider: 'google', organizationId: org });
    await t.db.query(
      `insert into public.token_refresh_logs (integration_id, provider, trigger, outcome, duration_ms, attempts, created_at)
       select $1, 'google', 'cron', case when n % 2 = 0 then 'refreshed' else 'transient_failure' end, n, 1, now() - make_interval(mins => 60 - n)
       from generate_series(1, 60) n`,
      [integration],
    );
  });
  afterAll(async () => t?.drop());

  it('gives the owner the row, managing rights and the newest 50 attempts, newest first', async () => {
    const { row, attempts } = await asUser(t.db, owner, async (tx) => ({
      row: await findConnectionPageView(tx, integration),
      attempts: await listRecentRefreshAttempts(tx, integration, 50),
    }));
    expect(row?.provider).toBe('google');
    expect(row?.organization_name).toBe('Acme');
    expect(row?.can_manage).toBe(true);
    expect(attempts).toHaveLength(50);
    expect(attempts[0]!.duration_ms).toBe(60);
    expect(attempts[49]!.duration_ms).toBe(11);
    expect(row?.has_refresh_token).toBe(true);
  });

  it('shows a member who may not manage it the row read-only', async () => {
    const { row, attempts } = await asUser(t.db, member, async (tx) => ({
      row: await findConnectionPageView(tx, integration),
      attempts: await listRecentRefreshAttempts(tx, integration, 50),
    }));
    expect(row?.can_manage).toBe(false);
    expect(row?.has_refresh_token).toBe(true);
    expect(attempts).toHaveLength(50);
  });

  it('shows a stranger nothing (the page answers 404)', async () => {
    const { row, attempts } = await asUser(t.db, stranger, async (tx) => ({
      row: await findConnectionPageView(tx, integration),
      attempts: await listRecentRefreshAttempts(tx, integration, 50),
    }));
    expect(row).toBeNull();
    expect(attempts).toHaveLength(0);
    // Nor, asked directly, whether it holds a refresh token.
    const [presence] = await asUser(t.db, stranger, (tx) =>
      tx.query<{ present: boolean }>(`select public.integration_has_refresh_token($1) as present`, [integration]),
    );
    expect(presence?.present).toBe(false);
  });
});
