import { describe, expect, it } from 'vitest';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';

/** README "Layout": SQL that reads or writes a table lives in that table's module in lib/db. */
describe('SQL placement', () => {
  const root = join(import.meta.dirname, '..', '..');
  function files(dir: string): string[] {
    return readdirSync(dir).flatMap((name) => {
      const path = join(dir, name);
      return statSync(path).isDirectory() ? files(path) : [path];
    });
  }

  it('no page, route handler or refresh-one.ts runs a query itself', () => {
    const runs = /\.\s*(?:query|exec|unsafe)\s*[<(]/;
    const sources = [...files(join(root, 'app')).filter((path) => /\.(ts|tsx)$/.test(path)), join(root, 'lib', 'refresh', 'refresh-one.ts')];
    const offenders = sources.filter((path) => runs.test(readFileSync(path, 'utf8'))).map((path) => relative(root, path));
    expect(offenders).toEqual([]);
  });
});
