import { afterEach, describe, expect, it } from 'vitest';
import { existsSync, mkdirSync, mkdtempSync, writeFileSync, readFileSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createTestDatabase, postgresAnswers, type TestDatabase } from '../support/database';
import { createHash } from 'node:crypto';
import { migrate, MIGRATIONS_DIR, MigrationError } from '../../lib/db/migrate';
import type { Queryable } from '../../lib/db/client';

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

  it('runs the operator queries of docs/contracts.md §4 unchanged', async ({ skip }) => {
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

/**
 * Statements as the Supabase CLI records them (pkg/parser SplitAndTrim): each without its
 * surrounding whitespace and trailing semicolon. Where exactly it splits varies with the CLI
 * version; splitting at every semicolon that ends a line is one such split.
 */
function cliStatements(sql: string): string[] {
  return sql
    .split(/;[ \t]*\n/)
    .map((statement) => statement.trim().replace(/;+$/, '').trim())
    .filter(Boolean);
}

/** What `supabase db push` leaves behind: the schema applied and its own history table. */
async function pushWithSupabaseCli(db: Queryable, files: string[], statements: (name: string) => string[] | null) {
  for (const name of files) await db.exec(readFileSync(join(MIGRATIONS_DIR, name), 'utf8'));
  await db.exec(`create schema supabase_migrations;
    create table supabase_migrations.schema_migrations (version text primary key, statements text[], name text)`);
  for (const name of files) {
    const recorded = statements(name);
    await db.query(
      `insert into supabase_migrations.schema_migrations (version, name, statements)
       values ($1, $2, case when $3::jsonb is null then null else array(select jsonb_array_elements_text($3::jsonb)) end)`,
      [name.slice(0, 14), name, recorded === null ? null : JSON.stringify(recorded)],
    );
  }
}

const migrationFiles = () => readdirSync(MIGRATIONS_DIR).filter((f) => f.endsWith('.sql')).sort();

function copyOfMigrations(): string {
  const dir = mkdtempSync(join(tmpdir(), 'tw-migrations-copy-'));
  for (const name of readdirSync(MIGRATIONS_DIR)) writeFileSync(join(dir, name), readFileSync(join(MIGRATIONS_DIR, name)));
  return dir;
}

describe('migrations after the Supabase CLI', () => {
  it('adopts files that `supabase db push` already applied instead of running them twice', async ({ skip }) => {
    if (!(await postgresAnswers())) skip('no PostgreSQL server here');
    const { db } = await fresh('postgres');
    const files = readdirSync(MIGRATIONS_DIR).filter((f) => f.endsWith('.sql')).sort();
    await pushWithSupabaseCli(db, files, (name) => cliStatements(readFileSync(join(MIGRATIONS_DIR, name), 'utf8')));
    const result = await migrate(db);
    expect(result.applied).toEqual([]);
    expect(result.alreadyApplied).toEqual(files);
    const recorded = await db.query<{ name: string }>(`select name from public.tokenwarden_migrations order by name`);
    expect(recorded.map((r) => r.name)).toEqual(files);
  });
});

describe('migrations after the Supabase CLI, when the files changed', () => {
  it('records the checksum of each file it adopts, the same as a file it runs', async ({ skip }) => {
    if (!(await postgresAnswers())) skip('no PostgreSQL server here');
    const { db } = await fresh('postgres');
    const files = migrationFiles();
    // The CLI version decides where statements split; a single statement per file must match too.
    await pushWithSupabaseCli(db, files, (name) => [readFileSync(join(MIGRATIONS_DIR, name), 'utf8').trim().replace(/;$/, '')]);
    await migrate(db);
    const recorded = await db.query<{ name: string; checksum: string }>(`select name, checksum from public.tokenwarden_migrations order by name`);
    expect(recorded).toEqual(
      files.map((name) => ({ name, checksum: createHash('sha256').update(readFileSync(join(MIGRATIONS_DIR, name))).digest('hex') })),
    );
  });

  it('refuses to adopt a file that differs from the statements the Supabase CLI applied, naming it', async ({ skip }) => {
    if (!(await postgresAnswers())) skip('no PostgreSQL server here');
    const { db } = await fresh('postgres');
    const files = migrationFiles();
    await pushWithSupabaseCli(db, files, (name) => cliStatements(readFileSync(join(MIGRATIONS_DIR, name), 'utf8')));
    const dir = copyOfMigrations();
    const edited = files[1]!;
    writeFileSync(join(dir, edited), readFileSync(join(dir, edited), 'utf8').replace(/create index/i, 'create unique index'));
    const failure = migrate(db, { dir });
    await expect(failure).rejects.toBeInstanceOf(MigrationError);
    await expect(failure).rejects.toThrow(new RegExp(`${edited} differs from what the Supabase CLI applied`));
    // Refused before anything was adopted: the runner's first transaction, bookkeeping table and all, rolled back.
    const [table] = await db.query<{ found: string | null }>(`select to_regclass('public.tokenwarden_migrations')::text as found`);
    expect(table?.found).toBeNull();
  });

  it('refuses to adopt a file whose CLI history holds no statements to check it against, naming it', async ({ skip }) => {
    if (!(await postgresAnswers())) skip('no PostgreSQL server here');
    const { db } = await fresh('postgres');
    const files = migrationFiles();
    const bare = files[0]!;
    await pushWithSupabaseCli(db, files, (name) => (name === bare ? null : cliStatements(readFileSync(join(MIGRATIONS_DIR, name), 'utf8'))));
    await expect(migrate(db)).rejects.toThrow(new RegExp(`${bare}: the Supabase CLI history .* without its statements`));
  });

  it('still adopts a file whose only changes are whitespace the CLI does not keep', async ({ skip }) => {
    if (!(await postgresAnswers())) skip('no PostgreSQL server here');
    const { db } = await fresh('postgres');
    const files = migrationFiles();
    await pushWithSupabaseCli(db, files, (name) =>
      cliStatements(readFileSync(join(MIGRATIONS_DIR, name), 'utf8')).map((statement) => `  ${statement}\n`),
    );
    const result = await migrate(db);
    expect(result.applied).toEqual([]);
  });
});

describe.each(engines)('applied checksums on %s', (engine) => {
  it('records every applied file with the sha256 of its content', async ({ skip }) => {
    if (engine === 'postgres' && !(await postgresAnswers())) skip('no PostgreSQL server here');
    const { db } = await fresh(engine);
    await migrate(db);
    const recorded = await db.query<{ name: string; checksum: string }>(`select name, checksum from public.tokenwarden_migrations order by name`);
    expect(recorded).toEqual(
      migrationFiles().map((name) => ({ name, checksum: createHash('sha256').update(readFileSync(join(MIGRATIONS_DIR, name))).digest('hex') })),
    );
  });

  it('refuses an edited applied file before it applies anything else, naming it', async ({ skip }) => {
    if (engine === 'postgres' && !(await postgresAnswers())) skip('no PostgreSQL server here');
    const { db } = await fresh(engine);
    const dir = copyOfMigrations();
    await migrate(db, { dir });
    const files = migrationFiles();
    const edited = files[files.length - 1]!;
    writeFileSync(join(dir, edited), `${readFileSync(join(dir, edited), 'utf8')}\ncreate table public.sneaked_in (id int);\n`);
    // A new file that sorts before the edited one (a branch merged late) must not run either.
    const newer = `${String(BigInt(edited.slice(0, 14)) - 1n)}_merged_late.sql`;
    writeFileSync(join(dir, newer), `create table public.merged_late (id int);`);
    const failure = migrate(db, { dir });
    await expect(failure).rejects.toThrow(new RegExp(`${edited} was edited after it was applied`));
    const [row] = await db.query<{ merged: string | null; sneaked: string | null }>(
      `select to_regclass('public.merged_late')::text as merged, to_regclass('public.sneaked_in')::text as sneaked`,
    );
    expect(row).toEqual({ merged: null, sneaked: null });
  });
});

const SUPERSEDED_DIR = join(MIGRATIONS_DIR, '..', 'superseded');
const supersededFiles = () => (existsSync(SUPERSEDED_DIR) ? readdirSync(SUPERSEDED_DIR).filter((f) => f.endsWith('.sql')).sort() : []);

/** The migrations as a deployment that applied the superseded versions had them. */
function migrationsAsSuperseded(): string {
  const root = mkdtempSync(join(tmpdir(), 'tw-migrations-superseded-'));
  mkdirSync(join(root, 'migrations'));
  for (const name of readdirSync(MIGRATIONS_DIR)) {
    const superseded = join(SUPERSEDED_DIR, name);
    writeFileSync(join(root, 'migrations', name), readFileSync(existsSync(superseded) ? superseded : join(MIGRATIONS_DIR, name)));
  }
  return join(root, 'migrations');
}

const functionDefinitions = (db: Queryable) =>
  db.query<{ name: string; definition: string }>(
    `select p.proname as name, pg_get_functiondef(p.oid) as definition from pg_proc p
     join pg_namespace n on n.oid = p.pronamespace where n.nspname = 'public' order by p.proname, p.oid`,
  );

describe('superseded versions of applied migrations (supabase/superseded)', () => {
  it('each names an applied migration and differs from it', () => {
    expect(supersededFiles().length).toBeGreaterThan(0);
    for (const name of supersededFiles()) {
      expect(existsSync(join(MIGRATIONS_DIR, name))).toBe(true);
      expect(readFileSync(join(SUPERSEDED_DIR, name), 'utf8')).not.toEqual(readFileSync(join(MIGRATIONS_DIR, name), 'utf8'));
    }
  });

  describe.each(engines)('on %s', (engine) => {
    it('accepts a database that applied them, records the current files, and it ends at the same functions', async ({ skip }) => {
      if (engine === 'postgres' && !(await postgresAnswers())) skip('no PostgreSQL server here');
      const old = await fresh(engine);
      await migrate(old.db, { dir: migrationsAsSuperseded() });
      const lines: string[] = [];
      const result = await migrate(old.db, { log: (line) => lines.push(line) });
      expect(result.applied).toEqual([]);
      expect(lines.filter((line) => line.includes('superseded'))).toHaveLength(supersededFiles().length);
      const recorded = await old.db.query<{ name: string; checksum: string }>(`select name, checksum from public.tokenwarden_migrations order by name`);
      expect(recorded).toEqual(
        migrationFiles().map((name) => ({ name, checksum: createHash('sha256').update(readFileSync(join(MIGRATIONS_DIR, name))).digest('hex') })),
      );
      const current = await fresh(engine);
      await migrate(current.db);
      expect(await functionDefinitions(old.db)).toEqual(await functionDefinitions(current.db));
    });
  });

  it('adopts them from the Supabase CLI history too', async ({ skip }) => {
    if (!(await postgresAnswers())) skip('no PostgreSQL server here');
    const { db } = await fresh('postgres');
    const files = migrationFiles();
    const asApplied = (name: string) => readFileSync(existsSync(join(SUPERSEDED_DIR, name)) ? join(SUPERSEDED_DIR, name) : join(MIGRATIONS_DIR, name), 'utf8');
    await pushWithSupabaseCli(db, files, (name) => cliStatements(asApplied(name)));
    const result = await migrate(db);
    expect(result.applied).toEqual([]);
    expect(result.alreadyApplied).toEqual(files);
  });
});
