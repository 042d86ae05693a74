import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as oauth from 'oauth4webapi';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startLocalOAuthProvider, type LocalOAuthProvider } from '../../lib/demo/local-oauth-provider';
import { authorizeAtLocalProvider } from '../support/oauth-login';

const BASIC_CLIENT = { clientId: 'tokenwarden-basic', clientSecret: 'basic-secret', auth: 'client_secret_basic' } as const;
const POST_CLIENT = { clientId: 'tokenwarden-post', clientSecret: 'post-secret', auth: 'client_secret_post' } as const;

function basicAuth(clientId: string, secret: string): string {
  return `Basic ${Buffer.from(`${encodeURIComponent(clientId)}:${encodeURIComponent(secret)}`).toString('base64')}`;
}

async function refreshWithBasic(provider: LocalOAuthProvider, refreshToken: string, secret: string = BASIC_CLIENT.clientSecret) {
  const response = await fetch(provider.tokenUrl, {
    method: 'POST',
    headers: {
      authorization: basicAuth(BASIC_CLIENT.clientId, secret),
      'content-type': 'application/x-www-form-urlencoded',
      accept: 'application/json',
    },
    body: new URLSearchParams({ grant_type: 'refresh_token', refresh_token: refreshToken }),
  });
  return { status: response.status, headers: response.headers, body: (await response.json()) as Record<string, unknown> };
}

describe('local OAuth provider (oidc-provider in-process)', () => {
  let provider: LocalOAuthProvider;

  beforeAll(async () => {
    provider = await startLocalOAuthProvider({ clients: [BASIC_CLIENT, POST_CLIENT], accessTokenTtlSeconds: 120 });
  });
  afterAll(async () => {
    await provider.close();
  });

  it('listens on 127.0.0.1 and serves its token endpoint under the issuer', () => {
    expect(provider.issuer).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(provider.tokenUrl).toBe(`${provider.issuer}/token`);
  });

  it('refreshes a minted grant and rotates the refresh token', async () => {
    const minted = await provider.mintTokens({ accountId: 'user-1', clientId: BASIC_CLIENT.clientId, scope: 'contacts.read' });
    expect(minted.expiresIn).toBe(120);

    const { status, body } = await refreshWithBasic(provider, minted.refreshToken);

    expect(status).toBe(200);
    expect(body).toMatchObject({ token_type: 'Bearer', expires_in: 120, scope: 'openid offline_access contacts.read' });
    expect(body.access_token).toEqual(expect.any(String));
    expect(body.access_token).not.toBe(minted.accessToken);
    expect(body.refresh_token).toEqual(expect.any(String));
    expect(body.refresh_token).not.toBe(minted.refreshToken);
  });

  it('authenticates client_secret_post clients with the secret in the body', async () => {
    const minted = await provider.mintTokens({ accountId: 'user-2', clientId: POST_CLIENT.clientId });
    const response = await fetch(provider.tokenUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({
        grant_type: 'refresh_token',
        refresh_token: minted.refreshToken,
        client_id: POST_CLIENT.clientId,
        client_secret: POST_CLIENT.clientSecret,
      }),
    });
    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({ token_type: 'Bearer', scope: 'openid offline_access' });
  });

  it('answers invalid_grant to a reused refresh token and revokes the whole grant', async () => {
    const minted = await provider.mintTokens({ accountId: 'user-3', clientId: BASIC_CLIENT.clientId });
    const first = await refreshWithBasic(provider, minted.refreshToken);
    expect(first.status).toBe(200);

    const reuse = await refreshWithBasic(provider, minted.refreshToken);
    expect(reuse.status).toBe(400);
    expect(reuse.body.error).toBe('invalid_grant');

    // The token issued by the first refresh died with the grant.
    const successor = await refreshWithBasic(provider, first.body.refresh_token as string);
    expect(successor.status).toBe(400);
    expect(successor.body.error).toBe('invalid_grant');
  });

  it('answers invalid_grant once the user revoked the grant', async () => {
    const minted = await provider.mintTokens({ accountId: 'user-4', clientId: BASIC_CLIENT.clientId });
    await provider.revokeGrant(minted.grantId);

    const { status, body } = await refreshWithBasic(provider, minted.refreshToken);
    expect(status).toBe(400);
    expect(body.error).toBe('invalid_grant');
  });

  it('answers 401 invalid_client to a wrong client secret', async () => {
    const minted = await provider.mintTokens({ accountId: 'user-5', clientId: BASIC_CLIENT.clientId });
    const { status, body } = await refreshWithBasic(provider, minted.refreshToken, 'not-the-secret');
    expect(status).toBe(401);
    expect(body.error).toBe('invalid_client');
  });

  it('counts refresh successes and grant errors by code', async () => {
    const before = provider.stats();
    const minted = await provider.mintTokens({ accountId: 'user-6', clientId: BASIC_CLIENT.clientId });
    await refreshWithBasic(provider, minted.refreshToken);
    await refreshWithBasic(provider, minted.refreshToken);

    const after = provider.stats();
    expect(after.refreshSuccess - before.refreshSuccess).toBe(1);
    expect(after.refreshErrors - before.refreshErrors).toBe(1);
    expect((after.errorsByCode.invalid_grant ?? 0) - (before.errorsByCode.invalid_grant ?? 0)).toBe(1);
  });

  it('speaks OAuth that oauth4webapi accepts, ID token included', async () => {
    const minted = await provider.mintTokens({ accountId: 'user-7', clientId: BASIC_CLIENT.clientId });
    const as: oauth.AuthorizationServer = { issuer: provider.issuer, token_endpoint: provider.tokenUrl };
    const client: oauth.Client = { client_id: BASIC_CLIENT.clientId };

    const response = await oauth.refreshTokenGrantRequest(
      as,
      client,
      oauth.ClientSecretBasic(BASIC_CLIENT.clientSecret),
      minted.refreshToken,
      { [oauth.allowInsecureRequests]: true },
    );
    const result = await oauth.processRefreshTokenResponse(as, client, response);

    expect(result.token_type).toBe('bearer'); // oauth4webapi lower-cases it
    expect(result.refresh_token).not.toBe(minted.refreshToken);
    expect(oauth.getValidatedIdTokenClaims(result)?.sub).toBe('user-7');
  });
});

