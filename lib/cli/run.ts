import { z } from 'zod';
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { EnvError } from '../env';
import { migrate, MigrationError } from '../db/migrate';
import { validateImportFile, ImportValidationError } from '../import/validate';
import { importConnections } from '../import/import-connections';
import { rotateKeys } from '../crypto/rotate-keys';
import { openCliContext, type CliContext } from './context';
import { runRefreshPass } from '../refresh/run-pass';
import { JobInterruptedError, describeDatabaseError, isDatabaseUnreachable } from '../db/errors';
import { runDeliverPass } from '../notify/deliver';
import { runCleanup } from '../notify/cleanup';
import { DELIVER_OPTIONS } from '../notify/deps';
import { redrive } from '../notify/redrive';
import { runCheckExpiring } from '../refresh/check-expiring';
import { refreshStats } from '../refresh/stats';

/**
 * The operator CLI (docs/contracts.md §1). With --json every command prints exactly one JSON
 * document on stdout, errors included; progress and logs go to stderr.
 */

export interface CliIo {
  stdout: (text: string) => void;
  stderr: (text: string) => void;
  env: Record<string, string | undefined>;
}

interface Command {
  summary: string;
  options: Record<string, { type: 'string' | 'boolean' }>;
  positionals: number;
  run(ctx: CliContext, args: { values: Record<string, string | boolean | undefined>; positionals: string[] }, io: CliIo): Promise<{ json: unknown; text: string }>;
}

export class UsageError extends Error {
  override name = 'UsageError';
}

