import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * Supabase Auth's hosted API cannot run here; this answers its one endpoint the app calls,
 * `GET /auth/v1/user`, with the shapes Supabase documents
 * (https://supabase.com/docs/reference/javascript/auth-getuser): the user object for a
 * known access token, and 403 `bad_jwt` for anything else.
 */

export interface MockSupabaseAuth {
  url: string;
  anonKey: string;
  /** Registers an access token for a user of auth.users. */
  issue(token: string, user: { id: string; email: string }): void;
  requests: { path: string; authorization: string | undefined; apikey: string | undefined }[];
  close(): Promise<void>;
}

export async function startSupabaseAuthMock(): Promise<MockSupabaseAuth> {
  const tokens = new Map<string, { id: string; email: string }>();
  const requests: MockSupabaseAuth['requests'] = [];
  const anonKey = 'anon-key-for-tests';
  const server: Server = createServer((req, res) => {
    const authorization = req.headers.authorization;
    requests.push({ path: req.url ?? '', authorization, apikey: req.headers.apikey as string | undefined });
    res.setHeader('content-type', 'application/json');
    if (req.method !== 'GET' || req.url !== '/auth/v1/user') {
      res.statusCode = 404;
      res.end(JSON.stringify({ code: 404, error_code: 'not_found', msg: 'Not found' }));
      return;
    }
    const user = tokens.get(authorization?.replace(/^Bearer /, '') ?? '');
    if (!user) {
      res.statusCode = 403;
      res.end(JSON.stringify({ code: 403, error_code: 'bad_jwt', msg: 'invalid JWT: unable to parse or verify signature, token is malformed' }));
      return;
    }
    const now = new Date().toISOString();
    res.end(
      JSON.stringify({
        id: user.id,
        aud: 'authenticated',
        role: 'authenticated',
        email: user.email,
        email_confirmed_at: now,
        phone: '',
        confirmed_at: now,
        last_sign_in_at: now,
        app_metadata: { provider: 'email', providers: ['email'] },
        user_metadata: {},
        identities: [],
        created_at: now,
        updated_at: now,
        is_anonymous: false,
      }),
    );
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    anonKey,
    issue: (token, user) => tokens.set(token, user),
    requests,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

/** The cookie @supabase/ssr keeps a session in, for a project at `url`. */
export function supabaseSessionCookie(url: string, accessToken: string, user: { id: string; email: string }): string {
  const ref = new URL(url).hostname.split('.')[0];
  const session = {
    access_token: accessToken,
    token_type: 'bearer',
    expires_in: 3600,
    expires_at: Math.floor(Date.now() / 1000) + 3600,
    refresh_token: 'refresh-token-for-tests',
    user: { id: user.id, aud: 'authenticated', role: 'authenticated', email: user.email },
  };
  return `sb-${ref}-auth-token=base64-${Buffer.from(JSON.stringify(session)).toString('base64url')}`;
}
