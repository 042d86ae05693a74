import { createHmac, generateKeyPairSync, randomBytes, randomUUID, sign, timingSafeEqual, verify as verifySignature } from 'node:crypto';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createChunks, stringToBase64URL } from '@supabase/ssr';

/**
 * Supabase Auth's hosted API cannot run here; this answers the endpoints the app (or, in a
 * test, the host app) calls, with the shapes Supabase documents and sends:
 * - `GET /auth/v1/.well-known/jwks.json`: the project's public signing key (ES256, as a
 *   project with asymmetric JWT keys publishes it);
 * - `GET /auth/v1/user`: the user of a valid access token, else 403 `bad_jwt`
 *   (https://supabase.com/docs/reference/javascript/auth-getuser);
 * - `POST /auth/v1/token?grant_type=refresh_token`: a new session for an unspent refresh
 *   token, which is then spent (Supabase rotates refresh tokens), else 400
 *   `refresh_token_already_used` / `refresh_token_not_found`.
 * Access tokens carry the claims Supabase puts in them (https://supabase.com/docs/guides/auth/jwt-fields),
 * signed ES256 with the published key, or HS256 with a legacy project secret (verified only here).
 */

export interface MockUser {
  id: string;
  email: string;
}

export interface TokenOptions {
  /** ES256 (asymmetric keys, verified from the JWKS) or HS256 (legacy secret, verified by Supabase Auth). */
  alg?: 'ES256' | 'HS256';
  expiresInSeconds?: number;
  /** Signs with a key that is not the project's, under the project's key id: a forgery. */
  forged?: boolean;
  /** The header's key id; default the project's. Another one names a key the project does not have. */
  kid?: string;
}

/** A session as Supabase Auth answers it and @supabase/ssr stores it. */
export interface MockSession {
  access_token: string;
  token_type: 'bearer';
  expires_in: number;
  expires_at: number;
  refresh_token: string;
  user: Record<string, unknown>;
}

export interface MockSupabaseAuth {
  url: string;
  anonKey: string;
  /** A signed access token for a user of auth.users. */
  accessToken(user: MockUser, options?: TokenOptions): string;
  /** A whole session (access and refresh token) for a user, as the host app's sign-in gets it. */
  session(user: MockUser, options?: TokenOptions): MockSession;
  /** Whether a refresh token of a session has been spent. */
  spent(refreshToken: string): boolean;
  requests: { method: string; path: string; authorization: string | undefined; apikey: string | undefined }[];
  /** The refresh requests received (`grant_type=refresh_token`). */
  refreshes(): MockSupabaseAuth['requests'];
  /** The next `count` GET /auth/v1/user answer `status` (an outage of Supabase Auth, e.g. 503). */
  failUserRequests(count: number, status: number): void;
  close(): Promise<void>;
}

const b64 = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');

function userObject(user: MockUser, at: Date): Record<string, unknown> {
  const now = at.toISOString();
  return {
    id: user.id,
    aud: 'authenticated',
    role: 'authenticated',
    email: user.email,
    email_confirmed_at: now,
    phone: '',
    confirmed_at: now,
    last_sign_in_at: now,
    app_metadata: { provider: 'email', providers: ['email'] },
    user_metadata: { email: user.email, email_verified: true, phone_verified: false, sub: user.id },
    identities: [],
    created_at: now,
    updated_at: now,
    is_anonymous: false,
  };
}

async function readBody(req: IncomingMessage): Promise<string> {
  let body = '';
  for await (const chunk of req) body += String(chunk);
  return body;
}

