import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve as resolvePath } from 'node:path';
import { createTestDatabase, postgresAnswers, type TestDatabase } from '../support/database';
import { runCli } from '../../lib/cli/run';
import { MIGRATIONS_DIR } from '../../lib/db/migrate';
import { KeyRing, tokenContext } from '../../lib/crypto/key-ring';

const hasPostgres = await postgresAnswers();
const migrationFiles = readdirSync(MIGRATIONS_DIR).filter((name) => name.endsWith('.sql')).sort();
const key = randomBytes(32);
const KEYS = `cli:${key.toString('base64')}`;
const ring = new KeyRing([{ id: 'cli', key }]);

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

async function cli(argv: string[], env: Record<string, string | undefined>): Promise<Run> {
  let stdout = '';
  let stderr = '';
  const code = await runCli(argv, {
    stdout: (text) => (stdout += text),
    stderr: (text) => (stderr += text),
    env,
  });
  return { code, stdout, stderr };
}

/** stdout must be exactly one JSON document, on one line. */
function onlyJson(stdout: string): Record<string, unknown> {
  expect(stdout.endsWith('\n')).toBe(true);
  expect(stdout.trimEnd().split('\n')).toHaveLength(1);
  return JSON.parse(stdout) as Record<string, unknown>;
}

describe.skipIf(!hasPostgres)('the operator CLI', () => {
  let dir: string;
  let fresh: TestDatabase;
  let t: TestDatabase;
  let env: Record<string, string | undefined>;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'tw-cli-'));
    fresh = await createTestDatabase({ engine: 'postgres', migrated: false });
    t = await createTestDatabase({ engine: 'postgres' });
    // TOKENWARDEN_DATA_DIR keeps any generated file out of the working tree.
    env = { DATABASE_URL: t.url!, TOKEN_ENCRYPTION_KEYS: KEYS, NODE_ENV: 'test', TOKENWARDEN_DATA_DIR: join(dir, 'data') };
  });
  afterAll(async () => {
    await fresh?.drop();
    await t?.drop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  const file = (name: string, content: unknown) => {
    const path = join(dir, name);
    writeFileSync(path, typeof content === 'string' ? content : JSON.stringify(content));
    return path;
  };
  const integrationCount = async () => {
    const [row] = await t.db.query<{ n: number }>(`select count(*)::int as n from public.integrations`);
    return row!.n;
  };

  describe('migrate', () => {
    it('applies every migration and prints one JSON document, then applies nothing the second time', async () => {
      const migrateEnv = { ...env, DATABASE_URL: fresh.url! };
      const first = await cli(['migrate', '--json'], migrateEnv);
      expect(first.code).toBe(0);
      expect(onlyJson(first.stdout)).toEqual({ ok: true, applied: migrationFiles, alreadyApplied: [] });
      expect(first.stderr).toContain('Migrating PostgreSQL at 127.0.0.1');

      const second = await cli(['migrate', '--json'], migrateEnv);
      expect(second.code).toBe(0);
      expect(onlyJson(second.stdout)).toEqual({ ok: true, applied: [], alreadyApplied: migrationFiles });
    });

    it('runs as a real child process and prints one JSON document', async () => {
      const child = await createTestDatabase({ engine: 'postgres', migrated: false });
      try {
        const result = await new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
          execFile(
            'npx',
            ['tsx', 'scripts/tokenwarden.ts', 'migrate', '--json'],
            {
              // This checkout's own scripts and migrations.
              cwd: resolvePath(import.meta.dirname, '..', '..'),
              env: { ...process.env, DATABASE_URL: child.url!, TOKEN_ENCRYPTION_KEYS: KEYS, TOKENWARDEN_DATA_DIR: join(dir, 'data') },
              timeout: 60_000,
            },
            (error, stdout, stderr) => resolve({ code: error ? (typeof error.code === 'number' ? error.code : -1) : 0, stdout, stderr }),
          );
        });
        expect(result.code, result.stderr).toBe(0);
        expect(onlyJson(result.stdout)).toEqual({ ok: true, applied: migrationFiles, alreadyApplied: [] });
      } finally {
        await child.drop();
      }
    }, 90_000);
  });

  describe('import', () => {
    it('prints only { imported, ids } on stdout and its progress on stderr', async () => {
      const path = file('good.json', [
        { user_email: 'ops@example.com', provider: 'google', access_token: 'ya29.cli-access', refresh_token: '1//cli-refresh', expires_in: 3600 },
        { user_email: 'ops@example.com', provider: 'slack', access_token: 'xoxb-cli', organization: 'Ops' },
      ]);
      const run = await cli(['import', path, '--json'], env);
      expect(run.code, run.stdout + run.stderr).toBe(0);
      const doc = onlyJson(run.stdout);
      expect(Object.keys(doc).sort()).toEqual(['ids', 'imported']);
      expect(doc.imported).toBe(2);
      const ids = doc.ids as string[];
      expect(ids).toHaveLength(2);
      expect(run.stderr).toContain('Importing 2 connection(s)');
      expect(run.stderr).toMatch(/Imported 2 in \d+\.\d\d s/);
      for (const output of [run.stdout, run.stderr]) expect(output).not.toMatch(/ya29|1\/\/cli|xoxb/);

      const rows = await t.db.query<{ id: string; provider: string; access_token_encrypted: string; token_key_id: string }>(
        `select id, provider, access_token_encrypted, token_key_id from public.integrations where id = any($1::uuid[]) order by provider`,
        [ids],
      );
      expect(rows.map((row) => row.provider)).toEqual(['google', 'slack']);
      expect(rows.every((row) => row.token_key_id === 'cli')).toBe(true);
      expect(ring.decrypt(rows[0]!.access_token_encrypted, tokenContext.access(rows[0]!.id))).toBe('ya29.cli-access');
      const [audit] = await t.db.query<{ actor: string }>(`select actor from public.audit_log where action = 'integrations.imported' limit 1`);
      expect(audit!.actor).toBe('cli:import');
    });

    it('refuses a malformed file with exit code 1 and one JSON error naming the entry and field, writing nothing', async () => {
      const before = await integrationCount();
      const path = file('bad.json', [
        { user_email: 'ops@example.com', provider: 'google', access_token: 'SECRET-one' },
        { user_email: 'ops@example.com', provider: 'google', access_token: 'SECRET-two', expires_at: '2026-01-01T00:00:00Z', expires_in: 60 },
        { user_email: 'ops@example.com', provider: 'google', access_token: 'SECRET-three', refresh_tokn: 'SECRET-four' },
      ]);
      const run = await cli(['import', path, '--json'], env);
      expect(run.code).toBe(1);
      const doc = onlyJson(run.stdout);
      expect(doc).toEqual({ ok: false, error: { code: 'invalid_import', message: expect.any(String) } });
      const message = (doc.error as { message: string }).message;
      expect(message).toContain('entry 1, field "expires_in"');
      expect(message).toContain('entry 2, field "refresh_tokn"');
      expect(run.stdout + run.stderr).not.toContain('SECRET');
      expect(await integrationCount()).toBe(before);
    });

    it('refuses a missing file and a file that is not JSON', async () => {
      const missing = await cli(['import', join(dir, 'nope.json'), '--json'], env);
      expect(missing.code).toBe(1);
      expect(onlyJson(missing.stdout)).toEqual({
        ok: false,
        error: { code: 'invalid_import', message: expect.stringMatching(/nope\.json: cannot read it \(ENOENT\)/) },
      });

      const broken = await cli(['import', file('broken.json', '[{"user_email": "a@example.com",'), '--json'], env);
      expect(broken.code).toBe(1);
      expect(onlyJson(broken.stdout)).toEqual({
        ok: false,
        error: { code: 'invalid_import', message: expect.stringMatching(/broken\.json: it is not valid JSON/) },
      });

      const notArray = await cli(['import', file('object.json', { user_email: 'a@example.com' }), '--json'], env);
      expect(notArray.code).toBe(1);
      expect(onlyJson(notArray.stdout)).toEqual({
        ok: false,
        error: { code: 'invalid_import', message: expect.stringContaining('file: must be a JSON array of connections') },
      });
    });
  });

  describe('usage and configuration errors', () => {
    it('answers an unknown command with exit code 2 and one JSON error', async () => {
      const run = await cli(['frobnicate', '--json'], env);
      expect(run.code).toBe(2);
      expect(onlyJson(run.stdout)).toEqual({
        ok: false,
        error: { code: 'unknown_command', message: expect.stringContaining('Unknown command "frobnicate"') },
      });
    });

    it('answers a wrong argument count or an unknown flag with exit code 2', async () => {
      const tooFew = await cli(['import', '--json'], env);
      expect(tooFew.code).toBe(2);
      expect(onlyJson(tooFew.stdout)).toEqual({
        ok: false,
        error: { code: 'usage', message: expect.stringContaining('"import" takes 1 argument(s), got 0') },
      });

      const tooMany = await cli(['migrate', 'extra', '--json'], env);
      expect(tooMany.code).toBe(2);
      expect(onlyJson(tooMany.stdout)).toMatchObject({ ok: false, error: { code: 'usage' } });

      const badFlag = await cli(['migrate', '--bogus', '--json'], env);
      expect(badFlag.code).toBe(2);
      expect(onlyJson(badFlag.stdout)).toMatchObject({ ok: false, error: { code: 'usage', message: expect.stringContaining('--bogus') } });
    });

    it('refuses a bad environment value with a configuration error naming the variable', async () => {
      const run = await cli(['migrate', '--json'], { ...env, REFRESH_CONCURRENCY: 'abc' });
      expect(run.code).toBe(1);
      expect(onlyJson(run.stdout)).toEqual({
        ok: false,
        error: { code: 'configuration', message: expect.stringContaining('REFRESH_CONCURRENCY') },
      });
    });

    it('names a malformed TOKEN_ENCRYPTION_KEYS without echoing the key', async () => {
      const run = await cli(['migrate', '--json'], { ...env, TOKEN_ENCRYPTION_KEYS: 'short:c2hvcnRrZXk=' });
      expect(run.code).toBe(1);
      const doc = onlyJson(run.stdout);
      expect(doc).toEqual({ ok: false, error: { code: 'configuration', message: expect.stringContaining('TOKEN_ENCRYPTION_KEYS') } });
      expect(run.stdout + run.stderr).not.toContain('c2hvcnRrZXk=');
    });

    it('writes errors to stderr, and nothing to stdout, without --json', async () => {
      const run = await cli(['frobnicate'], env);
      expect(run.code).toBe(2);
      expect(run.stdout).toBe('');
      expect(run.stderr).toContain('Unknown command "frobnicate"');
    });
  });
});