const commands: Record<string, Command> = {
  migrate: {
    summary: 'apply supabase/migrations/*.sql in name order (idempotent)',
    options: {},
    positionals: 0,
    async run(ctx, _args, io) {
      io.stderr(`Migrating ${ctx.databaseLabel}\n`);
      const result = await migrate(ctx.db, { log: (line) => io.stderr(`${line}\n`) });
      return {
        json: { ok: true, applied: result.applied, alreadyApplied: result.alreadyApplied },
        text: result.applied.length
          ? `Applied ${result.applied.length} migration(s): ${result.applied.join(', ')}`
          : `Up to date (${result.alreadyApplied.length} migration(s) applied earlier)`,
      };
    },
  },
  import: {
    summary: 'import existing connections from a JSON file: import <file>',
    options: {},
    positionals: 1,
    async run(ctx, { positionals }, io) {
      const file = positionals[0]!;
      let data: unknown;
      try {
        data = JSON.parse(readFileSync(file, 'utf8'));
      } catch (error) {
        const reason = (error as NodeJS.ErrnoException).code ? `cannot read it (${(error as NodeJS.ErrnoException).code})` : 'it is not valid JSON';
        throw new ImportValidationError([{ index: null, field: null, message: `${file}: ${reason}` }]);
      }
      const providers = ctx.providers();
      const entries = validateImportFile(data, new Set(providers.ids()));
      io.stderr(`Importing ${entries.length} connection(s) into ${ctx.databaseLabel}\n`);
      const started = performance.now();
      const result = await importConnections(ctx.db, entries, { keyRing: ctx.keyRing(), providers });
      const seconds = (performance.now() - started) / 1000;
      io.stderr(`Imported ${result.imported} in ${seconds.toFixed(2)} s\n`);
      return { json: { imported: result.imported, ids: result.ids }, text: `Imported ${result.imported} connection(s).` };
    },
  },
  refresh: {
    summary: 'one refresh pass, as the cron runs it: refresh [--provider P] [--integration ID] [--force]',
    options: { provider: { type: 'string' }, integration: { type: 'string' }, force: { type: 'boolean' } },
    positionals: 0,
    async run(ctx, { values }, io) {
      const provider = values.provider as string | undefined;
      const integration = values.integration as string | undefined;
      if (provider !== undefined && !ctx.providers().has(provider)) {
        throw new UsageError(`--provider: unknown provider "${provider}" (known: ${ctx.providers().ids().join(', ')})`);
      }
      if (integration !== undefined && !z.uuid().safeParse(integration).success) {
        throw new UsageError(`--integration: "${integration}" is not an integration id (uuid)`);
      }
      io.stderr(`Refreshing on ${ctx.databaseLabel}\n`);
      const summary = await runRefreshPass(ctx.refreshDeps(), {
        trigger: values.force ? 'forced' : 'manual',
        force: Boolean(values.force),
        provider: provider ?? null,
        integrationId: integration ?? null,
        verbose: true,
        ...ctx.passSettings(),
      });
      const lines = (summary.results ?? []).map(
        (r) => `  ${r.outcome.padEnd(17)} ${r.provider.padEnd(12)} ${r.integrationId}${r.errorCode ? ` (${r.errorCode})` : ''}`,
      );
      return {
        json: summary,
        text:
          `Claimed ${summary.claimed}: ${summary.refreshed} refreshed, ${summary.skipped} skipped, ` +
          `${summary.transientFailures} transient, ${summary.authFailures} auth, ${summary.configFailures} config failures; ` +
          `${summary.disconnected} need reauthorization.` +
          (lines.length ? `\n${lines.join('\n')}` : ''),
      };
    },
  },
  'check-expiring': {
    summary: 'the daily expiry check: check-expiring [--days N] [--no-auto-refresh]',
    options: { days: { type: 'string' }, 'no-auto-refresh': { type: 'boolean' } },
    positionals: 0,
    async run(ctx, { values }) {
      const days = wholeNumberFlag('days', values.days, 7, 90);
      const summary = await runCheckExpiring(ctx.refreshDeps(), { days, autoRefresh: !values['no-auto-refresh'] });
      return {
        json: summary,
        text:
          `${summary.checked} connection(s) end within ${days} days: ${summary.autoRefreshed} renewed, ` +
          `${summary.refreshFailed} could not be renewed, ${summary.warned} newly warned.`,
      };
    },
  },
  deliver: {
    summary: 'one pass of the outbox delivery job (emails and webhooks due now), as its cron route runs it',
    options: {},
    positionals: 0,
    async run(ctx, _args, io) {
      io.stderr(`Delivering from ${ctx.databaseLabel}${ctx.env.RESEND_API_KEY ? '' : ' (RESEND_API_KEY unset: emails become skipped)'}\n`);
      const summary = await runDeliverPass(ctx.deliverDeps(), DELIVER_OPTIONS);
      return {
        json: summary,
        text:
          `Emails: ${summary.emails.sent} sent, ${summary.emails.retrying} to retry, ${summary.emails.failed} failed, ` +
          `${summary.emails.skipped} skipped. Webhooks: ${summary.webhooks.sent} sent, ${summary.webhooks.retrying} to retry, ` +
          `${summary.webhooks.dead} dead-lettered.`,
      };
    },
  },
  redrive: {
    summary: 'put failed emails and dead webhook deliveries back in the queue: redrive [--emails] [--webhooks] [--since ISO]',
    options: { emails: { type: 'boolean' }, webhooks: { type: 'boolean' }, since: { type: 'string' } },
    positionals: 0,
    async run(ctx, { values }, io) {
      const since = isoFlag('since', values.since);
      // Neither named: both.
      const both = !values.emails && !values.webhooks;
      const emails = both || Boolean(values.emails);
      const webhooks = both || Boolean(values.webhooks);
      io.stderr(`Redriving ${[emails && 'failed emails', webhooks && 'dead webhook deliveries'].filter(Boolean).join(' and ')} on ${ctx.databaseLabel}` +
        `${since ? ` (last attempt at or after ${since.toISOString()})` : ''}\n`);
      const result = await redrive(ctx.db, { emails, webhooks, since, now: new Date() });
      const parts = [
        result.emails !== undefined && `${result.emails} failed email(s)`,
        result.webhooks !== undefined && `${result.webhooks} dead webhook deliveries`,
      ].filter(Boolean);
      return {
        json: { ok: true, ...result, since: since?.toISOString() ?? null },
        text: `Back in the queue: ${parts.join(', ')}. The deliver job sends them on its next pass.`,
      };
    },
  },
  cleanup: {
    summary: 'the retention job: refresh logs and delivered outbox rows older than 30 days',
    options: {},
    positionals: 0,
    async run(ctx) {
      const summary = await runCleanup(ctx.db, { now: new Date() });
      return {
        json: summary,
        text:
          `Removed ${summary.refreshLogsDeleted} refresh log(s), ${summary.emailsDeleted} email(s) and ` +
          `${summary.webhookDeliveriesDeleted} webhook deliveries older than ${summary.retentionDays} days, ` +
          `and ${summary.connectSessionsDeleted} connect session(s) that ended more than a day ago.`,
      };
    },
  },
  stats: {
    summary: 'refresh statistics per provider: stats [--hours H] (default 24)',
    options: { hours: { type: 'string' } },
    positionals: 0,
    async run(ctx, { values }) {
      const hours = wholeNumberFlag('hours', values.hours, 24, 24 * 90);
      const stats = await refreshStats(ctx.db, { hours, now: new Date() });
      const percent = (rate: number | null) => (rate === null ? '—' : `${(rate * 100).toFixed(1)}%`);
      const lines = stats.providers.map(
        (p) =>
          `  ${p.provider.padEnd(14)} ${String(p.total).padStart(7)} ${percent(p.successRate).padStart(7)}  ` +
          `${p.transientFailures}/${p.authFailures}/${p.configFailures}  p50 ${p.durationMs.p50} ms, p95 ${p.durationMs.p95} ms`,
      );
      return {
        json: stats,
        text:
          `Refreshes in the last ${hours} h: ${stats.total.total}, success ${percent(stats.total.successRate)}\n` +
          `  provider         total success  transient/auth/config  durations\n${lines.join('\n')}`,
      };
    },
  },
  'rotate-keys': {
    summary: 're-encrypt every stored token with the active encryption key',
    options: {},
    positionals: 0,
    async run(ctx) {
      const result = await rotateKeys(ctx.db, ctx.keyRing());
      return {
        json: { ok: result.failed.length === 0, ...result },
        text:
          `Re-encrypted ${result.rotated} integration(s) under key "${result.activeKeyId}"` +
          (result.changedConcurrently ? `; ${result.changedConcurrently} were rewritten by a refresh meanwhile` : '') +
          (result.failed.length
            ? `\n${result.failed.length} could not be opened:\n${result.failed.map((f) => `  ${f.integrationId}: ${f.reason}`).join('\n')}`
            : ''),
      };
    },
  },
};

