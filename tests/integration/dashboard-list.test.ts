import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../support/database';
import { asUser } from '../../lib/db/user-context';
import type { Queryable, Row } from '../../lib/db/client';
import {
  LIST_COUNT_CAP,
  listIntegrationsPage,
  listMemberOrganizations,
  type IntegrationStatusFilter,
  type ListCursor,
  type ListRow,
  type ListScope,
} from '../../lib/db/integrations';
import { decodeListCursor, encodeListCursor } from '../../app/_server/list-cursor';
import { insertIntegration, insertOrganization, insertUser, testKeyRing } from '../support/fixtures';

/**
 * The dashboard list (lib/db/integrations.ts listIntegrationsPage, app/page.tsx): keyset pages
 * in trouble-first order, per scope and filter, as the user (RLS on); the cursor in the URL;
 * the capped count; and the plan of an organization's page (its index, no sort of every row).
 */

type Status = 'connected' | 'needs_reauthorization' | 'disconnected';

interface Seeded {
  id: string;
  user_id: string;
  organization_id: string | null;
  provider: string;
  status: Status;
  failures: number;
  expires_at: Date | null;
}

const rankOf = (row: Seeded) => (row.status === 'needs_reauthorization' ? 0 : row.status === 'connected' ? (row.failures > 0 ? 1 : 2) : 3);

/** The list's order, computed here independently of the SQL: rank, expiry (none last), provider, id. */
function expectedOrder(rows: Seeded[]): string[] {
  return [...rows]
    .sort(
      (a, b) =>
        rankOf(a) - rankOf(b) ||
        (a.expires_at?.getTime() ?? Infinity) - (b.expires_at?.getTime() ?? Infinity) ||
        (a.provider < b.provider ? -1 : a.provider > b.provider ? 1 : 0) ||
        (a.id < b.id ? -1 : a.id > b.id ? 1 : 0),
    )
    .map((row) => row.id);
}

function matches(row: Seeded, status: IntegrationStatusFilter | null, provider: string | null): boolean {
  if (provider && row.provider !== provider) return false;
  if (status === 'retrying') return rankOf(row) === 1;
  if (status === 'connected') return row.status === 'connected';
  if (status) return row.status === status;
  return true;
}

