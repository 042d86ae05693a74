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
    if (!parsed.success) problems.push(...issuesToProblems(index, raw, parsed.error));
    // Checked on the raw entry too, so an unknown provider is reported beside other problems.
    const provider = isRecord(raw) ? raw.provider : undefined;
    if (typeof provider === 'string' && provider !== '' && !knownProviders.has(provider)) {
      problems.push({
        index,
        field: 'provider',
        message: `unknown provider "${provider}" (known: ${[...knownProviders].sort().join(', ')})`,
      });
      return;
    }
    if (parsed.success) entries.push(parsed.data);
  });
  if (problems.length > 0) throw new ImportValidationError(problems);
  return entries;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function issuesToProblems(index: number, raw: unknown, error: z.ZodError): ImportProblem[] {
  return error.issues.map((issue) => {
    if (issue.code === 'unrecognized_keys') {
      return { index, field: issue.keys.join(', '), message: 'unknown field' };
    }
    if (issue.path.length === 0) {
      return { index, field: null, message: 'must be an object' };
    }
    const field = issue.path.map((part) => (typeof part === 'number' ? `[${part}]` : String(part))).join('.');
    // Zod 4 leaves `input` off issues unless asked (it could hold a token), so "missing" is
    // read from the entry itself: a present value of the wrong type keeps the schema's message.
    const missing = issue.path.length === 1 && isRecord(raw) && raw[String(issue.path[0])] === undefined;
    return { index, field: field.replace('.[', '['), message: missing ? 'is required' : issue.message };
  });
}
