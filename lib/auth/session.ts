import type { Env } from '../env';
import type { KeyRing } from '../crypto/key-ring';
import type { Queryable } from '../db/client';
import { findUserById } from '../db/users';
import { LOCAL_SESSION_COOKIE, readLocalSession } from './local-session';
import { localSignInAllowed, type LocalAuthEnv } from '../local-auth';
import { sessionCookieAccessToken, verifySupabaseAccessToken, verifySupabaseAccessTokenCached, type SessionCache } from './supabase-session';

/**
 * Who is asking. On a deployment, Supabase Auth: the access token of its session cookie (set
 * by @supabase/ssr in the host app on the same project) or of an `Authorization: Bearer`
 * header from an API client, verified and never refreshed (lib/auth/supabase-session.ts).
 * With TOKENWARDEN_LOCAL_AUTH=1 on a developer's machine, the signed local session cookie.
 */

export interface SessionUser {
  id: string;
  email: string;
  /** Cookie sessions need a same-origin check on mutations; bearer requests do not. */
  via: 'local' | 'supabase_cookie' | 'supabase_bearer';
}

export interface SessionInput {
  cookies: { name: string; value: string }[];
  authorization: string | null;
}

export interface SessionDeps {
  env: LocalAuthEnv & Pick<Env, 'SUPABASE_URL' | 'SUPABASE_ANON_KEY'>;
  keyRing: KeyRing;
  db: Queryable;
  /** The short KV cache of verdicts (lib/auth/supabase-session.ts); absent: every request verifies. */
  cache?: SessionCache;
}

export async function resolveSessionUser(input: SessionInput, deps: SessionDeps): Promise<SessionUser | null> {
  const { env } = deps;
  if (env.SUPABASE_URL && env.SUPABASE_ANON_KEY) {
    const project = { url: env.SUPABASE_URL, anonKey: env.SUPABASE_ANON_KEY };
    const bearer = input.authorization?.match(/^Bearer\s+(\S+)$/i)?.[1];
    const token = bearer ?? (await sessionCookieAccessToken(project.url, input.cookies));
    const identity = !token
      ? null
      : deps.cache
        ? await verifySupabaseAccessTokenCached(project, token, deps.cache)
        : await verifySupabaseAccessToken(project, token);
    if (identity) return { ...identity, via: bearer ? 'supabase_bearer' : 'supabase_cookie' };
  }
  if (localSignInAllowed(env)) {
    const cookie = input.cookies.find((c) => c.name === LOCAL_SESSION_COOKIE)?.value;
    const userId = readLocalSession(deps.keyRing, cookie);
    if (userId) {
      const user = await findUserById(deps.db, userId);
      if (user) return { ...user, via: 'local' };
    }
  }
  return null;
}

/** Cookies of a request, as @supabase/ssr and the local session read them. */
export function requestCookies(request: Request): { name: string; value: string }[] {
  const header = request.headers.get('cookie');
  if (!header) return [];
  return header.split(';').flatMap((part) => {
    const index = part.indexOf('=');
    if (index < 1) return [];
    const name = part.slice(0, index).trim();
    const raw = part.slice(index + 1).trim();
    let value = raw;
    try {
      value = decodeURIComponent(raw);
    } catch {
      value = raw; // not percent-encoded: take it as sent
    }
    return [{ name, value }];
  });
}
