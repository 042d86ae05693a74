import { builtinProviders, isBuiltinProviderId, type BuiltinProviderProfile } from './catalog';
import { ProvidersFileError, readProvidersFile, type ProvidersFileEntry } from './providers-file';
import { providerProfileSchema, type ProviderProfile, type ResolvedProvider } from './schema';

export { listBuiltinProviderIds } from './catalog';

/** Every provider Tokenwarden knows at run time: the built-in catalog merged with the file. */
export interface ProviderRegistry {
  get(id: string): ResolvedProvider | undefined;
  has(id: string): boolean;
  /** Sorted by id. */
  list(): ResolvedProvider[];
  /** Sorted. */
  ids(): string[];
}

export interface LoadProviderRegistryOptions {
  /** `TOKENWARDEN_PROVIDERS_FILE`; unset or empty: built-in catalog only. */
  providersFile?: string | null;
  /** Read for `<ID>_CLIENT_ID` / `<ID>_CLIENT_SECRET`. */
  env: Record<string, string | undefined>;
}

type Credentials = NonNullable<ResolvedProvider['credentials']>;

/** A mutable copy of a catalog entry, so no caller can change the shared catalog. */
function fromCatalog(profile: BuiltinProviderProfile): ProviderProfile {
  return structuredClone(profile) as ProviderProfile;
}

/**
 * The profile of a provider defined only in the file. The file format does not carry these
 * facts, so they default to the plain RFC 6749 behaviour:
 * - refreshGrant `refresh_token`; no revocation endpoint; no docs link;
 * - access token lifetime null: the token response's `expires_in` decides, and a token
 *   that comes without one does not expire (lib/providers/lifetime.ts);
 * - refresh token issued `always`, rotating only if `rotatesRefreshTokens` says so, with
 *   `refreshGraceSeconds` as reuse grace (else none), and no documented lifetime;
 * - no offline scopes or parameters; `scopes` as given, else none.
 */
function newProfile(entry: ProvidersFileEntry): Record<string, unknown> {
  return {
    id: entry.id,
    name: entry.name,
    tokenUrl: entry.tokenUrl,
    authorizationUrl: entry.authorizationUrl ?? null,
    revocationUrl: null,
    revocation: null,
    account: null,
    healthCheckUrl: entry.healthCheckUrl ?? null,
    clientAuth: entry.clientAuth,
    refreshGrant: 'refresh_token',
    accessToken: { lifetimeSeconds: null },
    refreshToken: {
      issued: 'always',
      rotates: entry.rotatesRefreshTokens ?? false,
      reuseGraceSeconds: entry.refreshGraceSeconds ?? null,
      lifetimeSeconds: null,
      idleLifetimeSeconds: null,
    },
    offlineScopes: [],
    offlineAuthorizationParams: {},
    authorizationParams: {},
    scopes: entry.scopes ?? [],
  };
}

/** A built-in profile with only the fields the file entry gives replaced. */
function overriddenProfile(base: ProviderProfile, entry: ProvidersFileEntry): ProviderProfile {
  return {
    ...base,
    name: entry.name ?? base.name,
    tokenUrl: entry.tokenUrl ?? base.tokenUrl,
    clientAuth: entry.clientAuth ?? base.clientAuth,
    authorizationUrl: entry.authorizationUrl ?? base.authorizationUrl,
    healthCheckUrl: entry.healthCheckUrl ?? base.healthCheckUrl,
    scopes: entry.scopes ?? base.scopes,
    refreshToken: {
      ...base.refreshToken,
      rotates: entry.rotatesRefreshTokens ?? base.refreshToken.rotates,
      reuseGraceSeconds: entry.refreshGraceSeconds ?? base.refreshToken.reuseGraceSeconds,
    },
  };
}

function envPrefix(id: string): string {
  return id.toUpperCase();
}

function resolveCredentials(
  id: string,
  entry: ProvidersFileEntry | undefined,
  env: Record<string, string | undefined>,
): Credentials | null {
  if (entry?.clientId !== undefined && entry.clientSecret !== undefined) {
    return { clientId: entry.clientId, clientSecret: entry.clientSecret };
  }
  const clientId = env[`${envPrefix(id)}_CLIENT_ID`];
  const clientSecret = env[`${envPrefix(id)}_CLIENT_SECRET`];
  // Missing credentials are a config failure for the refresh engine, not a load error.
  if (!clientId || !clientSecret) return null;
  return { clientId, clientSecret };
}

/** Validates a merged profile; a failure names the file entry, never a value. */
function validate(raw: unknown, file: string, index: number, id: string): ProviderProfile {
  const result = providerProfileSchema.safeParse(raw);
  if (result.success) return result.data;
  const details = result.error.issues.map((issue) => `${issue.path.join('.') || '(profile)'}: ${issue.message}`);
  throw new ProvidersFileError(file, `providers[${index}] (id "${id}"): ${details.join('; ')}`);
}

export function loadProviderRegistry(options: LoadProviderRegistryOptions): ProviderRegistry {
  const { providersFile, env } = options;
  const entries = providersFile ? readProvidersFile(providersFile) : [];
  const entryById = new Map(entries.map((entry, index) => [entry.id, { entry, index }]));

  const providers = new Map<string, ResolvedProvider>();

  for (const [id, builtin] of Object.entries(builtinProviders)) {
    const fromFile = entryById.get(id);
    const profile = fromFile
      ? validate(overriddenProfile(fromCatalog(builtin), fromFile.entry), providersFile ?? '', fromFile.index, id)
      : fromCatalog(builtin);
    providers.set(id, {
      ...profile,
      credentials: resolveCredentials(id, fromFile?.entry, env),
      source: fromFile ? 'builtin+file' : 'builtin',
    });
  }

  entries.forEach((entry, index) => {
    if (isBuiltinProviderId(entry.id)) return;
    const profile = validate(newProfile(entry), providersFile ?? '', index, entry.id);
    providers.set(entry.id, {
      ...profile,
      credentials: resolveCredentials(entry.id, entry, env),
      source: 'file',
    });
  });

  const sortedIds = [...providers.keys()].sort();

  return {
    get: (id) => providers.get(id),
    has: (id) => providers.has(id),
    list: () => sortedIds.map((id) => providers.get(id)).filter((p): p is ResolvedProvider => p !== undefined),
    ids: () => [...sortedIds],
  };
}
