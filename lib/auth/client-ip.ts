/**
 * The key of the per-client-IP limits (sign-in, connect start; docs/contracts.md §6).
 *
 * On Vercel (`VERCEL` set) the platform overwrites `x-forwarded-for` and `x-real-ip` with the
 * address it saw, so its first entry is the client's. Anywhere else those headers are the
 * client's word: `next start` sets x-forwarded-for only when the request has none, and a route
 * handler cannot see the socket's address. Keying on them would let anyone take a fresh bucket
 * per request by sending a new value, so outside Vercel the key ignores them: the signed-in
 * user's id where there is one, else one bucket shared by every anonymous caller
 * (`untrusted-proxy`). That shared bucket is stricter than per-IP (a flood from one client
 * slows every anonymous sign-in of this instance) but cannot be escaped.
 */

export const UNTRUSTED_CLIENT_KEY = 'untrusted-proxy';

export function clientLimitKey(request: Request, env: { VERCEL?: string | undefined }, user: { id: string } | null): string {
  if (env.VERCEL) {
    const forwarded = request.headers.get('x-forwarded-for')?.split(',')[0]?.trim() || request.headers.get('x-real-ip')?.trim();
    if (forwarded) return `ip:${forwarded}`;
  }
  if (user) return `user:${user.id}`;
  return UNTRUSTED_CLIENT_KEY;
}
