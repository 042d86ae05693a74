import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, postgresAnswers, type TestDatabase } from '../support/database';
import { applySupabaseDefaultPrivileges } from '../support/supabase-privileges';
import { insertIntegration, insertNotification, insertOrganization, insertUser, testKeyRing } from '../support/fixtures';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { migrate, readMigrations } from '../../lib/db/migrate';
import type { Db, Queryable } from '../../lib/db/client';
import { asUser } from '../../lib/db/user-context';

/**
 * Negative tests: on a database with Supabase's default grants, what the API roles cannot do.
 * Tables and functions are enumerated from the catalog, so a new one that forgets its revoke
 * fails here.
 */

const engines = ['postgres', 'pglite'] as const;

/**
 * The membership checks RLS policies and the "who may manage this connection" question
 * (lib/db/integrations.ts canManageIntegration) call, the caller's organizations the
 * integrations policy reads once per statement, and "has a refresh token" for a connection the
 * caller may see (migration 20261203090000_dashboard_scale.sql): `authenticated` must be able
 * to run them.
 */
const POLICY_HELPERS = [
  'can_manage_integration',
  'can_manage_org_integrations',
  'current_user_organization_ids',
  'integration_has_refresh_token',
  'is_org_admin',
  'is_org_member',
];

/**
 * Tables a signed-in user may insert into, RLS deciding which rows: their own notification
 * preferences (migration 20261202100000_notification_preferences.sql). Anyone else's row, and
 * any row from anon, is still refused; the test below shows both.
 */
const USER_INSERTABLE = new Set(['notification_preferences']);

/** Runs fn as anon (no claims), as PostgREST does for a request without a session. */
function asAnon<T>(db: Db, fn: (tx: Queryable) => Promise<T>): Promise<T> {
  return db.transaction(async (tx) => {
    await tx.query(`select set_config('role', 'anon', true)`);
    return fn(tx);
  });
}

