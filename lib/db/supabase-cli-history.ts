import type { Queryable } from './client';

/**
 * What `supabase db push` (and `supabase migration repair`) recorded: one row per applied
 * file in supabase_migrations.schema_migrations, with the file's statements as the CLI split
 * them. The migration runner adopts those files instead of running them twice, but only when
 * the file still says what was applied.
 */

/** Statements per version (the file name's 14-digit timestamp); null where none were recorded. */
export type CliHistory = Map<string, string[] | null>;

export async function readSupabaseCliHistory(db: Queryable): Promise<CliHistory> {
  const [table] = await db.query<{ found: boolean; has_statements: boolean }>(
    `select to_regclass('supabase_migrations.schema_migrations') is not null as found,
            exists (select 1 from pg_attribute
                    where attrelid = to_regclass('supabase_migrations.schema_migrations')
                      and attname = 'statements' and not attisdropped) as has_statements`,
  );
  if (!table?.found) return new Map();
  const rows = await db.query<{ version: string; statements: string[] | null }>(
    `select version, ${table.has_statements ? 'statements' : 'null::text[] as statements'}
     from supabase_migrations.schema_migrations`,
  );
  return new Map(rows.map((row) => [row.version, row.statements]));
}

/**
 * The CLI stores each statement without its surrounding whitespace and trailing semicolon,
 * and where it splits depends on its version. What remains is every other character of the
 * file, in order: the file matches when it equals the statements once whitespace and
 * semicolons are set aside on both sides.
 */
const significant = (sql: string) => sql.replace(/[\s;]+/g, '');

/** Why a file cannot be adopted from the CLI's record of it, or null when it can. */
export function cliHistoryProblem(
  file: { name: string; sql: string; superseded?: { sql: string }[] },
  statements: string[] | null,
): string | null {
  const version = file.name.slice(0, 14);
  if (statements === null) {
    return (
      `Migration ${file.name}: the Supabase CLI history (supabase_migrations.schema_migrations) records version ${version} ` +
      `without its statements, so the file cannot be checked against what was applied. Check that the database matches ` +
      `the file, then re-record it with \`supabase migration repair --status reverted ${version}\` and ` +
      `\`supabase migration repair --status applied ${version}\`.`
    );
  }
  const applied = significant(statements.join('\n'));
  // The file, or a superseded version of it that some deployment pushed (lib/db/migrate.ts).
  if ([file.sql, ...(file.superseded ?? []).map((version) => version.sql)].some((sql) => significant(sql) === applied)) return null;
  return (
    `Migration ${file.name} differs from what the Supabase CLI applied (supabase_migrations.schema_migrations ` +
    `version ${version}). Applied migrations are append-only: restore the file and put the change in a new migration.`
  );
}