describe('dashboard list: keyset pages', () => {
  let t: TestDatabase;
  let alice: string;
  let bob: string;
  let carol: string;
  let dave: string;
  let acme: string;
  let beta: string;
  let other: string;
  let big: string;
  const seeded: Seeded[] = [];

  beforeAll(async () => {
    t = await createTestDatabase();
    const ring = testKeyRing();
    alice = await insertUser(t.db, 'alice@example.com');
    bob = await insertUser(t.db, 'bob@example.com');
    carol = await insertUser(t.db, 'carol@example.com');
    dave = await insertUser(t.db, 'dave@example.com');
    acme = await insertOrganization(t.db, 'Acme', [
      { userId: alice, role: 'member' },
      { userId: bob, role: 'owner' },
    ]);
    beta = await insertOrganization(t.db, 'Beta', [{ userId: alice, role: 'admin' }]);
    other = await insertOrganization(t.db, 'Other', [{ userId: carol, role: 'owner' }]);
    big = await insertOrganization(t.db, 'Big', [{ userId: dave, role: 'owner' }]);
    // Ties on purpose: expiries on three instants (one with microseconds), two providers, so
    // rows differ only by id; and rows without an expiry.
    const base = Date.UTC(2026, 11, 10, 12, 0, 0);
    const instants = [new Date(base), new Date(base + 3600_000), null];
    const plan: { userId: string; organizationId: string | null }[] = [
      ...Array.from({ length: 9 }, () => ({ userId: alice, organizationId: null })),
      ...Array.from({ length: 5 }, () => ({ userId: alice, organizationId: acme })),
      ...Array.from({ length: 14 }, () => ({ userId: bob, organizationId: acme })),
      ...Array.from({ length: 4 }, () => ({ userId: bob, organizationId: null })),
      ...Array.from({ length: 6 }, () => ({ userId: alice, organizationId: beta })),
      ...Array.from({ length: 5 }, () => ({ userId: carol, organizationId: other })),
    ];
    for (const [n, who] of plan.entries()) {
      const provider = n % 3 === 0 ? 'slack' : 'google';
      const status: Status = n % 7 === 2 ? 'needs_reauthorization' : n % 7 === 5 ? 'disconnected' : 'connected';
      const expiresAt = status === 'disconnected' ? null : instants[n % 3]!;
      const id = await insertIntegration(t.db, ring, { ...who, provider, expiresAt, refreshToken: n % 4 === 0 ? null : undefined });
      const failures = status === 'needs_reauthorization' ? 3 : status === 'connected' && n % 5 === 1 ? 1 : 0;
      await t.db.query(`update public.integrations set status = $2, consecutive_failures = $3 where id = $1`, [id, status, failures]);
      seeded.push({ id, user_id: who.userId, organization_id: who.organizationId, provider, status, failures, expires_at: expiresAt });
    }
    // One expiry with microseconds: a cursor that lost them would skip or repeat its ties.
    const micro = seeded.filter((row) => row.status === 'connected' && row.expires_at?.getTime() === base).slice(0, 3);
    await t.db.query(`update public.integrations set expires_at = $2::timestamptz + interval '123456 microseconds' where id = any($1::uuid[])`, [
      micro.map((row) => row.id),
      new Date(base).toISOString(),
    ]);
    for (const row of micro) row.expires_at = new Date(base + 123.456); // sorts between base and base + 1 ms, as in SQL
    // Big: more than the count cap, in one statement.
    await t.db.query(
      `insert into public.integrations (user_id, organization_id, provider, account_label, access_token_encrypted, refresh_token_encrypted, token_key_id, expires_at, consecutive_transient_failures)
       select $1, $2, (array['google', 'slack', 'xero'])[1 + g % 3], 'big ' || g, 'tw1.x.' || g, 'tw1.y.' || g, 'test',
              now() + make_interval(hours => g % 97), case when g % 11 = 0 then 1 else 0 end
       from generate_series(1, $3::int) g`,
      [dave, big, LIST_COUNT_CAP + 5],
    );
    await t.db.query(`analyze public.integrations`);
  });
  afterAll(async () => t?.drop());

  /** Every page forward with `limit`; then, with Previous from the last page, every page before it. */
  async function walk(user: string, scope: ListScope, status: IntegrationStatusFilter | null, provider: string | null, limit: number) {
    const forward: ListRow[][] = [];
    let after: ListCursor | null = null;
    for (let guard = 0; guard < 100; guard += 1) {
      const page = await asUser(t.db, user, (tx) => listIntegrationsPage(tx, { scope, status, provider, limit, after }));
      forward.push(page.integrations);
      expect(page.previous === null).toBe(after === null);
      if (!page.next) break;
      after = page.next;
    }
    const backward: ListRow[][] = [];
    let before: ListCursor | null = forward.length > 1 ? cursorOfFirst(forward.at(-1)!) : null;
    while (before) {
      const page = await asUser(t.db, user, (tx) => listIntegrationsPage(tx, { scope, status, provider, limit, before }));
      backward.unshift(page.integrations);
      before = page.previous;
    }
    return { forward, backward };
  }
  const cursorOfFirst = (rows: ListRow[]): ListCursor => ({ rank: rows[0]!.sort_rank, expires: rows[0]!.sort_expires, provider: rows[0]!.provider, id: rows[0]!.id });

  const visibleTo = (user: string, scope: ListScope): Seeded[] => {
    const memberships: Record<string, string[]> = { [alice]: [acme, beta], [bob]: [acme], [carol]: [other], [dave]: [big] };
    return seeded.filter((row) => {
      const visible = row.user_id === user || (row.organization_id !== null && memberships[user]!.includes(row.organization_id));
      if (!visible) return false;
      if (scope.kind === 'own') return row.user_id === user;
      if (scope.kind === 'organization') return row.organization_id === scope.organizationId;
      return true;
    });
  };

  const scopes = (): [string, string, ListScope][] => [
    ['alice', alice, { kind: 'all' }],
    ['alice', alice, { kind: 'own' }],
    ['alice', alice, { kind: 'organization', organizationId: acme }],
    ['bob', bob, { kind: 'all' }],
    ['bob', bob, { kind: 'organization', organizationId: acme }],
  ];

  it('shows every visible row exactly once, in order, across pages, for each scope and filter (Next and Previous alike)', async () => {
    let checked = 0;
    for (const [who, user, scope] of scopes()) {
      for (const status of [null, 'needs_reauthorization', 'retrying', 'connected', 'disconnected'] as const) {
        for (const provider of [null, 'slack']) {
          const expected = expectedOrder(visibleTo(user, scope).filter((row) => matches(row, status, provider)));
          const { forward, backward } = await walk(user, scope, status, provider, 4);
          const label = `${who} ${scope.kind} status=${status} provider=${provider}`;
          expect(forward.flat().map((row) => row.id), label).toEqual(expected);
          for (const page of forward.slice(0, -1)) expect(page, label).toHaveLength(4);
          // Previous from the last page back to the first gives the same pages as Next did.
          if (forward.length > 1) expect(backward.map((page) => page.map((row) => row.id)), label).toEqual(forward.slice(0, -1).map((page) => page.map((row) => row.id)));
          checked += expected.length;
        }
      }
    }
    expect(checked).toBeGreaterThan(200);
  });

  it('counts what the scope and filters match, and says whether each row holds a refresh token and may be managed', async () => {
    const page = await asUser(t.db, alice, (tx) => listIntegrationsPage(tx, { scope: { kind: 'organization', organizationId: acme }, status: null, provider: null, limit: 50 }));
    expect(page.total).toBe(19);
    const byId = new Map(seeded.map((row, n) => [row.id, { row, n }]));
    for (const listed of page.integrations) {
      const { row, n } = byId.get(listed.id)!;
      expect(listed.organization_name).toBe('Acme');
      expect(listed.has_refresh_token, listed.id).toBe(n % 4 !== 0);
      // Alice is a plain member of Acme: she manages only her own.
      expect(listed.can_manage, listed.id).toBe(row.user_id === alice);
    }
    const own = await asUser(t.db, alice, (tx) => listIntegrationsPage(tx, { scope: { kind: 'own' }, status: 'disconnected', provider: null, limit: 50 }));
    expect(own.total).toBe(visibleTo(alice, { kind: 'own' }).filter((row) => row.status === 'disconnected').length);
  });

  it("never shows another organization's rows: not in All, and an organization scope of a stranger is empty", async () => {
    const all = await walk(alice, { kind: 'all' }, null, null, 50);
    const ids = new Set(all.forward.flat().map((row) => row.id));
    for (const row of seeded.filter((r) => r.organization_id === other || (r.user_id === bob && r.organization_id === null))) expect(ids.has(row.id)).toBe(false);
    const stranger = await asUser(t.db, alice, (tx) => listIntegrationsPage(tx, { scope: { kind: 'organization', organizationId: other }, status: null, provider: null, limit: 50 }));
    expect(stranger).toEqual({ integrations: [], next: null, previous: null, total: 0 });
    const big = await asUser(t.db, carol, (tx) => listIntegrationsPage(tx, { scope: { kind: 'all' }, status: null, provider: null, limit: 50 }));
    expect(big.total).toBe(5);
  });

  it('caps the count: an organization with more than 10,000 connections counts 10,001', async () => {
    const page = await asUser(t.db, dave, (tx) => listIntegrationsPage(tx, { scope: { kind: 'organization', organizationId: big }, status: null, provider: null, limit: 50 }));
    expect(page.integrations).toHaveLength(50);
    expect(page.total).toBe(LIST_COUNT_CAP + 1);
    // Retrying rows (1 in 11) come first.
    expect(page.integrations.every((row) => row.consecutive_transient_failures === 1)).toBe(true);
  });

  it("walks an organization's page from its index and stops after the page, first page and deep (EXPLAIN, plan shape)", async () => {
    interface PlanNode {
      'Node Type': string;
      'Index Name'?: string;
      'Relation Name'?: string;
      'Actual Rows': number;
      'Index Cond'?: string;
      'Rows Removed by Filter'?: number;
      Plans?: PlanNode[];
    }
    const walkPlan = function* (node: PlanNode): Generator<PlanNode> {
      yield node;
      for (const child of node.Plans ?? []) yield* walkPlan(child);
    };
    const [deepRow] = await t.db.query<{ rank: number; expires: string; provider: string; id: string }>(
      `select 2 as rank, coalesce(expires_at, 'infinity'::timestamptz)::text as expires, provider, id from public.integrations
       where organization_id = $1 and consecutive_transient_failures = 0
       order by coalesce(expires_at, 'infinity'::timestamptz), provider, id offset 8000 limit 1`,
      [big],
    );
    for (const after of [null, deepRow!]) {
      const plans: PlanNode[] = [];
      await asUser(t.db, dave, async (tx) => {
        const explaining: Queryable = {
          async query<T extends Row = Row>(text: string, params?: readonly unknown[]): Promise<T[]> {
            if (plans.length === 0) {
              const [row] = await tx.query<{ 'QUERY PLAN': { Plan: PlanNode }[] }>(`explain (analyze, format json) ${text}`, params);
              plans.push(row!['QUERY PLAN'][0]!.Plan);
            }
            return tx.query<T>(text, params);
          },
          exec: (sqlText) => tx.exec(sqlText),
        };
        await listIntegrationsPage(explaining, { scope: { kind: 'organization', organizationId: big }, status: null, provider: null, limit: 50, after });
      });
      const nodes = [...walkPlan(plans[0]!)];
      const scans = nodes.filter((node) => node['Relation Name'] === 'integrations');
      expect(scans.map((node) => `${node['Node Type']} ${node['Index Name']}`)).toEqual(['Index Scan integrations_org_list_idx']);
      // The walk starts at the cursor (the row comparison is an index condition, not a filter
      // over every earlier row) and stops after the page (51 rows: one more says whether there
      // is a next page) ...
      if (after) expect(scans[0]!['Index Cond']).toMatch(/ROW\(/);
      expect(scans[0]!['Rows Removed by Filter'] ?? 0).toBe(0);
      expect(scans[0]!['Actual Rows']).toBeLessThanOrEqual(51);
      // ... and nothing sorts more than the page.
      for (const sort of nodes.filter((node) => /Sort/.test(node['Node Type']))) expect(sort['Actual Rows']).toBeLessThanOrEqual(51);
    }
  });

  it('lists the organizations a user belongs to (the scope choices), and no other', async () => {
    const names = await asUser(t.db, alice, (tx) => listMemberOrganizations(tx));
    expect(names.map((o) => o.name)).toEqual(['Acme', 'Beta']);
  });
});

describe('dashboard list: the cursor in the URL', () => {
  const cursor: ListCursor = { rank: 2, expires: '2026-12-10 12:00:00.123456+00', provider: 'google', id: '3f1c2b9e-8d4a-4c7b-9e2f-1a2b3c4d5e6f' };

  it('round-trips a cursor, microseconds and "infinity" included', () => {
    expect(decodeListCursor(encodeListCursor(cursor))).toEqual(cursor);
    const none = { ...cursor, expires: 'infinity' };
    expect(decodeListCursor(encodeListCursor(none))).toEqual(none);
    expect(encodeListCursor(cursor)).toMatch(/^[A-Za-z0-9_-]+$/);
  });

  it.each([
    ['empty', ''],
    ['not base64url', 'a b/c+'],
    ['not JSON', Buffer.from('[2, oops').toString('base64url')],
    ['an object', Buffer.from(JSON.stringify({ rank: 2 })).toString('base64url')],
    ['rank out of range', Buffer.from(JSON.stringify([9, cursor.expires, cursor.provider, cursor.id])).toString('base64url')],
    ['a date that is not PostgreSQL text', Buffer.from(JSON.stringify([2, "now'); drop table x; --", cursor.provider, cursor.id])).toString('base64url')],
    ['a bad provider', Buffer.from(JSON.stringify([2, cursor.expires, 'Google!', cursor.id])).toString('base64url')],
    ['a bad id', Buffer.from(JSON.stringify([2, cursor.expires, cursor.provider, 'not-a-uuid'])).toString('base64url')],
    ['too long', 'A'.repeat(400)],
  ])('refuses a malformed cursor (%s): null, and the page shows the first page', (_label, value) => {
    expect(decodeListCursor(value)).toBeNull();
  });
});