describe.each(engines)('Supabase API roles on %s', (engine) => {
  let t: TestDatabase;
  let alice: string;
  let bob: string;
  let aliceNote: string;
  let bobNote: string;
  let tables: { name: string; column: string }[];
  let functions: { name: string; signature: string; call: string; security_definer: boolean; volatility: string }[];

  beforeAll(async () => {
    if (engine === 'postgres' && !(await postgresAnswers())) return;
    t = await createTestDatabase({ engine, migrated: false });
    await applySupabaseDefaultPrivileges(t.db);
    await migrate(t.db);
    const ring = testKeyRing();
    alice = await insertUser(t.db, 'alice@example.com');
    bob = await insertUser(t.db, 'bob@example.com');
    await insertOrganization(t.db, 'Acme', [{ userId: alice, role: 'owner' }]);
    const integration = await insertIntegration(t.db, ring, { userId: alice });
    aliceNote = await insertNotification(t.db, alice, integration, 'google');
    bobNote = await insertNotification(t.db, bob, await insertIntegration(t.db, ring, { userId: bob }), 'google');
    tables = await t.db.query(
      `select c.relname as name,
              (select a.attname from pg_attribute a where a.attrelid = c.oid and a.attnum > 0 and not a.attisdropped
               order by a.attnum limit 1) as column
       from pg_class c join pg_namespace n on n.oid = c.relnamespace
       where n.nspname = 'public' and c.relkind in ('r', 'p') order by 1`,
    );
    functions = await t.db.query(
      `select p.proname as name, p.oid::regprocedure::text as signature,
              format('select public.%I(%s)', p.proname,
                     coalesce((select string_agg(format('null::%s', format_type(t, null)), ', ' order by i)
                               from unnest(p.proargtypes) with ordinality as a(t, i)), '')) as call,
              p.prosecdef as security_definer, p.provolatile::text as volatility
       from pg_proc p join pg_namespace n on n.oid = p.pronamespace
       where n.nspname = 'public' and p.prokind in ('f', 'p') order by 1`,
    );
  });
  afterAll(async () => t?.drop());

  const ready = async (skip: (note: string) => void) => {
    if (engine === 'postgres' && !(await postgresAnswers())) skip('no PostgreSQL server here');
  };

  it('finds the tables and writing functions it checks', async ({ skip }) => {
    await ready(skip);
    expect(tables.map((table) => table.name)).toEqual(
      expect.arrayContaining([
        'audit_log', 'email_outbox', 'integrations', 'notifications', 'operator_alerts', 'organization_members',
        'organizations', 'token_refresh_logs', 'tokenwarden_migrations', 'webhook_deliveries', 'webhook_endpoints',
      ]),
    );
    expect(functions.map((fn) => fn.name)).toEqual(
      expect.arrayContaining(['integration_recipients', 'owe_messages', 'queue_owed_messages', 'record_refresh_result', 'record_refresh_results']),
    );
  });

  it('grants neither role any privilege on the migrations bookkeeping table, not even TRUNCATE', async ({ skip }) => {
    await ready(skip);
    const [grants] = await t.db.query<{ anon: boolean; authenticated: boolean }>(
      `select has_table_privilege('anon', 'public.tokenwarden_migrations', 'select, insert, update, delete, truncate, references, trigger') as anon,
              has_table_privilege('authenticated', 'public.tokenwarden_migrations', 'select, insert, update, delete, truncate, references, trigger') as authenticated`,
    );
    expect(grants).toEqual({ anon: false, authenticated: false });
    await expect(asUser(t.db, alice, (tx) => tx.query(`truncate public.tokenwarden_migrations`))).rejects.toThrow(/permission denied/);
    const [count] = await t.db.query<{ n: number }>(`select count(*)::int as n from public.tokenwarden_migrations`);
    expect(count!.n).toBeGreaterThan(0);
  });

  it.for(['insert', 'update', 'delete', 'truncate'] as const)('lets neither role %s any table', async (verb, { skip }) => {
    await ready(skip);
    for (const table of tables) {
      const statement = {
        insert: `insert into public.${table.name} default values`,
        update: `update public.${table.name} set ${table.column} = ${table.column}`,
        delete: `delete from public.${table.name}`,
        truncate: `truncate public.${table.name}`,
      }[verb];
      const refusal = verb === 'insert' && USER_INSERTABLE.has(table.name) ? /row-level security/ : /permission denied/;
      await expect(asUser(t.db, alice, (tx) => tx.query(statement)), `authenticated: ${statement}`).rejects.toThrow(refusal);
      await expect(asAnon(t.db, (tx) => tx.query(statement)), `anon: ${statement}`).rejects.toThrow(/permission denied/);
    }
  });

  it('lets a user insert their own notification preferences only, and anon none', async ({ skip }) => {
    await ready(skip);
    const insert = `insert into public.notification_preferences (user_id, email_disconnections) values ($1, false) returning user_id`;
    await expect(asUser(t.db, alice, (tx) => tx.query(insert, [bob]))).rejects.toThrow(/row-level security/);
    await expect(asAnon(t.db, (tx) => tx.query(insert, [bob]))).rejects.toThrow(/permission denied/);
    expect(await asUser(t.db, alice, (tx) => tx.query(insert, [alice]))).toEqual([{ user_id: alice }]);
    await expect(
      asUser(t.db, alice, (tx) => tx.query(`update public.notification_preferences set user_id = $1 where user_id = $2`, [bob, alice])),
    ).rejects.toThrow(/permission denied/);
    await t.db.query(`delete from public.notification_preferences where user_id = $1`, [alice]);
  });

  it('lets a user mark their own notification read, and change nothing else', async ({ skip }) => {
    await ready(skip);
    const own = await asUser(t.db, alice, (tx) =>
      tx.query(`update public.notifications set is_read = true, read_at = now() where id = $1 returning id`, [aliceNote]),
    );
    expect(own).toHaveLength(1);
    const others = await asUser(t.db, alice, (tx) => tx.query(`update public.notifications set is_read = true where id = $1 returning id`, [bobNote]));
    expect(others).toEqual([]);
    for (const assignment of [`title = 'x'`, `message = 'x'`, `user_id = '${bob}'`, `metadata = '{"provider":"x"}'`, `type = 'integration_restored'`, `action_url = 'https://evil.example'`]) {
      await expect(
        asUser(t.db, alice, (tx) => tx.query(`update public.notifications set ${assignment} where id = $1`, [aliceNote])),
        assignment,
      ).rejects.toThrow(/permission denied/);
    }
    const [bobs] = await t.db.query<{ is_read: boolean }>(`select is_read from public.notifications where id = $1`, [bobNote]);
    expect(bobs!.is_read).toBe(false);
  });

  it('lets neither role execute any function in public except the policy membership checks', async ({ skip }) => {
    await ready(skip);
    const callable = functions.filter((fn) => !POLICY_HELPERS.includes(fn.name));
    expect(callable.length).toBeGreaterThanOrEqual(6);
    for (const fn of callable) {
      const [grant] = await t.db.query<{ anon: boolean; authenticated: boolean }>(
        `select has_function_privilege('anon', $1::regprocedure, 'execute') as anon,
                has_function_privilege('authenticated', $1::regprocedure, 'execute') as authenticated`,
        [fn.signature],
      );
      expect(grant, fn.signature).toEqual({ anon: false, authenticated: false });
      await expect(asUser(t.db, alice, (tx) => tx.query(fn.call)), `authenticated: ${fn.call}`).rejects.toThrow(/permission denied/);
    }
  });

  it('gives the policy membership checks to authenticated only: read-only, definer rights, answering about the caller', async ({ skip }) => {
    await ready(skip);
    const helpers = functions.filter((fn) => POLICY_HELPERS.includes(fn.name));
    expect(helpers.map((fn) => fn.name).sort()).toEqual(POLICY_HELPERS);
    for (const fn of helpers) {
      expect(fn, fn.signature).toMatchObject({ security_definer: true, volatility: 's' });
      const [grant] = await t.db.query<{ anon: boolean; authenticated: boolean }>(
        `select has_function_privilege('anon', $1::regprocedure, 'execute') as anon,
                has_function_privilege('authenticated', $1::regprocedure, 'execute') as authenticated`,
        [fn.signature],
      );
      expect(grant, fn.signature).toEqual({ anon: false, authenticated: true });
    }
  });
});

