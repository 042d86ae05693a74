import { builtinProviders, isBuiltinProviderId, type BuiltinProviderProfile } from './catalog';
import { ProvidersFileError, readProvidersFile, type ProvidersFileEntry } from './providers-file';
import {
  providerProfileSchema,
  type AccountIdentity,
  type ProviderProfile,
  type ResolvedProvider,
  type RevocationStyle,
} from './schema';

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
 * Which account a grant belongs to, for a provider whose server the catalog does not know: a
 * new file provider, or a built-in one the file moved to another server. Only an OpenID
 * provider says (its scopes include `openid`): the ID token's `sub`, its `email` as the
 * label, and `login_hint` on a reconnect (OpenID Connect Core §3.1.2.1). The `iss` it must
 * carry is taken to be the origin of its authorization URL: that is what oidc-provider (the
 * demo's server) and most single-issuer servers publish, and a server whose issuer has a path
 * fails closed (no account is read). An authorization URL with a placeholder in its host
 * names no single issuer, so there is no account either.
 */
function fileAccount(authorizationUrl: string | null, scopes: readonly string[]): AccountIdentity | null {
  if (authorizationUrl === null || !scopes.includes('openid')) return null;
  let origin: string;
  try {
    origin = new URL(authorizationUrl).origin;
  } catch {
    // The schema check that follows names the bad URL; here it only means "no issuer".
    return null;
  }
  if (/[{}]/.test(origin)) return null;
  return { source: 'id_token', issuer: origin, labelClaim: 'email', loginHint: true };
}

/**
 * The profile of a provider defined only in the file. The file format does not carry these
 * facts, so they default to the plain RFC 6749 behaviour:
 * - refreshGrant `refresh_token`; no docs link;
 * - revocation RFC 7009 at `revocationUrl` when the entry gives one, else none;
 * - account: see `fileAccount` (an OpenID provider's ID token, else none);
 * - access token lifetime null: the token response's `expires_in` decides, and a token
 *   that comes without one does not expire (lib/providers/lifetime.ts);
 * - refresh token issued `always`, rotating only if `rotatesRefreshTokens` says so, with
 *   `refreshGraceSeconds` as reuse grace (else none), and no documented lifetime;
 * - no offline scopes or parameters; `scopes` as given, else none.
 */
function newProfile(entry: ProvidersFileEntry): Record<string, unknown> {
  const scopes = entry.scopes ?? [];
  const authorizationUrl = entry.authorizationUrl ?? null;
  return {
    id: entry.id,
    name: entry.name,
    tokenUrl: entry.tokenUrl,
    authorizationUrl,
    revocationUrl: entry.revocationUrl ?? null,
    revocation: entry.revocationUrl ? 'rfc7009' : null,
    account: fileAccount(authorizationUrl, scopes),
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
    clientIdParameter: 'client_id',
    scopeSeparator: ' ',
    scopes,
  };
}

/** The origin of a URL template (placeholders kept), or null when it does not parse. */
function originOf(template: string): string | null {
  try {
    return new URL(template).origin;
  } catch {
    return null;
  }
}

/** Whether a file entry's URL has another origin than the catalog's (null: no URL there). */
function movedOrigin(given: string | undefined, builtin: string | null): boolean {
  return given !== undefined && (builtin === null || originOf(given) !== originOf(builtin));
}

/**
 * A built-in profile with only the fields the file entry gives replaced.
 *
 * An entry whose authorizationUrl or tokenUrl has another origin than the catalog's moves the
 * provider to another server, as when the demo points xero, google, ... at its local OAuth
 * server. Another path on the same server is not a move (Microsoft's single-tenant
 * `/{tenant}/oauth2/v2.0/authorize` keeps Microsoft's issuer). A moved provider keeps nothing
 * of the real provider's identity or revocation:
 * - its account follows the rule for a new file provider (`fileAccount`: the ID token, issuer
 *   = the new authorization server's origin); when only the token endpoint moved, the server
 *   that issues its ID tokens is unknown, so there is no account;
 * - its revocation endpoint is the entry's `revocationUrl` (RFC 7009) or none, never the real
 *   provider's, where a disconnect would send the other server's tokens.
 * Left on its server, an entry's `revocationUrl` replaces the endpoint and keeps the catalog's
 * style (RFC 7009 where the catalog had none).
 */
function overriddenProfile(base: ProviderProfile, entry: ProvidersFileEntry): ProviderProfile {
  const authorizationMoved = movedOrigin(entry.authorizationUrl, base.authorizationUrl);
  const moved = authorizationMoved || movedOrigin(entry.tokenUrl, base.tokenUrl);
  const authorizationUrl = entry.authorizationUrl ?? base.authorizationUrl;
  const scopes = entry.scopes ?? base.scopes;
  const revocationUrl = entry.revocationUrl ?? (moved ? null : base.revocationUrl);
  const revocation: RevocationStyle | null =
    revocationUrl === null ? null : moved ? 'rfc7009' : (base.revocation ?? 'rfc7009');
  let account = base.account;
  if (moved) account = authorizationMoved ? fileAccount(authorizationUrl, scopes) : null;
  return {
    ...base,
    name: entry.name ?? base.name,
    tokenUrl: entry.tokenUrl ?? base.tokenUrl,
    clientAuth: entry.clientAuth ?? base.clientAuth,
    authorizationUrl,
    revocationUrl,
    revocation,
    account,
    healthCheckUrl: entry.healthCheckUrl ?? base.healthCheckUrl,
    scopes,
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
