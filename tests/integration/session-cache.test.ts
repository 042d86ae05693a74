import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomUUID } from 'node:crypto';
import { MemoryStore } from '../../lib/kv/store';
import { createCache } from '../../lib/kv/cache';
import { verifySupabaseAccessTokenCached } from '../../lib/auth/supabase-session';
import { startSupabaseAuthMock, type MockSupabaseAuth } from '../support/supabase-auth-mock';

/**
 * The short session cache (lib/auth/supabase-session.ts) against the Supabase Auth stand-in:
 * a refusal is remembered briefly, but Supabase Auth failing to answer (5xx, network) is no
 * refusal, so it is not cached: a signed-in user is not turned away for the refusal TTL after
 * a blip of Supabase Auth.
 */

describe('verifySupabaseAccessTokenCached', () => {
  let auth: MockSupabaseAuth;
  const user = { id: randomUUID(), email: 'cache@example.com' };

  beforeAll(async () => {
    auth = await startSupabaseAuthMock();
  });
  afterAll(async () => {
    await auth?.close();
  });

  const project = () => ({ url: auth.url, anonKey: auth.anonKey });
  const userCalls = () => auth.requests.filter((r) => r.path === '/auth/v1/user').length;

  it('remembers a refusal: a forged token asked twice reaches Supabase Auth once', async () => {
    const cache = createCache(new MemoryStore());
    const forged = auth.accessToken(user, { alg: 'HS256', forged: true });
    const before = userCalls();
    expect(await verifySupabaseAccessTokenCached(project(), forged, cache)).toBeNull();
    expect(await verifySupabaseAccessTokenCached(project(), forged, cache)).toBeNull();
    expect(userCalls() - before).toBe(1);
  });

  it('refuses forged asymmetric tokens naming unknown key ids locally: never /user, and the JWKS fetched at most once', async () => {
    const cache = createCache(new MemoryStore());
    // A fresh project client: no JWKS of an earlier test in its cache.
    const fresh = { url: auth.url, anonKey: `${auth.anonKey}` };
    const good = auth.accessToken(user);
    expect(await verifySupabaseAccessTokenCached(fresh, good, cache)).toEqual({ id: user.id, email: user.email });
    const before = auth.requests.length;
    for (let forgery = 0; forgery < 5; forgery += 1) {
      const forged = auth.accessToken(user, { forged: true, kid: randomUUID() });
      expect(await verifySupabaseAccessTokenCached(fresh, forged, cache)).toBeNull();
    }
    const reached = auth.requests.slice(before).map((r) => r.path);
    expect(reached.filter((path) => path === '/auth/v1/user')).toEqual([]);
    expect(reached.filter((path) => path === '/auth/v1/.well-known/jwks.json').length).toBeLessThanOrEqual(1);
  });

  it('does not cache Supabase Auth failing to answer as a refusal', async () => {
    const cache = createCache(new MemoryStore());
    const legacy = auth.accessToken(user, { alg: 'HS256' });
    auth.failUserRequests(1, 503);
    expect(await verifySupabaseAccessTokenCached(project(), legacy, cache)).toBeNull();
    // Supabase Auth is back: the next request is verified, not refused from the cache.
    expect(await verifySupabaseAccessTokenCached(project(), legacy, cache)).toEqual({ id: user.id, email: user.email });
  });
});
