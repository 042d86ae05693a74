import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { isBuiltinProviderId } from './catalog';
import { entryFor } from './normalisers/types';
import { clientAuthSchema, providerIdSchema, urlTemplateSchema } from './schema';

/**
 * The operator's providers file (`TOKENWARDEN_PROVIDERS_FILE`, docs/contracts.md §2):
 * `{ "providers": [ { "id", "name", "tokenUrl", "clientId", "clientSecret", "clientAuth",
 * "authorizationUrl"?, "revocationUrl"?, "scopes"?, "healthCheckUrl"?, "rotatesRefreshTokens"?,
 * "refreshGraceSeconds"? } ] }`.
 *
 * `revocationUrl` is an RFC 7009 revocation endpoint, called when a user disconnects. For a
 * built-in provider left on its server it replaces the catalog's endpoint; one moved to
 * another server (another authorizationUrl origin) never keeps the catalog's endpoint
 * (lib/providers/registry.ts).
 *
 * An entry whose id is a built-in provider overrides only the fields it gives, so there only
 * `id` is required; a new provider needs id, name, tokenUrl, clientId, clientSecret and
 * clientAuth. Unknown keys and duplicate ids are refused. Error messages name the file and
 * the field, never a value (the file holds client secrets).
 */

const ENV_NAME = 'TOKENWARDEN_PROVIDERS_FILE';

export class ProvidersFileError extends Error {
  override readonly name = 'ProvidersFileError';
  readonly path: string;

  constructor(path: string, detail: string, options?: { cause?: unknown }) {
    super(`${ENV_NAME} ${path}: ${detail}`, options);
    this.path = path;
  }
}

const nonEmpty = z.string().min(1, 'must not be empty');

const entrySchema = z.strictObject({
  id: providerIdSchema,
  name: nonEmpty.optional(),
  tokenUrl: urlTemplateSchema.optional(),
  clientId: nonEmpty.optional(),
  clientSecret: nonEmpty.optional(),
  clientAuth: clientAuthSchema.optional(),
  authorizationUrl: urlTemplateSchema.optional(),
  revocationUrl: urlTemplateSchema.optional(),
  scopes: z.array(nonEmpty).optional(),
  healthCheckUrl: urlTemplateSchema.optional(),
  rotatesRefreshTokens: z.boolean().optional(),
  refreshGraceSeconds: z.number().int().nonnegative().optional(),
});

const fileSchema = z.strictObject({ providers: z.array(z.unknown()) });

export type ProvidersFileEntry = z.infer<typeof entrySchema>;

/** Fields a provider that is not built in must define. */
const REQUIRED_FOR_NEW = ['name', 'tokenUrl', 'clientId', 'clientSecret', 'clientAuth'] as const;

type PathSegment = PropertyKey;

/** `providers[2].tokenUrl` from `['providers', 2, 'tokenUrl']`. */
function formatPath(path: readonly PathSegment[]): string {
  let out = '';
  for (const segment of path) {
    if (typeof segment === 'number') out += `[${segment}]`;
    else out += out === '' ? String(segment) : `.${String(segment)}`;
  }
  return out === '' ? '(top level)' : out;
}

function valueAt(root: unknown, path: readonly PathSegment[]): unknown {
  let current: unknown = root;
  for (const segment of path) {
    if (current === null || typeof current !== 'object' || typeof segment === 'symbol') return undefined;
    // The path names keys of the operator's file: own keys only.
    current = entryFor(current as Readonly<Record<string, unknown>>, String(segment));
  }
  return current;
}

/** One readable line per zod issue. Never includes input values. */
function describeIssues(issues: readonly z.core.$ZodIssue[], root: unknown, prefix: readonly PathSegment[]): string[] {
  const lines: string[] = [];
  for (const issue of issues) {
    const path = [...prefix, ...issue.path];
    if (issue.code === 'unrecognized_keys') {
      for (const key of issue.keys) lines.push(`${formatPath([...path, key])}: unknown key`);
      continue;
    }
    const missing = issue.code === 'invalid_type' && valueAt(root, path) === undefined;
    lines.push(`${formatPath(path)}: ${missing ? 'is required' : issue.message}`);
  }
  return lines;
}

function fail(path: string, lines: readonly string[]): never {
  throw new ProvidersFileError(path, lines.join('; '));
}

/** Validates an already-parsed providers file. `path` is used only in error messages. */
export function parseProvidersFile(json: unknown, path: string): ProvidersFileEntry[] {
  const file = fileSchema.safeParse(json);
  if (!file.success) fail(path, describeIssues(file.error.issues, json, []));

  const problems: string[] = [];
  const entries: ProvidersFileEntry[] = [];
  const firstIndexOfId = new Map<string, number>();

  file.data.providers.forEach((raw, index) => {
    const at = ['providers', index] as const;
    const parsed = entrySchema.safeParse(raw);
    if (!parsed.success) {
      problems.push(...describeIssues(parsed.error.issues, json, at));
      return;
    }
    const entry = parsed.data;

    const earlier = firstIndexOfId.get(entry.id);
    if (earlier !== undefined) {
      problems.push(`${formatPath([...at, 'id'])}: duplicate id "${entry.id}" (also providers[${earlier}])`);
      return;
    }
    firstIndexOfId.set(entry.id, index);

    if (!isBuiltinProviderId(entry.id)) {
      for (const field of REQUIRED_FOR_NEW) {
        if (entry[field] === undefined) {
          problems.push(`${formatPath([...at, field])}: is required for a provider that is not built in`);
        }
      }
    } else if ((entry.clientId === undefined) !== (entry.clientSecret === undefined)) {
      // One without the other would silently mix file and environment credentials.
      const missing = entry.clientId === undefined ? 'clientId' : 'clientSecret';
      problems.push(`${formatPath([...at, missing])}: clientId and clientSecret must be given together`);
    }
    entries.push(entry);
  });

  if (problems.length > 0) fail(path, problems);
  return entries;
}

/** Reads and validates the providers file. Synchronous: it runs once at start. */
export function readProvidersFile(path: string): ProvidersFileEntry[] {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException | null)?.code;
    throw new ProvidersFileError(path, `cannot be read${code ? ` (${code})` : ''}`, { cause: error });
  }

  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    // The parser's own message quotes part of the file, which may hold a client secret:
    // keep neither it nor the error, only where the parser stopped.
    const at = error instanceof SyntaxError ? /position (\d+)/.exec(error.message)?.[1] : undefined;
    throw new ProvidersFileError(path, `is not valid JSON${at ? ` (parser stopped at character ${at})` : ''}`);
  }
  return parseProvidersFile(json, path);
}
