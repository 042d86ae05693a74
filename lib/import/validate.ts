import { z } from 'zod';
import { importEntrySchema, type ImportEntry } from './entry-schema';

export interface ImportProblem {
  /** Index of the entry in the file's array; null for the file as a whole. */
  index: number | null;
  field: string | null;
  message: string;
}

const SHOWN = 50;

/** A refused import: nothing was written. The message names each entry and field. */
export class ImportValidationError extends Error {
  constructor(readonly problems: ImportProblem[]) {
    const lines = problems.slice(0, SHOWN).map(formatProblem);
    const more = problems.length > SHOWN ? [`…and ${problems.length - SHOWN} more`] : [];
    super(
      `Import refused, nothing was imported (${problems.length} problem${problems.length === 1 ? '' : 's'}):\n` +
        [...lines, ...more].map((line) => `  - ${line}`).join('\n'),
    );
    this.name = 'ImportValidationError';
  }
}

export function formatProblem(problem: ImportProblem): string {
  const where = problem.index === null ? 'file' : `entry ${problem.index}`;
  return problem.field ? `${where}, field "${problem.field}": ${problem.message}` : `${where}: ${problem.message}`;
}

/**
 * Validates a whole parsed import file before anything is written. `knownProviders` are the
 * ids of the catalog plus the providers file. Returns the entries or throws with every
 * problem found (not just the first).
 */
export function validateImportFile(data: unknown, knownProviders: ReadonlySet<string>): ImportEntry[] {
  if (!Array.isArray(data)) {
    throw new ImportValidationError([{ index: null, field: null, message: 'must be a JSON array of connections' }]);
  }
  const problems: ImportProblem[] = [];
  const entries: ImportEntry[] = [];
  data.forEach((raw, index) => {
    const parsed = importEntrySchema.safeParse(raw);
    if (!parsed.success) {
      problems.push(...issuesToProblems(index, parsed.error));
      return;
    }
    if (!knownProviders.has(parsed.data.provider)) {
      problems.push({
        index,
        field: 'provider',
        message: `unknown provider "${parsed.data.provider}" (known: ${[...knownProviders].sort().join(', ')})`,
      });
      return;
    }
    entries.push(parsed.data);
  });
  if (problems.length > 0) throw new ImportValidationError(problems);
  return entries;
}

function issuesToProblems(index: number, error: z.ZodError): ImportProblem[] {
  return error.issues.map((issue) => {
    if (issue.code === 'unrecognized_keys') {
      return { index, field: issue.keys.join(', '), message: 'unknown field' };
    }
    if (issue.path.length === 0) {
      return { index, field: null, message: 'must be an object' };
    }
    const field = issue.path.map((part) => (typeof part === 'number' ? `[${part}]` : String(part))).join('.');
    const missing = issue.code === 'invalid_type' && issue.input === undefined;
    return { index, field: field.replace('.[', '['), message: missing ? 'is required' : issue.message };
  });
}
