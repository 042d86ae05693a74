import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Db, Queryable } from './client';

/**
 * Applies supabase/migrations/*.sql in name order, each in its own transaction, and records
 * what it applied with a checksum. Applied files are append-only: an edited one is refused
 * with a message saying which, instead of silently diverging from the database.
 */

export const MIGRATIONS_DIR = resolve(process.cwd(), 'supabase', 'migrations');
const NAME = /^\d{14}_[a-z0-9_]+\.sql$/;

export interface MigrationFile {
  name: string;
  sql: string;
  checksum: string;
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
    return { name, sql, checksum: createHash('sha256').update(sql).digest('hex') };
  });
}

export async function migrate(db: Db, options: { dir?: string; log?: (line: string) => void } = {}): Promise<MigrateResult> {
  const files = readMigrations(options.dir);
  const log = options.log ?? (() => undefined);
  await db.transaction(async (tx) => {
    // Under the same lock as the files below: two first-time migrators must not race here.
    await tx.query(`select pg_advisory_xact_lock(hashtext('tokenwarden_migrations'))`);
    await tx.exec(`
      create table if not exists public.tokenwarden_migrations (
        name text primary key,
        checksum text not null,
        applied_at timestamptz not null default now()
      );
      -- Not for Supabase's API roles: with RLS on and no policy, they see and change nothing.
      alter table public.tokenwarden_migrations enable row level security;`);
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
        if (row.checksum !== file.checksum) {
          throw new MigrationError(
            `Migration ${file.name} was edited after it was applied (recorded sha256 ${row.checksum.slice(0, 12)}…, ` +
              `file now ${file.checksum.slice(0, 12)}…). Applied migrations are append-only: restore the file ` +
              `and put the change in a new migration.`,
          );
        }
        return true;
      }
      if (await appliedBySupabaseCli(tx, file.name)) {
        // `supabase db push` applied it already: adopt it rather than run it twice.
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

/** Whether the Supabase CLI's own history (supabase_migrations) records this file's version. */
async function appliedBySupabaseCli(tx: Queryable, name: string): Promise<boolean> {
  const [table] = await tx.query<{ found: string | null }>(
    `select to_regclass('supabase_migrations.schema_migrations')::text as found`,
  );
  if (!table?.found) return false;
  const rows = await tx.query(`select 1 from supabase_migrations.schema_migrations where version = $1`, [
    name.slice(0, 14),
  ]);
  return rows.length > 0;
}
