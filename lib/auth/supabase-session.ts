import { createHash } from 'node:crypto';
import { AuthClient, isAuthRetryableFetchError, type GoTrueClient, type JWK } from '@supabase/supabase-js';
import { combineChunks, stringFromBase64URL } from '@supabase/ssr';
import { z } from 'zod';

/**
 * Supabase Auth sessions are verified, never refreshed. A session belongs to the host app
 * that signed the user in; its refresh token rotates on use, and Supabase revokes the whole
 * session when a spent one comes back. So Tokenwarden reads only the access token (from the
 * @supabase/ssr cookie or a bearer header) and has `auth.getClaims()` verify it: locally
 * against the project's JWKS for asymmetric (ES256/RS256) keys, through Supabase Auth for
 * legacy symmetric ones. An expired access token is no session here; the host app refreshes
 * it. No client below holds a session, so none can refresh one.
 */

export interface SupabaseProject {
  url: string;
  anonKey: string;
}

export interface SupabaseIdentity {
  id: string;
  email: string;
}

const holder = globalThis as typeof globalThis & {
  __tokenwardenSupabaseVerifiers?: Map<string, GoTrueClient>;
  __tokenwardenSupabaseJwks?: Map<string, ProjectKeys>;
};

/** A project's JWKS as last fetched (epoch ms), and the fetch under way, shared by concurrent requests. */
interface ProjectKeys {
  jwks?: { keys: JWK[] };
  fetchedAt: number;
  pending?: Promise<{ keys: JWK[] }>;
}

/**
 * One stateless Supabase Auth client (supabase-js's own, as `supabase.auth` is) per project
 * and process, so its JWKS cache serves every request. Only the auth client: a whole
 * supabase-js client also builds a Realtime client, which needs a WebSocket Node 20 lacks.
 */
function verifier(project: SupabaseProject): GoTrueClient {
  holder.__tokenwardenSupabaseVerifiers ??= new Map();
  const key = `${project.url}\n${project.anonKey}`;
  let client = holder.__tokenwardenSupabaseVerifiers.get(key);
  if (!client) {
    client = new AuthClient({
      url: `${project.url}/auth/v1`,
      // The headers supabase-js sends Supabase Auth.
      headers: { Authorization: `Bearer ${project.anonKey}`, apikey: project.anonKey },
      persistSession: false,
      autoRefreshToken: false,
      detectSessionInUrl: false,
    });
    holder.__tokenwardenSupabaseVerifiers.set(key, client);
  }
  return client;
}

const jwtHeaderSchema = z.object({ alg: z.enum(['ES256', 'RS256', 'HS256']), kid: z.string().optional() });
const jwksSchema = z.object({ keys: z.array(z.looseObject({ kty: z.string(), kid: z.string().optional(), key_ops: z.array(z.string()).default(['verify']) })) });

/** A fetched JWKS answers for its keys this long (auth-js's own JWKS_TTL). */
const JWKS_TTL_MS = 10 * 60 * 1000;
/**
 * A key id the JWKS does not have refetches it at most this often (so a key Supabase just
 * rotated in is found); otherwise the token is refused here. auth-js would instead fetch the
 * JWKS and then, finding no key, ask Supabase Auth's /user: two remote calls per forgery.
 */
const JWKS_REFETCH_MIN_MS = 30_000;
const JWKS_FETCH_TIMEOUT_MS = 5_000;

