import { afterEach, describe, expect, it } from 'vitest';
import { mkdtempSync, writeFileSync, readFileSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createTestDatabase, postgresAnswers, type TestDatabase } from '../support/database';
import { migrate, MIGRATIONS_DIR, MigrationError } from '../../lib/db/migrate';

const opened: TestDatabase[] = [];
afterEach(async () => {
  await Promise.all(opened.splice(0).map((t) => t.drop()));
});

async function fresh(engine: 'postgres' | 'pglite'): Promise<TestDatabase> {
  const t = await createTestDatabase({ engine, migrated: false });
  opened.push(t);
  return t;
}

const OPERATOR_QUERIES = [
  `SELECT provider, status, consecutive_failures, consecutive_transient_failures,
       last_failure_at, disconnect_reason
FROM integrations
WHERE consecutive_failures > 0 OR consecutive_transient_failures > 0
ORDER BY last_failure_at DESC;`,
  `SELECT type, title, message, is_read, created_at, metadata->>'provider' AS provider
FROM notifications
WHERE type IN ('integration_warning', 'integration_disconnected', 'integration_rate_limit')
ORDER BY created_at DESC LIMIT 20;`,
];

const engines = ['postgres', 'pglite'] as const;

describe.each(engines)('migrations on %s', (engine) => {
  it('applies every file once and is idempotent when run again', async ({ skip }) => {
    if (engine === 'postgres' && !(await postgresAnswers())) skip('no PostgreSQL server here');
    const { db } = await fresh(engine);
    const files = readdirSync(MIGRATIONS_DIR).filter((f) => f.endsWith('.sql')).sort();
    const first = await migrate(db);
    expect(first.applied).toEqual(files);
    const second = await migrate(db);
    expect(second.applied).toEqual([]);
    expect(second.alreadyApplied).toEqual(files);
    const tables = await db.query<{ table_name: string }>(
      `select table_name from information_schema.tables where table_schema = 'public' order by 1`,
    );
    expect(tables.map((t) => t.table_name)).toEqual(
      expect.arrayContaining([
        'audit_log', 'email_outbox', 'integrations', 'notifications', 'organization_members',
        'organizations', 'token_refresh_logs',
      ]),
    );
  });

  it('runs the operator queries of CONTRACTS §4 unchanged', async ({ skip }) => {
    if (engine === 'postgres' && !(await postgresAnswers())) skip('no PostgreSQL server here');
    const { db } = await fresh(engine);
    await migrate(db);
    for (const sql of OPERATOR_QUERIES) {
      await expect(db.query(sql)).resolves.toEqual([]);
    }
  });

  it('enables row-level security on every public table', async ({ skip }) => {
    if (engine === 'postgres' && !(await postgresAnswers())) skip('no PostgreSQL server here');
    const { db } = await fresh(engine);
    await migrate(db);
    const rows = await db.query<{ relname: string; relrowsecurity: boolean }>(
      `select c.relname, c.relrowsecurity from pg_class c join pg_namespace n on n.oid = c.relnamespace
       where n.nspname = 'public' and c.relkind = 'r' and c.relname <> 'tokenwarden_migrations'`,
    );
    expect(rows.length).toBeGreaterThanOrEqual(7);
    for (const row of rows) expect(row, row.relname).toMatchObject({ relrowsecurity: true });
  });

  it('refuses an applied migration that was edited, naming the file', async ({ skip }) => {
    if (engine === 'postgres' && !(await postgresAnswers())) skip('no PostgreSQL server here');
    const { db } = await fresh(engine);
    const dir = mkdtempSync(join(tmpdir(), 'tw-migrations-'));
    for (const name of readdirSync(MIGRATIONS_DIR)) {
      writeFileSync(join(dir, name), readFileSync(join(MIGRATIONS_DIR, name)));
    }
    await migrate(db, { dir });
    const [firstFile] = readdirSync(dir).sort();
    writeFileSync(join(dir, firstFile!), `${readFileSync(join(dir, firstFile!), 'utf8')}\n-- edited\n`);
    const failure = migrate(db, { dir });
    await expect(failure).rejects.toBeInstanceOf(MigrationError);
    await expect(failure).rejects.toThrow(new RegExp(`${firstFile}.*edited after it was applied`));
  });

  it('rolls back a failing migration whole and reports its name', async ({ skip }) => {
    if (engine === 'postgres' && !(await postgresAnswers())) skip('no PostgreSQL server here');
    const { db } = await fresh(engine);
    const dir = mkdtempSync(join(tmpdir(), 'tw-migrations-bad-'));
    writeFileSync(join(dir, '20990101000000_half_done.sql'), `create table half_done (id int); select 1/0;`);
    await expect(migrate(db, { dir })).rejects.toThrow(/20990101000000_half_done\.sql failed and was rolled back/);
    const [row] = await db.query<{ found: string | null }>(`select to_regclass('public.half_done')::text as found`);
    expect(row?.found).toBeNull();
  });
});

describe('migrations after the Supabase CLI', () => {
  it('adopts files that `supabase db push` already applied instead of running them twice', async ({ skip }) => {
    if (!(await postgresAnswers())) skip('no PostgreSQL server here');
    const { db } = await fresh('postgres');
    const files = readdirSync(MIGRATIONS_DIR).filter((f) => f.endsWith('.sql')).sort();
    // What `supabase db push` leaves behind: the schema applied and its own history table.
    for (const name of files) await db.exec(readFileSync(join(MIGRATIONS_DIR, name), 'utf8'));
    await db.exec(`create schema supabase_migrations;
      create table supabase_migrations.schema_migrations (version text primary key, statements text[], name text)`);
    for (const name of files) {
      await db.query(`insert into supabase_migrations.schema_migrations (version, name) values ($1, $2)`, [name.slice(0, 14), name]);
    }
    const result = await migrate(db);
    expect(result.applied).toEqual([]);
    expect(result.alreadyApplied).toEqual(files);
    const recorded = await db.query<{ name: string }>(`select name from public.tokenwarden_migrations order by name`);
    expect(recorded.map((r) => r.name)).toEqual(files);
  });
});
