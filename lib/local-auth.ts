import type { Env } from './env';
import { isLoopbackHost } from './net/addresses';

/**
 * The local sign-in lets anyone continue as any user, without a password, and brings the
 * user list and the dev mailbox with it. It is for the embedded demo and development on a
 * developer's own machine, so it is on only when asked for (TOKENWARDEN_LOCAL_AUTH=1) and
 * never where anything says this is a deployment or a database others use: VERCEL or
 * VERCEL_ENV (every Vercel deployment, Preview included), SUPABASE_URL (real users sign in
 * there), or a DATABASE_URL that is not on this machine. NODE_ENV is no signal: `next start`
 * sets it, a CLI run leaves it unset.
 */

export type LocalAuthEnv = Pick<Env, 'TOKENWARDEN_LOCAL_AUTH' | 'VERCEL' | 'VERCEL_ENV' | 'SUPABASE_URL' | 'DATABASE_URL' | 'PGHOST'>;

/** Each signal that this is not a developer's own machine, worded for a start-up error. */
export function localAuthRefusals(env: Omit<LocalAuthEnv, 'TOKENWARDEN_LOCAL_AUTH'>): string[] {
  const refusals: string[] = [];
  if (env.VERCEL) refusals.push('VERCEL is set');
  if (env.VERCEL_ENV) refusals.push('VERCEL_ENV is set');
  if (env.SUPABASE_URL) refusals.push('SUPABASE_URL is set');
  const remote = remoteDatabaseHosts(env);
  if (remote.length > 0) refusals.push(`DATABASE_URL is not on this machine (${remote.join(', ')})`);
  return refusals;
}

/** Whether the local sign-in, the user list and the dev mailbox are on. */
export function localSignInAllowed(env: LocalAuthEnv): boolean {
  return env.TOKENWARDEN_LOCAL_AUTH && localAuthRefusals(env).length === 0;
}

/**
 * The hosts DATABASE_URL connects to that are not this machine, picked as postgres.js picks
 * them: the URL's hosts (a comma list is several servers), else PGHOST, else localhost; a
 * libpq-style `host`/`hostaddr` parameter counts too. This machine is a loopback address,
 * `localhost`, or a unix socket directory (a path). Unset DATABASE_URL is the embedded PGlite.
 */
export function remoteDatabaseHosts(env: Pick<Env, 'DATABASE_URL' | 'PGHOST'>): string[] {
  if (!env.DATABASE_URL) return [];
  const url = new URL(env.DATABASE_URL);
  const authority = env.DATABASE_URL.slice(env.DATABASE_URL.indexOf('://') + 3).split(/[/?#]/)[0] ?? '';
  const fromUrl = safeDecode(authority.slice(authority.lastIndexOf('@') + 1))
    .split(',')
    .map(withoutPort)
    .filter(Boolean);
  const hosts = fromUrl.length > 0 ? fromUrl : (env.PGHOST ?? 'localhost').split(',');
  for (const name of ['host', 'hostaddr']) hosts.push(...url.searchParams.getAll(name).flatMap((value) => value.split(',')));
  return [...new Set(hosts.map((host) => host.trim()).filter((host) => host !== '' && !onThisMachine(host)))];
}

function onThisMachine(host: string): boolean {
  return host.startsWith('/') || isLoopbackHost(host);
}

function withoutPort(hostAndPort: string): string {
  const bracketed = /^\[[^\]]*\]/.exec(hostAndPort);
  return bracketed ? bracketed[0] : (hostAndPort.split(':')[0] ?? '');
}

function safeDecode(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text; // not percent-encoded: judge it as written
  }
}