/** The project's JWKS when it holds `kid` (fetched or refetched as above), else null. Throws when it cannot be fetched. */
async function jwksHolding(project: SupabaseProject, kid: string, now: number): Promise<{ keys: JWK[] } | null> {
  holder.__tokenwardenSupabaseJwks ??= new Map();
  const entries = holder.__tokenwardenSupabaseJwks;
  let entry = entries.get(project.url);
  if (!entry) {
    entry = { fetchedAt: -Infinity };
    entries.set(project.url, entry);
  }
  const holds = (jwks: { keys: JWK[] } | undefined) => jwks?.keys.some((key) => key.kid === kid) ?? false;
  const age = now - entry.fetchedAt;
  if (holds(entry.jwks) && age < JWKS_TTL_MS) return entry.jwks ?? null;
  if (entry.jwks && !holds(entry.jwks) && age < JWKS_REFETCH_MIN_MS) return null;
  const current = entry;
  current.pending ??= (async () => {
    try {
      const response = await fetch(`${project.url}/auth/v1/.well-known/jwks.json`, {
        headers: { apikey: project.anonKey },
        signal: AbortSignal.timeout(JWKS_FETCH_TIMEOUT_MS),
      });
      if (!response.ok) throw new Error(`Supabase Auth answered ${response.status} for its JWKS`);
      const jwks = jwksSchema.parse(await response.json()) as { keys: JWK[] };
      current.jwks = jwks;
      current.fetchedAt = Date.now();
      return jwks;
    } finally {
      current.pending = undefined;
    }
  })();
  const jwks = await current.pending;
  return holds(jwks) ? jwks : null;
}
const claimsSchema = z.object({ sub: z.uuid(), email: z.email(), is_anonymous: z.boolean().optional(), exp: z.number().optional() });
const storedSessionSchema = z.object({ access_token: z.string().min(1) });

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined; // not JSON: the caller's schema refuses undefined
  }
}

/**
 * Whether a token has the shape of a Supabase access token: three base64url parts, a header
 * naming an algorithm Supabase signs with, and a JSON payload. getClaims throws (instead of
 * answering an error) on some malformed tokens; screening them here keeps a forged bearer
 * a 401, never a 500.
 */
function looksLikeAccessToken(token: string): boolean {
  const parts = token.split('.');
  if (parts.length !== 3 || parts.some((part) => !/^[A-Za-z0-9_-]+$/.test(part))) return false;
  const [header, payload] = parts.map((part) => parseJson(Buffer.from(part, 'base64url').toString('utf8')));
  return jwtHeaderSchema.safeParse(header).success && typeof payload === 'object' && payload !== null;
}

/** The user an access token was issued to, if Supabase signed it and it has not expired. */
export async function verifySupabaseAccessToken(project: SupabaseProject, token: string): Promise<SupabaseIdentity | null> {
  return (await verifyWithExpiry(project, token)).identity;
}

/**
 * `unanswered`: Supabase Auth could not be asked (network, 5xx: auth-js's AuthRetryableFetchError),
 * so the token was not refused, only not verified; no session now, and nothing to remember.
 */
async function verifyWithExpiry(
  project: SupabaseProject,
  token: string,
): Promise<{ identity: SupabaseIdentity | null; exp?: number; unanswered?: true }> {
  if (!looksLikeAccessToken(token)) return { identity: null };
  const header = jwtHeaderSchema.parse(parseJson(Buffer.from(token.split('.')[0] ?? '', 'base64url').toString('utf8')));
  let jwks: { keys: JWK[] } | undefined;
  if (header.alg !== 'HS256' && header.kid) {
    try {
      const holding = await jwksHolding(project, header.kid, Date.now());
      if (!holding) return { identity: null };
      jwks = holding;
    } catch (error) {
      // Supabase Auth could not give its keys: nothing was refused (see `unanswered`).
      console.warn(`[session] Supabase JWKS unavailable: ${error instanceof Error ? `${error.name}: ${error.message}` : String(error)}`);
      return { identity: null, unanswered: true };
    }
  }
  let result: Awaited<ReturnType<GoTrueClient['getClaims']>>;
  try {
    result = await verifier(project).getClaims(token, jwks ? { jwks } : {});
  } catch (error) {
    // WebCrypto refusing a key for the token's algorithm means the token is not the project's.
    if (error instanceof DOMException) return { identity: null };
    throw error;
  }
  if (result.error && isAuthRetryableFetchError(result.error)) return { identity: null, unanswered: true };
  if (result.error || !result.data) return { identity: null };
  const claims = claimsSchema.safeParse(result.data.claims);
  if (!claims.success || claims.data.is_anonymous) return { identity: null };
  return { identity: { id: claims.data.sub, email: claims.data.email }, exp: claims.data.exp };
}

