import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Db, Queryable } from './client';
import { cliHistoryProblem, readSupabaseCliHistory } from './supabase-cli-history';

/**
 * Applies supabase/migrations/*.sql in name order, each in its own transaction, and records
 * what it applied with a checksum. Applied files are append-only: an edited one is refused
 * with a message saying which, before anything runs, instead of silently diverging from the
 * database. Files that the Supabase CLI applied are adopted only if they still match the
 * statements it recorded.
 *
 * One exception, kept as files rather than hashes: supabase/superseded/<name> holds a version of
 * an applied migration that once landed and was later replaced by the version every other
 * deployment applied (docs/architecture.md, "Migrations"). A database that applied the superseded
 * version ends at the same schema, so it is accepted, and its record is moved to the current
 * file's checksum.
 */

export const MIGRATIONS_DIR = resolve(process.cwd(), 'supabase', 'migrations');
const NAME = /^\d{14}_[a-z0-9_]+\.sql$/;

export interface MigrationFile {
  name: string;
  sql: string;
  checksum: string;
  /** Versions of this file that some deployment applied and that end at the same schema. */
  superseded: { sql: string; checksum: string }[];
}

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

/** supabase/superseded beside the migrations folder: a file there supersedes nothing on its own. */
function readSuperseded(dir: string, name: string): { sql: string; checksum: string }[] {
  const path = join(dir, '..', 'superseded', name);
  if (!existsSync(path)) return [];
  const sql = readFileSync(path, 'utf8');
  return [{ sql, checksum: sha256(sql) }];
}

export interface MigrateResult {
  applied: string[];
  alreadyApplied: string[];
}

export class MigrationError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'MigrationError';
  }
}

export function readMigrations(dir = MIGRATIONS_DIR): MigrationFile[] {
  const files = readdirSync(dir).filter((name) => name.endsWith('.sql')).sort();
  return files.map((name) => {
    if (!NAME.test(name)) {
      throw new MigrationError(`${join(dir, name)}: migration names must be <14-digit timestamp>_<snake_case>.sql`);
    }
    const sql = readFileSync(join(dir, name), 'utf8');
    return { name, sql, checksum: sha256(sql), superseded: readSuperseded(dir, name) };
  });
}

/**
 * The runner's own table. On Supabase, default privileges grant ALL on every new public table
 * to anon and authenticated; RLS alone does not stop TRUNCATE, so the grants are revoked here
 * (every run, so a table made by an older runner loses them too). The roles may not exist
 * yet on a fresh database: the first migration creates them.
 */
const BOOKKEEPING_SQL = `
  create table if not exists public.tokenwarden_migrations (
    name text primary key,
    checksum text not null,
    applied_at timestamptz not null default now()
  );
  -- Not for Supabase's API roles: with RLS on and no policy, they see and change nothing.
  alter table public.tokenwarden_migrations enable row level security;
  do $revoke$
  declare
    role_name text;
  begin
    foreach role_name in array array['anon', 'authenticated'] loop
      if exists (select 1 from pg_roles where rolname = role_name) then
        execute format('revoke all on table public.tokenwarden_migrations from %I', role_name);
      end if;
    end loop;
  end
  $revoke$;`;

/** The recorded checksum is this file's, or a superseded version's of it. */
function matchesRecorded(file: MigrationFile, recorded: string): boolean {
  return recorded === file.checksum || file.superseded.some((version) => version.checksum === recorded);
}

function editedProblem(file: MigrationFile, recorded: string): string {
  return (
    `Migration ${file.name} was edited after it was applied (recorded sha256 ${recorded.slice(0, 12)}…, ` +
    `file now ${file.checksum.slice(0, 12)}…). Applied migrations are append-only: restore the file ` +
    `and put the change in a new migration.`
  );
}

/**
 * Every reason the files on disk no longer match what this database applied: an edited file
 * that the runner recorded, or one that the Supabase CLI applied with other statements.
 */
async function appliedProblems(db: Queryable, files: MigrationFile[]): Promise<string[]> {
  const recorded = new Map(
    (await db.query<{ name: string; checksum: string }>(`select name, checksum from public.tokenwarden_migrations`)).map(
      (row) => [row.name, row.checksum],
    ),
  );
  const cli = await readSupabaseCliHistory(db);
  const problems: string[] = [];
  for (const file of files) {
    const checksum = recorded.get(file.name);
    if (checksum !== undefined) {
      if (!matchesRecorded(file, checksum)) problems.push(editedProblem(file, checksum));
      continue;
    }
    const statements = cli.get(file.name.slice(0, 14));
    const problem = statements === undefined ? null : cliHistoryProblem(file, statements);
    if (problem) problems.push(problem);
  }
  return problems;
}

export async function migrate(db: Db, options: { dir?: string; log?: (line: string) => void } = {}): Promise<MigrateResult> {
  const files = readMigrations(options.dir);
  const log = options.log ?? (() => undefined);
  await db.transaction(async (tx) => {
    // Under the same lock as the files below: two first-time migrators must not race here.
    await tx.query(`select pg_advisory_xact_lock(hashtext('tokenwarden_migrations'))`);
    await tx.exec(BOOKKEEPING_SQL);
    // Before anything runs: an edited file refuses the whole migration, not just what follows it.
    const problems = await appliedProblems(tx, files);
    if (problems.length > 0) throw new MigrationError(problems.join('\n'));
  });

  const result: MigrateResult = { applied: [], alreadyApplied: [] };
  for (const file of files) {
    const done = await db.transaction(async (tx) => {
      // One migrator at a time per database: a second waits here, then sees the file applied.
      await tx.query(`select pg_advisory_xact_lock(hashtext('tokenwarden_migrations'))`);
      const [row] = await tx.query<{ checksum: string }>(
        `select checksum from public.tokenwarden_migrations where name = $1`,
        [file.name],
      );
      if (row) {
        if (!matchesRecorded(file, row.checksum)) throw new MigrationError(editedProblem(file, row.checksum));
        if (row.checksum !== file.checksum) {
          log(`${file.name}: applied as a superseded version (supabase/superseded); recorded as the current file`);
          await tx.query(`update public.tokenwarden_migrations set checksum = $2 where name = $1`, [file.name, file.checksum]);
        }
        return true;
      }
      const cli = (await readSupabaseCliHistory(tx)).get(file.name.slice(0, 14));
      if (cli !== undefined) {
        // `supabase db push` applied it already: adopt it rather than run it twice, if it still matches.
        const problem = cliHistoryProblem(file, cli);
        if (problem) throw new MigrationError(problem);
        await tx.query(`insert into public.tokenwarden_migrations (name, checksum) values ($1, $2)`, [
          file.name,
          file.checksum,
        ]);
        return true;
      }
      // An index build on a large table may run for minutes: no statement limit here. The
      // lock limit stays, so a migration waiting behind a long transaction fails (and can be
      // re-run) instead of queueing every refresh behind its lock.
      await tx.query(`set local statement_timeout = 0`);
      try {
        await tx.exec(file.sql);
      } catch (error) {
        const message = error instanceof Error ? error.message : String(error);
        throw new MigrationError(`Migration ${file.name} failed and was rolled back: ${message}`, { cause: error });
      }
      await tx.query(`insert into public.tokenwarden_migrations (name, checksum) values ($1, $2)`, [
        file.name,
        file.checksum,
      ]);
      return false;
    });
    if (done) {
      result.alreadyApplied.push(file.name);
    } else {
      result.applied.push(file.name);
      log(`applied ${file.name}`);
    }
  }
  return result;
}
