import { describe, expect, it } from 'vitest';
import { ESLint } from 'eslint';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * `npm run lint` enforces the dependency direction (eslint.config.mjs, docs/architecture.md):
 * a planted import against it must fail, and the same code in a folder allowed to import it
 * must pass.
 */
const root = join(import.meta.dirname, '..', '..');
// Planted code is linted as text (no file is written into lib/); the cycle rule needs files
// on disk and is tested on its own below.
const eslint = new ESLint({ cwd: root, overrideConfig: { rules: { 'import/no-cycle': 'off' } } });

async function problems(filePath: string, code: string): Promise<string[]> {
  const [result] = await eslint.lintText(code, { filePath: join(root, filePath) });
  return (result?.messages ?? []).filter((m) => m.ruleId === 'import/no-restricted-paths').map((m) => m.message);
}

describe('the dependency rule', () => {
  it('refuses an upward import from the database layer into the refresh engine', async () => {
    const found = await problems('lib/db/planted.ts', `import { runRefreshPass } from '../refresh/run-pass';\nexport const x = runRefreshPass;\n`);
    expect(found).toHaveLength(1);
    expect(found[0]).toMatch(/sit below refresh, notify and auth/);
  });

  it('refuses notify importing refresh (peers share through lib/owed)', async () => {
    const found = await problems('lib/notify/planted.ts', `import { decide } from '../refresh/policy';\nexport const x = decide;\n`);
    expect(found).toHaveLength(1);
    expect(found[0]).toMatch(/never import one another/);
  });

  it('refuses lib importing from app', async () => {
    const found = await problems('lib/refresh/planted.ts', `import { GET } from '../../app/api/cron/token-refresh/route';\nexport const x = GET;\n`);
    expect(found).toHaveLength(1);
  });

  it('refuses a cycle between files', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tw-cycle-'));
    try {
      mkdirSync(join(dir, 'lib', 'owed'), { recursive: true });
      writeFileSync(join(dir, 'lib', 'owed', 'a.ts'), `import { b } from './b';\nexport const a = () => b();\n`);
      writeFileSync(join(dir, 'lib', 'owed', 'b.ts'), `import { a } from './a';\nexport const b = () => a();\n`);
      const linter = new ESLint({ cwd: dir, overrideConfigFile: join(root, 'eslint.config.mjs') });
      const [result] = await linter.lintFiles([join(dir, 'lib', 'owed', 'a.ts')]);
      expect(result!.messages.map((m) => m.ruleId)).toContain('import/no-cycle');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('lets an entry folder import the domain, and the domain import the base', async () => {
    expect(await problems('lib/cli/planted.ts', `import { runRefreshPass } from '../refresh/run-pass';\nexport const x = runRefreshPass;\n`)).toEqual([]);
    expect(await problems('lib/notify/planted.ts', `import { owedRows } from '../owed/owed-rows';\nexport const x = owedRows;\n`)).toEqual([]);
  });
}, 60_000);