/** A refused token is refused again from the cache this long: a flood of one forgery costs one check. */
export const SESSION_REFUSAL_TTL_SECONDS = 10;
/** A verified identity is trusted from the cache at most this long (and never past the token's exp). */
export const SESSION_VERIFIED_MAX_TTL_SECONDS = 60;

/** lib/kv/cache.ts's cache (createCache), as used here; it fails open (a miss) when KV is down. */
export interface SessionCache {
  get<T>(key: string): Promise<T | null | undefined>;
  set(key: string, value: unknown, ttlSeconds: number): Promise<void>;
}

interface CachedVerdict {
  identity: SupabaseIdentity | null;
  /** Epoch seconds after which a cached identity is no session (the token's exp). */
  until?: number;
}

/**
 * verifySupabaseAccessToken through the short cache: a malformed token is refused before any
 * call or cache read; a refusal is remembered SESSION_REFUSAL_TTL_SECONDS, a verified identity
 * until min(exp, SESSION_VERIFIED_MAX_TTL_SECONDS). Keyed by a hash, never the token itself.
 * A failure of Supabase Auth (a throw, or an answer auth-js calls retryable: network, 5xx) is
 * not cached: it refused nothing, and caching it would turn a blip into SESSION_REFUSAL_TTL_SECONDS
 * of 401s for everyone signed in.
 */
export async function verifySupabaseAccessTokenCached(
  project: SupabaseProject,
  token: string,
  cache: SessionCache,
  now: () => number = Date.now,
): Promise<SupabaseIdentity | null> {
  if (!looksLikeAccessToken(token)) return null;
  const key = `session:${createHash('sha256').update(`${project.url}\n${token}`).digest('base64url')}`;
  const hit = await cache.get<CachedVerdict>(key);
  if (hit) {
    if (hit.identity && hit.until !== undefined && hit.until * 1000 <= now()) return null;
    return hit.identity;
  }
  const { identity, exp, unanswered } = await verifyWithExpiry(project, token);
  if (unanswered) return null;
  if (!identity) {
    await cache.set(key, { identity: null } satisfies CachedVerdict, SESSION_REFUSAL_TTL_SECONDS);
    return null;
  }
  const left = exp === undefined ? SESSION_VERIFIED_MAX_TTL_SECONDS : Math.floor(exp - now() / 1000);
  const ttl = Math.min(SESSION_VERIFIED_MAX_TTL_SECONDS, left);
  if (ttl > 0) await cache.set(key, { identity, until: exp } satisfies CachedVerdict, ttl);
  return identity;
}

/** The cookie name @supabase/ssr (and supabase-js) keep a project's session under. */
export function sessionCookieName(projectUrl: string): string {
  return `sb-${new URL(projectUrl).hostname.split('.')[0]}-auth-token`;
}

/**
 * The access token of the @supabase/ssr session cookie (chunked `name`, `name.0`, … and
 * `base64-` encoded, or plain JSON), read without the session machinery that would refresh it.
 */
export async function sessionCookieAccessToken(projectUrl: string, cookies: { name: string; value: string }[]): Promise<string | null> {
  const name = sessionCookieName(projectUrl);
  const combined = await combineChunks(name, (chunk) => cookies.find((cookie) => cookie.name === chunk)?.value);
  if (!combined) return null;
  let text = combined;
  if (combined.startsWith('base64-')) {
    try {
      text = stringFromBase64URL(combined.slice('base64-'.length));
    } catch {
      return null; // chunks of different writes combined: no readable session
    }
  }
  const session = storedSessionSchema.safeParse(parseJson(text));
  return session.success ? session.data.access_token : null;
}