describe('local OAuth provider with a persist file', () => {
  const dir = mkdtempSync(join(tmpdir(), 'tokenwarden-oauth-'));
  const persistFile = join(dir, 'nested', 'oauth-provider.json');
  let provider: LocalOAuthProvider | undefined;

  afterEach(async () => {
    await provider?.close();
    provider = undefined;
  });
  afterAll(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  it('keeps grants and refresh tokens across a restart', async () => {
    provider = await startLocalOAuthProvider({ clients: [BASIC_CLIENT], persistFile });
    const minted = await provider.mintTokens({ accountId: 'user-8', clientId: BASIC_CLIENT.clientId });
    await provider.close();
    provider = undefined;
    expect(existsSync(persistFile)).toBe(true);
    expect(readdirSync(join(dir, 'nested')).filter((name) => name.endsWith('.tmp'))).toEqual([]);

    provider = await startLocalOAuthProvider({ clients: [BASIC_CLIENT], persistFile });
    const first = await refreshWithBasic(provider, minted.refreshToken);
    expect(first.status).toBe(200);
    await provider.close();
    provider = undefined;

    // The rotation itself was saved: after another restart the new token works and the old one is a reuse.
    provider = await startLocalOAuthProvider({ clients: [BASIC_CLIENT], persistFile });
    const second = await refreshWithBasic(provider, first.body.refresh_token as string);
    expect(second.status).toBe(200);
    const reuse = await refreshWithBasic(provider, minted.refreshToken);
    expect(reuse.body.error).toBe('invalid_grant');
  });
});

describe('local OAuth provider with login and consent pages', () => {
  const CALLBACK = 'http://127.0.0.1:9/api/connect/callback';
  let provider: LocalOAuthProvider;

  beforeAll(async () => {
    provider = await startLocalOAuthProvider({ clients: [BASIC_CLIENT], redirectUris: [CALLBACK], loginPages: true, scopes: ['accounting.read'] });
  });
  afterAll(async () => {
    await provider.close();
  });

  /** An authorization request as the connect route builds one: PKCE S256, state, nonce, offline access. */
  async function start(extra: Record<string, string> = {}) {
    const verifier = oauth.generateRandomCodeVerifier();
    const state = oauth.generateRandomState();
    const nonce = oauth.generateRandomNonce();
    const url = new URL(provider.authorizationUrl);
    url.search = new URLSearchParams({
      client_id: BASIC_CLIENT.clientId,
      redirect_uri: CALLBACK,
      response_type: 'code',
      scope: 'openid offline_access email accounting.read',
      prompt: 'consent',
      code_challenge: await oauth.calculatePKCECodeChallenge(verifier),
      code_challenge_method: 'S256',
      state,
      nonce,
      ...extra,
    }).toString();
    return { url: url.href, verifier, state, nonce };
  }

  it('signs in, asks consent and returns a code whose exchange gives rotating tokens for that login', async () => {
    const flow = await start();
    const back = await authorizeAtLocalProvider(flow.url, { login: 'ana@example.test', callbackPrefix: CALLBACK });

    expect(back.searchParams.get('state')).toBe(flow.state);
    const as: oauth.AuthorizationServer = {
      issuer: provider.issuer,
      token_endpoint: provider.tokenUrl,
      authorization_response_iss_parameter_supported: true,
    };
    const client: oauth.Client = { client_id: BASIC_CLIENT.clientId };
    const params = oauth.validateAuthResponse(as, client, back, flow.state);
    const response = await oauth.authorizationCodeGrantRequest(as, client, oauth.ClientSecretBasic(BASIC_CLIENT.clientSecret), params, CALLBACK, flow.verifier, {
      [oauth.allowInsecureRequests]: true,
    });
    const result = await oauth.processAuthorizationCodeResponse(as, client, response, { expectedNonce: flow.nonce, requireIdToken: true });

    const claims = oauth.getValidatedIdTokenClaims(result);
    expect(claims?.sub).toBe('ana@example.test');
    expect(claims?.email).toBe('ana@example.test');
    expect(result.refresh_token).toEqual(expect.any(String));
    expect(result.scope?.split(' ')).toEqual(expect.arrayContaining(['openid', 'offline_access', 'accounting.read']));
    const refreshed = await refreshWithBasic(provider, result.refresh_token!);
    expect(refreshed.status).toBe(200);
    expect(refreshed.body.refresh_token).not.toBe(result.refresh_token);
  });

  it('prefills the login from login_hint, escaped, on a self-contained page', async () => {
    const flow = await start({ login_hint: 'dana"><script>alert(1)</script>' });
    let response = await fetch(flow.url, { redirect: 'manual' });
    const cookie = response.headers.getSetCookie().map((line) => line.split(';')[0]).join('; ');
    response = await fetch(new URL(response.headers.get('location')!, flow.url), { headers: { cookie } });
    const html = await response.text();

    expect(response.status).toBe(200);
    expect(html).toContain('name="login"');
    expect(html).toContain('value="dana&quot;&gt;&lt;script&gt;alert(1)&lt;/script&gt;"');
    expect(html).not.toContain('<script>');
    // Nothing from the network: no external stylesheet or font (devInteractions loaded one).
    expect(html).not.toMatch(/<link\b|https?:\/\/fonts/i);
    expect(response.headers.get('content-security-policy')).toMatch(/default-src 'none'/);
  });

  it('answers access_denied when the user cancels at the consent page', async () => {
    const flow = await start();
    const back = await authorizeAtLocalProvider(flow.url, { login: 'ben', deny: true, callbackPrefix: CALLBACK });

    expect(back.searchParams.get('error')).toBe('access_denied');
    expect(back.searchParams.get('state')).toBe(flow.state);
    expect(back.searchParams.get('code')).toBeNull();
  });

  it('refuses an unknown interaction with a page, not a crash', async () => {
    const response = await fetch(`${provider.issuer}/interaction/not-a-real-uid`);
    expect(response.status).toBe(400);
    expect(await response.text()).toMatch(/Start again from the app/);
  });
});