/** A `--name N` flag: a whole number from 1 to max, or the fallback when absent. */
function wholeNumberFlag(name: string, value: string | boolean | undefined, fallback: number, max: number): number {
  if (value === undefined) return fallback;
  const parsed = Number(value);
  if (typeof value !== 'string' || !Number.isInteger(parsed) || parsed < 1 || parsed > max) {
    throw new UsageError(`--${name}: "${String(value)}" must be a whole number from 1 to ${max}`);
  }
  return parsed;
}

const isoInstant = z.union([z.iso.datetime({ offset: true }), z.iso.date()]);

/** A `--name ISO` flag: an ISO-8601 instant (with Z or an offset) or a date (midnight UTC); null when absent. */
function isoFlag(name: string, value: string | boolean | undefined): Date | null {
  if (value === undefined) return null;
  if (typeof value !== 'string' || !isoInstant.safeParse(value).success) {
    throw new UsageError(`--${name}: "${String(value)}" is not an ISO-8601 date or time (e.g. 2026-11-25 or 2026-11-25T09:00:00Z)`);
  }
  return new Date(value);
}

function usage(): string {
  const lines = Object.entries(commands).map(([name, command]) => `  ${name.padEnd(14)} ${command.summary}`);
  return `Usage: npm run tokenwarden -- <command> [flags] [--json]\n\nCommands:\n${lines.join('\n')}\n`;
}

/** Runs one command; resolves to the process exit code. */
export async function runCli(argv: string[], io: CliIo): Promise<number> {
  const json = argv.includes('--json');
  const [name, ...rest] = argv.filter((arg) => arg !== '--json');
  const fail = (code: string, message: string, exitCode: number) => {
    if (json) io.stdout(`${JSON.stringify({ ok: false, error: { code, message } })}\n`);
    else io.stderr(`${message}\n`);
    return exitCode;
  };

  if (!name || name === 'help' || name === '--help') {
    if (json) io.stdout(`${JSON.stringify({ ok: true, commands: Object.keys(commands) })}\n`);
    else io.stderr(usage());
    return name ? 0 : 2;
  }
  const command = commands[name];
  if (!command) return fail('unknown_command', `Unknown command "${name}".\n${usage()}`, 2);

  let args: { values: Record<string, string | boolean | undefined>; positionals: string[] };
  try {
    args = parseArgs({ args: rest, options: command.options, allowPositionals: true, strict: true });
    if (args.positionals.length !== command.positionals) {
      throw new UsageError(`"${name}" takes ${command.positionals} argument(s), got ${args.positionals.length}`);
    }
  } catch (error) {
    return fail('usage', `${(error as Error).message}\n${usage()}`, 2);
  }

  let ctx: CliContext | undefined;
  try {
    ctx = await openCliContext(io.env);
    const result = await command.run(ctx, args, io);
    io.stdout(json ? `${JSON.stringify(result.json)}\n` : `${result.text}\n`);
    const ok = (result.json as { ok?: unknown }).ok;
    return ok === false ? 1 : 0;
  } catch (error) {
    if (error instanceof EnvError) return fail('configuration', error.message, 1);
    if (error instanceof ImportValidationError) return fail('invalid_import', error.message, 1);
    if (error instanceof MigrationError) return fail('migration', error.message, 1);
    if (error instanceof UsageError) return fail('usage', error.message, 2);
    if (error instanceof JobInterruptedError) {
      // The pass's own summary, counts included, as the cron route answers it.
      io.stdout(json ? `${JSON.stringify(error.summary)}\n` : `${error.message}\n`);
      return 1;
    }
    if (isDatabaseUnreachable(error)) {
      return fail('database_unreachable', `${name} failed: the database was unreachable (${describeDatabaseError(error)})`, 1);
    }
    const message = error instanceof Error ? error.message : String(error);
    return fail('error', `${name} failed: ${message}`, 1);
  } finally {
    await ctx?.db.close();
  }
}
