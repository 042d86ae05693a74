import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { loadProviderRegistry } from '../../lib/providers/registry';
import type { ResolvedProvider } from '../../lib/providers/schema';
import { revokeAtProvider, type RevocationResult } from '../../lib/connect/revoke';
import { createProviderFetch } from '../../lib/refresh/http-client';
import { readBody, startLocalHttpServer, type LocalHttpServer } from '../support/local-http-server';

/**
 * Revocation in each documented style against a local HTTP server that answers what the real
 * providers answer (their documented success and error shapes, a 5xx, silence). The server is
 * the HTTP boundary: the request oauth4webapi or the style builds is the one a provider gets.
 */

interface Seen {
  method: string;
  path: string;
  query: Record<string, string>;
  headers: IncomingMessage['headers'];
  body: string;
}

interface Answer {
  status: number;
  json?: unknown;
  text?: string;
  contentType?: string;
  /** Never answer (the timeout case). */
  hang?: boolean;
}

const ACCESS = 'stored-access-token-7Yq';
const REFRESH = 'stored-refresh-token-9Xz';
const SECRET = 'client-secret-4Kp';

const builtins = loadProviderRegistry({ env: {} });

describe('revokeAtProvider', () => {
  let server: LocalHttpServer;
  let seen: Seen[] = [];
  let answer: Answer = { status: 200, text: '' };

  beforeAll(async () => {
    server = await startLocalHttpServer('revocation stand-in', async (req: IncomingMessage, res: ServerResponse) => {
      const url = new URL(req.url ?? '/', 'http://127.0.0.1');
      seen.push({ method: req.method ?? '', path: url.pathname, query: Object.fromEntries(url.searchParams), headers: req.headers, body: await readBody(req) });
      if (answer.hang) return; // the request stays open until the client gives up
      if (answer.json !== undefined) {
        res.writeHead(answer.status, { 'content-type': answer.contentType ?? 'application/json; charset=utf-8' });
        res.end(JSON.stringify(answer.json));
      } else {
        res.writeHead(answer.status, answer.text ? { 'content-type': answer.contentType ?? 'text/plain' } : {});
        res.end(answer.text ?? '');
      }
    });
  });
  afterAll(async () => {
    await server?.close();
  });
  beforeEach(() => {
    seen = [];
    answer = { status: 200, text: '' };
  });

  /** A built-in profile pointed at the stand-in, with credentials. */
  function provider(id: string, path: string, overrides: Partial<ResolvedProvider> = {}): ResolvedProvider {
    const base = builtins.get(id)!;
    return { ...base, revocationUrl: `${server.url}${path}`, credentials: { clientId: `${id}-client.id`, clientSecret: SECRET }, ...overrides };
  }

  async function revoke(
    target: ResolvedProvider,
    tokens: { accessToken?: string | null; refreshToken?: string | null } = {},
    timeoutMs = 2_000,
    fetchImpl: typeof fetch = globalThis.fetch,
  ): Promise<RevocationResult> {
    const result = await revokeAtProvider(
      { provider: target, accessToken: tokens.accessToken === undefined ? ACCESS : tokens.accessToken, refreshToken: tokens.refreshToken === undefined ? REFRESH : tokens.refreshToken, parameters: {} },
      { fetch: fetchImpl, timeoutMs },
    );
    // Whatever happened, the answer never carries a token or the secret.
    for (const secret of [ACCESS, REFRESH, SECRET]) expect(JSON.stringify(result)).not.toContain(secret);
    return result;
  }

  describe('rfc7009 (Google: client_secret_post)', () => {
    const google = () => provider('google', '/revoke');

    it('revokes the refresh token with the client in the body, and 200 is revoked', async () => {
      expect(await revoke(google())).toEqual({ revoked: true });
      expect(seen).toHaveLength(1);
      const form = Object.fromEntries(new URLSearchParams(seen[0]!.body));
      expect(seen[0]!.method).toBe('POST');
      expect(form).toEqual({ token: REFRESH, token_type_hint: 'refresh_token', client_id: 'google-client.id', client_secret: SECRET });
      expect(seen[0]!.headers.authorization).toBeUndefined();
      expect(JSON.stringify(seen[0]!.query)).toBe('{}');
    });

    it('revokes the access token when there is no refresh token', async () => {
      expect(await revoke(google(), { refreshToken: null })).toEqual({ revoked: true });
      expect(Object.fromEntries(new URLSearchParams(seen[0]!.body))).toMatchObject({ token: ACCESS, token_type_hint: 'access_token' });
    });

    it('authenticates with HTTP Basic when the profile says client_secret_basic', async () => {
      expect(await revoke(provider('google', '/revoke', { clientAuth: 'client_secret_basic' }))).toEqual({ revoked: true });
      // RFC 6749 §2.3.1: both halves form-urlencoded before base64.
      const [scheme, encoded] = (seen[0]!.headers.authorization ?? '').split(' ');
      expect(scheme).toBe('Basic');
      expect(Buffer.from(encoded!, 'base64').toString('utf8').split(':').map(decodeURIComponent)).toEqual(['google-client.id', SECRET]);
      expect(Object.fromEntries(new URLSearchParams(seen[0]!.body))).toEqual({ token: REFRESH, token_type_hint: 'refresh_token' });
    });

    it("names Google's 400 invalid_token (already expired or revoked)", async () => {
      answer = { status: 400, json: { error: 'invalid_token', error_description: 'Token expired or revoked' } };
      expect(await revoke(google())).toEqual({ revoked: false, error: 'invalid_token', httpStatus: 400 });
    });

    it('names invalid_client on a 401', async () => {
      answer = { status: 401, json: { error: 'invalid_client', error_description: 'The OAuth client was not found.' } };
      expect(await revoke(google())).toEqual({ revoked: false, error: 'invalid_client', httpStatus: 401 });
    });

    it('names a 503 with an HTML body by its status', async () => {
      answer = { status: 503, text: '<html><body>Service Unavailable</body></html>', contentType: 'text/html' };
      expect(await revoke(google())).toEqual({ revoked: false, error: 'http_503', httpStatus: 503 });
    });

    it('gives up at the timeout instead of hanging', async () => {
      answer = { status: 200, hang: true };
      const started = Date.now();
      expect(await revoke(google(), {}, 300)).toEqual({ revoked: false, error: 'timeout' });
      expect(Date.now() - started).toBeLessThan(2_000);
    });

    it('gives up at the timeout through the engine HTTP client too', async () => {
      answer = { status: 200, hang: true };
      expect(await revoke(google(), {}, 300, createProviderFetch())).toEqual({ revoked: false, error: 'timeout' });
    });

    it('names a refused connection', async () => {
      const closed = await startLocalHttpServer('closed', async () => undefined);
      const url = `${closed.url}/revoke`;
      await closed.close();
      expect(await revoke(provider('google', '/revoke', { revocationUrl: url }))).toEqual({ revoked: false, error: 'connection_failed' });
    });

    it('refuses plain http off this machine and needs credentials, without a request', async () => {
      expect(await revoke(provider('google', '/revoke', { revocationUrl: 'http://revoke.example.com/revoke' }))).toEqual({
        revoked: false,
        error: 'insecure_revocation_url',
      });
      expect(await revoke(provider('google', '/revoke', { credentials: null }))).toEqual({ revoked: false, error: 'missing_client_credentials' });
      expect(seen).toEqual([]);
    });
  });

  describe('slack_auth_revoke', () => {
    const slack = () => provider('slack', '/api/auth.revoke');

    it('sends the access token as the bearer credential, and ok + revoked is revoked', async () => {
      answer = { status: 200, json: { ok: true, revoked: true } };
      expect(await revoke(slack())).toEqual({ revoked: true });
      expect(seen[0]!.method).toBe('POST');
      expect(seen[0]!.headers.authorization).toBe(`Bearer ${ACCESS}`);
      expect(seen[0]!.body).toBe('');
      expect(JSON.stringify(seen[0]!.query)).toBe('{}');
    });

    it("names Slack's 200 ok:false error", async () => {
      answer = { status: 200, json: { ok: false, error: 'invalid_auth' } };
      expect(await revoke(slack())).toEqual({ revoked: false, error: 'invalid_auth', httpStatus: 200 });
    });

    it('names a 429 by its status', async () => {
      answer = { status: 429, json: { ok: false, error: 'ratelimited' } };
      expect(await revoke(slack())).toEqual({ revoked: false, error: 'ratelimited', httpStatus: 429 });
    });

    it('names a 5xx', async () => {
      answer = { status: 502, text: 'Bad Gateway' };
      expect(await revoke(slack())).toEqual({ revoked: false, error: 'http_502', httpStatus: 502 });
    });
  });

  describe('github_delete_token', () => {
    const github = () => provider('github', '/applications/{client_id}/token');

    it('DELETEs with Basic client credentials, the token in the JSON body, and 204 is revoked', async () => {
      answer = { status: 204 };
      expect(await revoke(github())).toEqual({ revoked: true });
      const request = seen[0]!;
      expect(request.method).toBe('DELETE');
      expect(request.path).toBe('/applications/github-client.id/token');
      expect(request.headers.authorization).toBe(`Basic ${Buffer.from(`github-client.id:${SECRET}`).toString('base64')}`);
      expect(JSON.parse(request.body)).toEqual({ access_token: ACCESS });
      expect(request.path + JSON.stringify(request.query)).not.toContain(ACCESS);
    });

    it("names GitHub's 422 Validation Failed", async () => {
      answer = { status: 422, json: { message: 'Validation Failed', documentation_url: 'https://docs.github.com/rest/apps/oauth-applications#delete-an-app-token', status: '422' } };
      expect(await revoke(github())).toEqual({ revoked: false, error: 'http_422', httpStatus: 422 });
    });

    it('names a 404 (the token is not this app’s) and a 5xx', async () => {
      answer = { status: 404, json: { message: 'Not Found', documentation_url: 'https://docs.github.com/rest' } };
      expect(await revoke(github())).toEqual({ revoked: false, error: 'http_404', httpStatus: 404 });
      answer = { status: 500, text: '' };
      expect(await revoke(github())).toEqual({ revoked: false, error: 'http_500', httpStatus: 500 });
    });
  });

  describe('meta_delete_permissions', () => {
    const facebook = () => provider('facebook', '/me/permissions');

    it('DELETEs /me/permissions with the user token, and success:true is revoked', async () => {
      answer = { status: 200, json: { success: true } };
      expect(await revoke(facebook())).toEqual({ revoked: true });
      expect(seen[0]!.method).toBe('DELETE');
      expect(seen[0]!.path).toBe('/me/permissions');
      // Graph documents the token as the access_token parameter.
      expect(seen[0]!.query).toEqual({ access_token: ACCESS });
    });

    it("names Graph's OAuthException by its code", async () => {
      answer = {
        status: 400,
        json: {
          error: {
            message: 'Error validating access token: Session has expired on Tuesday, 01-Dec-26 10:00:00 PST.',
            type: 'OAuthException',
            code: 190,
            error_subcode: 463,
            fbtrace_id: 'AbCdEfGhIjK',
          },
        },
      };
      expect(await revoke(facebook())).toEqual({ revoked: false, error: 'graph_error_190', httpStatus: 400 });
    });

    it('names a 5xx', async () => {
      answer = { status: 500, json: { error: { message: 'An unknown error has occurred.', type: 'OAuthException', code: 1 } } };
      expect(await revoke(facebook())).toEqual({ revoked: false, error: 'graph_error_1', httpStatus: 500 });
    });
  });

  it('answers revoked: null for a provider without a revocation endpoint', async () => {
    expect(await revoke(builtins.get('microsoft')!)).toEqual({ revoked: null });
    expect(seen).toEqual([]);
  });
});
