import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as oauth from 'oauth4webapi';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startLocalOAuthProvider, type LocalOAuthProvider } from '../../lib/demo/local-oauth-provider';

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
