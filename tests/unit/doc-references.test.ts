import { describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * The repo explains itself: every "docs/contracts.md §N" in code, tests and README names a
 * section that exists there, and nothing cites a contracts file outside the repo.
 */
const root = join(import.meta.dirname, '..', '..');
const files = execFileSync('git', ['ls-files', '--cached', '--others', '--exclude-standard'], { cwd: root, encoding: 'utf8' })
  .split('\n')
  .filter((file) => /\.(ts|tsx|mjs|md|sql)$/.test(file));
const sections = new Set(
  [...readFileSync(join(root, 'docs', 'contracts.md'), 'utf8').matchAll(/^## (\d+)\. /gm)].map((match) => match[1]),
);

describe('references to the contracts', () => {
  it('name sections that exist in docs/contracts.md', () => {
    const broken: string[] = [];
    for (const file of files) {
      const text = readFileSync(join(root, file), 'utf8');
      for (const match of text.matchAll(/docs\/contracts\.md §(\d+)/g)) {
        if (!sections.has(match[1]!)) broken.push(`${file}: §${match[1]}`);
      }
    }
    expect(sections.size).toBeGreaterThanOrEqual(8);
    expect(broken).toEqual([]);
  });

  it('never point at a CONTRACTS file the repo does not have', () => {
    // Spelled in parts, so this file does not match itself.
    const pattern = new RegExp(['CONTRACTS' + ' §', ['\\.\\.', 'shared'].join('/')].join('|'));
    const outside = files.filter((file) => pattern.test(readFileSync(join(root, file), 'utf8')));
    expect(outside).toEqual([]);
  });
});