describe('the migrations bookkeeping table on a Supabase-like database', () => {
  const opened: TestDatabase[] = [];
  afterAll(async () => Promise.all(opened.map((t) => t.drop())));

  async function supabaseLike(): Promise<TestDatabase> {
    const t = await createTestDatabase({ engine: 'postgres', migrated: false });
    opened.push(t);
    await applySupabaseDefaultPrivileges(t.db);
    return t;
  }

  const granted = async (db: Queryable) =>
    (
      await db.query<{ anon: boolean; authenticated: boolean }>(
        `select has_table_privilege('anon', 'public.tokenwarden_migrations', 'select, insert, update, delete, truncate') as anon,
                has_table_privilege('authenticated', 'public.tokenwarden_migrations', 'select, insert, update, delete, truncate') as authenticated`,
      )
    )[0];

  it('is created by the runner without the grants Supabase would give it', async ({ skip }) => {
    if (!(await postgresAnswers())) skip('no PostgreSQL server here');
    const t = await supabaseLike();
    await migrate(t.db, { dir: mkdtempSync(join(tmpdir(), 'tw-no-migrations-')) });
    expect(await granted(t.db)).toEqual({ anon: false, authenticated: false });
  });

  it('loses the grants an older runner left on it when the migrations are applied by `supabase db push`', async ({ skip }) => {
    if (!(await postgresAnswers())) skip('no PostgreSQL server here');
    const t = await supabaseLike();
    // The table as an older runner left it on Supabase: created under the default grants.
    await t.db.exec(`create table public.tokenwarden_migrations (name text primary key, checksum text not null, applied_at timestamptz not null default now());
      alter table public.tokenwarden_migrations enable row level security;`);
    expect(await granted(t.db)).toEqual({ anon: true, authenticated: true });
    for (const file of readMigrations()) await t.db.exec(file.sql);
    expect(await granted(t.db)).toEqual({ anon: false, authenticated: false });
  });
});
