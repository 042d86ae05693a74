import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseEnv } from '../../lib/env';
import { resolveSessionUser, type SessionDeps, type SessionInput } from '../../lib/auth/session';
import { createLocalSession, LOCAL_SESSION_COOKIE } from '../../lib/auth/local-session';
import { createTestDatabase, type TestDatabase } from '../support/database';
import { insertUser, testKeyRing } from '../support/fixtures';
import { startSupabaseAuthMock, supabaseSessionCookie, type MockSupabaseAuth } from '../support/supabase-auth-mock';

/** Who is asking, decided from a request's cookies and bearer, against the real database and the Supabase Auth stand-in. */

const cookiesOf = (header: string): SessionInput['cookies'] =>
  header.split('; ').map((pair) => ({ name: pair.slice(0, pair.indexOf('=')), value: pair.slice(pair.indexOf('=') + 1) }));

describe('the local session', () => {
  let t: TestDatabase;
  let userId: string;
  const keyRing = testKeyRing();
  let cookie: SessionInput;

  beforeAll(async () => {
    t = await createTestDatabase();
    userId = await insertUser(t.db, 'local@example.com');
    cookie = { cookies: [{ name: LOCAL_SESSION_COOKIE, value: createLocalSession(keyRing, userId) }], authorization: null };
  });
  afterAll(async () => t?.drop());

  const resolve = (source: Record<string, string>, env: SessionDeps['env'] = parseEnv(source)) =>
    resolveSessionUser(cookie, { env, keyRing, db: t.db });

  it('accepts a valid local session cookie with TOKENWARDEN_LOCAL_AUTH=1 on this machine', async () => {
    expect(await resolve({ TOKENWARDEN_LOCAL_AUTH: '1' })).toEqual({ id: userId, email: 'local@example.com', via: 'local' });
    expect(await resolve({ TOKENWARDEN_LOCAL_AUTH: '1', DATABASE_URL: 'postgres://postgres@127.0.0.1:5432/tw' })).toMatchObject({ via: 'local' });
  });

  it.each<Record<string, string>>([{}, { NODE_ENV: 'development' }, { NODE_ENV: 'test' }, { TOKENWARDEN_LOCAL_AUTH: '0' }])(
    'refuses a valid local session cookie when the flag is not 1 (%o), whatever NODE_ENV says',
    async (source) => {
      expect(await resolve(source)).toBeNull();
    },
  );

  it.each([
    ['VERCEL', { VERCEL: '1' }],
    ['VERCEL_ENV', { VERCEL_ENV: 'preview' }],
    ['SUPABASE_URL', { SUPABASE_URL: 'https://ref.supabase.co', SUPABASE_ANON_KEY: 'anon' }],
    ['DATABASE_URL not on this machine', { DATABASE_URL: 'postgresql://postgres.ref:pw@aws-0-eu-central-1.pooler.supabase.com:6543/postgres' }],
  ])('refuses it under %s even if the flag reached it', async (_signal, signal) => {
    // parseEnv refuses such an environment at start; this is the check behind that.
    const env = { ...parseEnv(signal), TOKENWARDEN_LOCAL_AUTH: true };
    expect(await resolve({}, env)).toBeNull();
  });
});

describe('Supabase sessions', () => {
  let t: TestDatabase;
  let auth: MockSupabaseAuth;
  let env: SessionDeps['env'];
  const user = { id: '', email: 'supa@example.com' };
  const keyRing = testKeyRing();

  beforeAll(async () => {
    t = await createTestDatabase();
    auth = await startSupabaseAuthMock();
    user.id = await insertUser(t.db, user.email);
    env = parseEnv({ SUPABASE_URL: auth.url, SUPABASE_ANON_KEY: auth.anonKey });
  });
  afterAll(async () => {
    await auth?.close();
    await t?.drop();
  });

  const resolve = (input: Partial<SessionInput>) =>
    resolveSessionUser({ cookies: [], authorization: null, ...input }, { env, keyRing, db: t.db });

  it('keeps a session near expiry through ten requests: verified each time, its refresh token never spent', async () => {
    // 60 s left: inside the margin in which a supabase-js session client refreshes.
    const session = auth.session(user, { expiresInSeconds: 60 });
    const before = auth.requests.length;
    for (let request = 0; request < 10; request += 1) {
      expect(await resolve({ cookies: cookiesOf(supabaseSessionCookie(auth.url, session)) })).toEqual({ ...user, via: 'supabase_cookie' });
    }
    expect(auth.refreshes()).toEqual([]);
    expect(auth.spent(session.refresh_token)).toBe(false);
    // ES256 is verified here against the published key: at most the key set is fetched, never the user.
    expect(auth.requests.slice(before).map((r) => r.path).filter((path) => path !== '/auth/v1/.well-known/jwks.json')).toEqual([]);
  });

  it('reads a session cookie that @supabase/ssr split into chunks', async () => {
    const header = supabaseSessionCookie(auth.url, auth.session(user), { chunkSize: 300 });
    expect(header).toMatch(/-auth-token\.1=/);
    expect(await resolve({ cookies: cookiesOf(header) })).toEqual({ ...user, via: 'supabase_cookie' });
  });

  it('accepts a bearer access token, and a legacy HS256 one through Supabase Auth', async () => {
    expect(await resolve({ authorization: `Bearer ${auth.accessToken(user)}` })).toEqual({ ...user, via: 'supabase_bearer' });
    const legacy = auth.accessToken(user, { alg: 'HS256' });
    expect(await resolve({ authorization: `Bearer ${legacy}` })).toEqual({ ...user, via: 'supabase_bearer' });
    expect(auth.requests.find((r) => r.authorization === `Bearer ${legacy}`)).toMatchObject({ path: '/auth/v1/user', apikey: auth.anonKey });
  });

  it('refuses expired, forged and malformed tokens without refreshing anything or throwing', async () => {
    const expired = auth.session(user, { expiresInSeconds: -5 });
    expect(await resolve({ cookies: cookiesOf(supabaseSessionCookie(auth.url, expired)) })).toBeNull();
    expect(auth.spent(expired.refresh_token)).toBe(false);
    const good = auth.accessToken(user);
    const [header, , signature] = good.split('.');
    const otherClaims = Buffer.from(JSON.stringify({ sub: user.id, email: 'ops@example.com', exp: 4102444800 })).toString('base64url');
    const junk = Buffer.from('not json').toString('base64url');
    const unknownAlg = Buffer.from(JSON.stringify({ alg: 'PS256', kid: 'x' })).toString('base64url');
    // The project's EC key id under an RSA algorithm: WebCrypto refuses the key.
    const { kid } = JSON.parse(Buffer.from(header!, 'base64url').toString()) as { kid: string };
    const wrongAlg = Buffer.from(JSON.stringify({ alg: 'RS256', kid, typ: 'JWT' })).toString('base64url');
    for (const token of [
      auth.accessToken(user, { forged: true }),
      auth.accessToken(user, { alg: 'HS256', forged: true }),
      `${header}.${otherClaims}.${signature}`,
      `${junk}.${junk}.${junk}`,
      `${unknownAlg}.${otherClaims}.${signature}`,
      `${wrongAlg}.${otherClaims}.${signature}`,
      'not-a-jwt',
    ]) {
      expect(await resolve({ authorization: `Bearer ${token}` })).toBeNull();
    }
    expect(await resolve({ cookies: [{ name: `sb-127-auth-token`, value: 'base64-%%%' }] })).toBeNull();
    expect(auth.refreshes()).toEqual([]);
  });
});