export async function startSupabaseAuthMock(): Promise<MockSupabaseAuth> {
  const anonKey = 'anon-key-for-tests';
  const kid = randomUUID();
  const projectKey = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const strangerKey = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const legacySecret = randomBytes(32);
  const users = new Map<string, MockUser>();
  /** Refresh token → its user and whether it has been used. */
  const refreshTokens = new Map<string, { user: MockUser; used: boolean }>();
  const requests: MockSupabaseAuth['requests'] = [];
  let url = '';

  const signToken = (user: MockUser, options: TokenOptions = {}): string => {
    users.set(user.id, user);
    const now = Math.floor(Date.now() / 1000);
    const alg = options.alg ?? 'ES256';
    const header = { alg, kid: options.kid ?? kid, typ: 'JWT' };
    const claims = {
      iss: `${url}/auth/v1`,
      sub: user.id,
      aud: 'authenticated',
      exp: now + (options.expiresInSeconds ?? 3600),
      iat: now,
      email: user.email,
      phone: '',
      app_metadata: { provider: 'email', providers: ['email'] },
      user_metadata: { email: user.email, email_verified: true, phone_verified: false, sub: user.id },
      role: 'authenticated',
      aal: 'aal1',
      amr: [{ method: 'password', timestamp: now }],
      session_id: randomUUID(),
      is_anonymous: false,
    };
    const input = `${b64(header)}.${b64(claims)}`;
    const signature =
      alg === 'HS256'
        ? createHmac('sha256', options.forged ? randomBytes(32) : legacySecret).update(input).digest()
        : sign('sha256', Buffer.from(input), { key: (options.forged ? strangerKey : projectKey).privateKey, dsaEncoding: 'ieee-p1363' });
    return `${input}.${signature.toString('base64url')}`;
  };

  /** What Supabase Auth checks before answering /user: its own signature and the expiry. */
  const verify = (token: string): MockUser | null => {
    const [header, payload, signature] = token.split('.');
    if (!header || !payload || !signature) return null;
    const { alg } = JSON.parse(Buffer.from(header, 'base64url').toString()) as { alg: string };
    const input = Buffer.from(`${header}.${payload}`);
    const given = Buffer.from(signature, 'base64url');
    const valid =
      alg === 'HS256'
        ? timingSafeEqual(createHmac('sha256', legacySecret).update(input).digest(), given.length === 32 ? given : Buffer.alloc(32))
        : alg === 'ES256' && verifySignature('sha256', input, { key: projectKey.publicKey, dsaEncoding: 'ieee-p1363' }, given);
    const claims = JSON.parse(Buffer.from(payload, 'base64url').toString()) as { sub: string; exp: number };
    if (!valid || claims.exp <= Date.now() / 1000) return null;
    return users.get(claims.sub) ?? null;
  };

  const newSession = (user: MockUser, options: TokenOptions = {}): MockSession => {
    const expiresIn = options.expiresInSeconds ?? 3600;
    const refreshToken = randomBytes(9).toString('base64url');
    refreshTokens.set(refreshToken, { user, used: false });
    return {
      access_token: signToken(user, options),
      token_type: 'bearer',
      expires_in: expiresIn,
      expires_at: Math.floor(Date.now() / 1000) + expiresIn,
      refresh_token: refreshToken,
      user: userObject(user, new Date()),
    };
  };

  const outage = { count: 0, status: 503 };
  const server: Server = createServer((req, res) => {
    void (async () => {
      const authorization = req.headers.authorization;
      const path = req.url ?? '';
      requests.push({ method: req.method ?? '', path, authorization, apikey: req.headers.apikey as string | undefined });
      res.setHeader('content-type', 'application/json');
      const answer = (status: number, body: unknown) => {
        res.statusCode = status;
        res.end(JSON.stringify(body));
      };
      if (req.method === 'GET' && path === '/auth/v1/.well-known/jwks.json') {
        const jwk = projectKey.publicKey.export({ format: 'jwk' });
        return answer(200, { keys: [{ alg: 'ES256', crv: jwk.crv, ext: true, key_ops: ['verify'], kid, kty: 'EC', use: 'sig', x: jwk.x, y: jwk.y }] });
      }
      if (req.method === 'GET' && path === '/auth/v1/user') {
        if (outage.count > 0) {
          outage.count -= 1;
          return answer(outage.status, { code: outage.status, error_code: 'unexpected_failure', msg: 'Service unavailable' });
        }
        const user = verify(authorization?.replace(/^Bearer /, '') ?? '');
        if (!user) return answer(403, { code: 403, error_code: 'bad_jwt', msg: 'invalid JWT: unable to parse or verify signature, token is malformed' });
        return answer(200, userObject(user, new Date()));
      }
      if (req.method === 'POST' && path === '/auth/v1/token?grant_type=refresh_token') {
        const { refresh_token: given } = JSON.parse((await readBody(req)) || '{}') as { refresh_token?: string };
        const entry = given ? refreshTokens.get(given) : undefined;
        if (!entry) return answer(400, { code: 400, error_code: 'refresh_token_not_found', msg: 'Invalid Refresh Token: Refresh Token Not Found' });
        if (entry.used) return answer(400, { code: 400, error_code: 'refresh_token_already_used', msg: 'Invalid Refresh Token: Already Used' });
        entry.used = true;
        return answer(200, newSession(entry.user));
      }
      return answer(404, { code: 404, error_code: 'not_found', msg: 'Not found' });
    })();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url,
    anonKey,
    accessToken: signToken,
    session: newSession,
    spent: (refreshToken) => refreshTokens.get(refreshToken)?.used ?? false,
    requests,
    refreshes: () => requests.filter((r) => r.path.startsWith('/auth/v1/token') && r.path.includes('grant_type=refresh_token')),
    failUserRequests: (count, status) => Object.assign(outage, { count, status }),
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

/**
 * The Cookie header @supabase/ssr writes for a session of the project at `url`: its default
 * name, `base64-` encoding, and chunks (`name.0`, `name.1`, …) when the value is long.
 */
export function supabaseSessionCookie(url: string, session: MockSession, options: { chunkSize?: number } = {}): string {
  const name = `sb-${new URL(url).hostname.split('.')[0]}-auth-token`;
  const value = `base64-${stringToBase64URL(JSON.stringify(session))}`;
  return createChunks(name, value, options.chunkSize)
    .map((chunk) => `${chunk.name}=${chunk.value}`)
    .join('; ');
}
