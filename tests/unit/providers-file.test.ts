import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { builtinProviders } from '../../lib/providers/catalog';
import { parseProvidersFile, ProvidersFileError, readProvidersFile } from '../../lib/providers/providers-file';
import { listBuiltinProviderIds, loadProviderRegistry } from '../../lib/providers/registry';
import { startLocalOAuthProvider } from '../../lib/demo/local-oauth-provider';

const dir = mkdtempSync(join(tmpdir(), 'tokenwarden-providers-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

let fileCount = 0;
function writeFile(contents: unknown): string {
  fileCount += 1;
  const path = join(dir, `providers-${fileCount}.json`);
  writeFileSync(path, typeof contents === 'string' ? contents : JSON.stringify(contents));
  return path;
}

const SECRET = 'super-secret-value-9f8e7d';

const acme = {
  id: 'acme',
  name: 'Acme CRM',
  tokenUrl: 'https://auth.acme.test/oauth/token',
  clientId: 'acme-client',
  clientSecret: SECRET,
  clientAuth: 'client_secret_basic',
};

function errorOf(run: () => unknown): ProvidersFileError {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(ProvidersFileError);
    return error as ProvidersFileError;
  }
  throw new Error('expected a ProvidersFileError');
}

describe('providers file', () => {
  it('adds a custom provider and overrides only the given fields of a built-in one', () => {
    const path = writeFile({
      providers: [
        { ...acme, scopes: ['read'], rotatesRefreshTokens: true, refreshGraceSeconds: 60 },
        { id: 'google', name: 'Google (EU)', scopes: ['openid'] },
      ],
    });
    const registry = loadProviderRegistry({ providersFile: path, env: {} });

    const custom = registry.get('acme');
    expect(custom).toMatchObject({
      id: 'acme',
      name: 'Acme CRM',
      tokenUrl: acme.tokenUrl,
      clientAuth: 'client_secret_basic',
      refreshGrant: 'refresh_token',
      scopes: ['read'],
      source: 'file',
      credentials: { clientId: 'acme-client', clientSecret: SECRET },
    });
    expect(custom?.refreshToken).toEqual({
      issued: 'always',
      rotates: true,
      reuseGraceSeconds: 60,
      lifetimeSeconds: null,
      idleLifetimeSeconds: null,
    });
    expect(custom?.accessToken.lifetimeSeconds).toBeNull();

    const google = registry.get('google');
    const { google: builtin } = builtinProviders;
    expect(google?.name).toBe('Google (EU)');
    expect(google?.scopes).toEqual(['openid']);
    expect(google?.source).toBe('builtin+file');
    expect(google?.tokenUrl).toBe(builtin.tokenUrl);
    expect(google?.refreshToken).toEqual(builtin.refreshToken);
    expect(google?.offlineAuthorizationParams).toEqual(builtin.offlineAuthorizationParams);
  });

  it('overrides rotation and grace of a built-in provider', () => {
    const path = writeFile({ providers: [{ id: 'hubspot', rotatesRefreshTokens: true, refreshGraceSeconds: 120 }] });
    const hubspot = loadProviderRegistry({ providersFile: path, env: {} }).get('hubspot');
    expect(hubspot?.refreshToken.rotates).toBe(true);
    expect(hubspot?.refreshToken.reuseGraceSeconds).toBe(120);
    expect(hubspot?.accessToken.lifetimeSeconds).toBe(builtinProviders.hubspot.accessToken.lifetimeSeconds);
  });

  it('lists built-in and custom providers sorted by id', () => {
    const path = writeFile({ providers: [acme] });
    const registry = loadProviderRegistry({ providersFile: path, env: {} });
    const expected = [...listBuiltinProviderIds(), 'acme'].sort();
    expect(registry.ids()).toEqual(expected);
    expect(registry.list().map((provider) => provider.id)).toEqual(expected);
    expect(registry.has('acme')).toBe(true);
    expect(registry.has('nope')).toBe(false);
    expect(registry.get('nope')).toBeUndefined();
  });

  it('loads the built-in catalog alone when no file is configured', () => {
    const registry = loadProviderRegistry({ providersFile: null, env: {} });
    expect(registry.ids()).toEqual(listBuiltinProviderIds());
    expect(registry.list().every((provider) => provider.source === 'builtin')).toBe(true);
  });

  it('does not let a registry change the shared catalog', () => {
    const registry = loadProviderRegistry({ env: {} });
    registry.get('google')?.scopes.push('mutated');
    expect(builtinProviders.google.scopes).not.toContain('mutated');
  });

  it('names the file and the field when a new provider lacks a required field', () => {
    const { tokenUrl: _omitted, ...withoutTokenUrl } = acme;
    const path = writeFile({ providers: [withoutTokenUrl] });
    const error = errorOf(() => readProvidersFile(path));
    expect(error.message).toContain(`TOKENWARDEN_PROVIDERS_FILE ${path}:`);
    expect(error.message).toContain('providers[0].tokenUrl: is required');
  });

  it('requires every credential field of a new provider', () => {
    const error = errorOf(() => parseProvidersFile({ providers: [{ id: 'acme', name: 'Acme' }] }, '/etc/p.json'));
    for (const field of ['tokenUrl', 'clientId', 'clientSecret', 'clientAuth']) {
      expect(error.message).toContain(`providers[0].${field}`);
    }
  });

  it('needs only the id to override a built-in provider', () => {
    expect(parseProvidersFile({ providers: [{ id: 'slack' }] }, '/etc/p.json')).toEqual([{ id: 'slack' }]);
  });

  it('refuses a relative token URL', () => {
    const error = errorOf(() =>
      parseProvidersFile({ providers: [acme, { ...acme, id: 'other', tokenUrl: '/token' }] }, '/etc/p.json'),
    );
    expect(error.message).toMatch(
      /^TOKENWARDEN_PROVIDERS_FILE \/etc\/p\.json: providers\[1\]\.tokenUrl: must be an absolute http\(s\) URL/,
    );
  });

  it('refuses a client auth method other than basic or post', () => {
    const error = errorOf(() =>
      parseProvidersFile({ providers: [{ ...acme, clientAuth: 'private_key_jwt' }] }, '/etc/p.json'),
    );
    expect(error.message).toContain('providers[0].clientAuth');
  });

  it('refuses unknown keys in an entry and at the top level', () => {
    const inEntry = errorOf(() => parseProvidersFile({ providers: [{ ...acme, audience: 'x' }] }, '/etc/p.json'));
    expect(inEntry.message).toContain('providers[0].audience: unknown key');
    const atTop = errorOf(() => parseProvidersFile({ providers: [], version: 2 }, '/etc/p.json'));
    expect(atTop.message).toContain('version: unknown key');
  });

  it('refuses a file without a providers array', () => {
    const error = errorOf(() => parseProvidersFile([acme], '/etc/p.json'));
    expect(error.message).toContain('/etc/p.json');
  });

  it('refuses duplicate ids', () => {
    const error = errorOf(() => parseProvidersFile({ providers: [acme, { ...acme }] }, '/etc/p.json'));
    expect(error.message).toContain('providers[1].id: duplicate id "acme" (also providers[0])');
  });

  it('refuses a clientId without a clientSecret', () => {
    const error = errorOf(() => parseProvidersFile({ providers: [{ id: 'google', clientId: 'abc' }] }, '/etc/p.json'));
    expect(error.message).toContain('providers[0].clientSecret');
  });

  it('refuses a file that is not JSON without carrying any of its text, even as the cause', () => {
    const path = writeFile(`{ "providers": [ { "id": "acme", "clientSecret": "${SECRET}", } ] }`);
    const error = errorOf(() => readProvidersFile(path));
    expect(error.message).toMatch(new RegExp(`^TOKENWARDEN_PROVIDERS_FILE ${path}: is not valid JSON \\(parser stopped at character \\d+\\)$`));
    expect(error.cause).toBeUndefined();
    expect(JSON.stringify(error, Object.getOwnPropertyNames(error))).not.toContain(SECRET);
  });

  it('refuses an unreadable path and keeps the file system error as the cause', () => {
    const path = join(dir, 'missing.json');
    const error = errorOf(() => loadProviderRegistry({ providersFile: path, env: {} }));
    expect(error.message).toBe(`TOKENWARDEN_PROVIDERS_FILE ${path}: cannot be read (ENOENT)`);
    expect((error.cause as NodeJS.ErrnoException).code).toBe('ENOENT');
  });

  it('never puts a client secret in an error message', () => {
    const broken = [
      { providers: [{ ...acme, tokenUrl: 'not a url' }] },
      { providers: [{ ...acme, clientAuth: SECRET }] },
      { providers: [acme, acme] },
      { providers: [{ ...acme, id: SECRET }] },
    ];
    for (const contents of broken) {
      const error = errorOf(() => readProvidersFile(writeFile(contents)));
      expect(error.message).not.toContain(SECRET);
    }
  });
});

describe('provider credentials', () => {
  it('reads built-in credentials from <ID>_CLIENT_ID and <ID>_CLIENT_SECRET', () => {
    const registry = loadProviderRegistry({
      env: { GOOGLE_CLIENT_ID: 'g-id', GOOGLE_CLIENT_SECRET: 'g-secret' },
    });
    expect(registry.get('google')?.credentials).toEqual({ clientId: 'g-id', clientSecret: 'g-secret' });
  });

  it('prefers credentials in the file over the environment', () => {
    const path = writeFile({ providers: [{ id: 'google', clientId: 'file-id', clientSecret: 'file-secret' }] });
    const registry = loadProviderRegistry({
      providersFile: path,
      env: { GOOGLE_CLIENT_ID: 'env-id', GOOGLE_CLIENT_SECRET: 'env-secret' },
    });
    expect(registry.get('google')?.credentials).toEqual({ clientId: 'file-id', clientSecret: 'file-secret' });
  });

  it('uses the environment for a built-in override that carries no credentials', () => {
    const path = writeFile({ providers: [{ id: 'xero', scopes: ['openid'] }] });
    const registry = loadProviderRegistry({
      providersFile: path,
      env: { XERO_CLIENT_ID: 'x-id', XERO_CLIENT_SECRET: 'x-secret' },
    });
    expect(registry.get('xero')?.credentials).toEqual({ clientId: 'x-id', clientSecret: 'x-secret' });
  });

  it('leaves credentials null when either half is missing or empty, without throwing', () => {
    const registry = loadProviderRegistry({
      env: { SLACK_CLIENT_ID: 'only-id', GITHUB_CLIENT_ID: 'gh', GITHUB_CLIENT_SECRET: '' },
    });
    expect(registry.get('slack')?.credentials).toBeNull();
    expect(registry.get('github')?.credentials).toBeNull();
    expect(registry.get('zoom')?.credentials).toBeNull();
  });
});

describe('revocation and account identity from the providers file', () => {
  const oidc = {
    ...acme,
    authorizationUrl: 'https://auth.acme.test/oauth/authorize',
    scopes: ['openid', 'email', 'offline_access'],
  };

  function load(providers: unknown[]) {
    return loadProviderRegistry({ providersFile: writeFile({ providers }), env: {} });
  }

  it('revokes a new provider by RFC 7009 at its revocationUrl, and not at all without one', () => {
    const registry = load([
      { ...acme, revocationUrl: 'https://auth.acme.test/oauth/revoke' },
      { ...acme, id: 'plain' },
    ]);
    expect(registry.get('acme')).toMatchObject({ revocationUrl: 'https://auth.acme.test/oauth/revoke', revocation: 'rfc7009' });
    expect(registry.get('plain')).toMatchObject({ revocationUrl: null, revocation: null });
  });

  it('reads an OpenID file provider from its ID token, issued by the origin of its authorization URL', () => {
    expect(load([oidc]).get('acme')?.account).toEqual({
      source: 'id_token',
      issuer: 'https://auth.acme.test',
      labelClaim: 'email',
      loginHint: true,
    });
  });

  it('gives no account to a file provider without openid, without an authorization URL, or with a placeholder host', () => {
    const registry = load([
      { ...oidc, id: 'no_openid', scopes: ['read'] },
      { ...acme, id: 'no_authorize', scopes: ['openid'] },
      { ...oidc, id: 'per_tenant', authorizationUrl: 'https://{tenant}.acme.test/authorize' },
    ]);
    expect(registry.get('no_openid')?.account).toBeNull();
    expect(registry.get('no_authorize')?.account).toBeNull();
    expect(registry.get('per_tenant')?.account).toBeNull();
  });

  it('moves a built-in provider pointed at another server: identity from that server, never the real revocation endpoint', () => {
    const registry = load([
      { id: 'xero', authorizationUrl: 'http://127.0.0.1:3010/auth', tokenUrl: 'http://127.0.0.1:3010/token' },
      {
        id: 'google',
        authorizationUrl: 'http://127.0.0.1:3010/auth',
        tokenUrl: 'http://127.0.0.1:3010/token',
        revocationUrl: 'http://127.0.0.1:3010/token/revocation',
      },
      { id: 'slack', authorizationUrl: 'http://127.0.0.1:3010/auth', tokenUrl: 'http://127.0.0.1:3010/token' },
    ]);
    // Xero's default scopes include openid: the local server's ID token, its origin as issuer.
    expect(registry.get('xero')).toMatchObject({
      account: { source: 'id_token', issuer: 'http://127.0.0.1:3010', labelClaim: 'email', loginHint: true },
      revocationUrl: null,
      revocation: null,
    });
    expect(registry.get('google')).toMatchObject({
      account: { source: 'id_token', issuer: 'http://127.0.0.1:3010' },
      revocationUrl: 'http://127.0.0.1:3010/token/revocation',
      revocation: 'rfc7009',
    });
    // Slack's own answer shape and auth.revoke belong to Slack, not to the server it moved to.
    expect(registry.get('slack')).toMatchObject({ account: null, revocationUrl: null, revocation: null });
  });

  it('treats a moved token endpoint as a move too, so its tokens never reach the real revocation endpoint', () => {
    const xero = load([{ id: 'xero', tokenUrl: 'http://127.0.0.1:3010/token' }]).get('xero');
    // Nor is Xero's issuer expected of ID tokens the other server signs.
    expect(xero).toMatchObject({ revocationUrl: null, revocation: null, account: null });
  });

  it('keeps a built-in provider whose authorization URL changes only its path (a Microsoft tenant)', () => {
    const microsoft = load([
      {
        id: 'microsoft',
        authorizationUrl: 'https://login.microsoftonline.com/contoso.onmicrosoft.com/oauth2/v2.0/authorize',
        tokenUrl: 'https://login.microsoftonline.com/contoso.onmicrosoft.com/oauth2/v2.0/token',
      },
    ]).get('microsoft');
    expect(microsoft?.account).toEqual(builtinProviders.microsoft.account);
    expect(microsoft?.revocation).toBeNull();
  });

  it("replaces a built-in provider's revocation endpoint in place and keeps its style", () => {
    const registry = load([
      { id: 'slack', revocationUrl: 'https://slack-proxy.example/api/auth.revoke' },
      { id: 'atlassian', revocationUrl: 'https://auth.example/revoke' },
    ]);
    expect(registry.get('slack')).toMatchObject({
      revocationUrl: 'https://slack-proxy.example/api/auth.revoke',
      revocation: 'slack_auth_revoke',
      account: builtinProviders.slack.account,
    });
    // Atlassian has no endpoint of its own: the operator's is RFC 7009.
    expect(registry.get('atlassian')).toMatchObject({ revocationUrl: 'https://auth.example/revoke', revocation: 'rfc7009' });
  });

  it('keeps the catalog identity and revocation of an override that moves nothing', () => {
    const google = load([{ id: 'google', name: 'Google (EU)' }]).get('google');
    expect(google?.account).toEqual(builtinProviders.google.account);
    expect(google).toMatchObject({ revocationUrl: builtinProviders.google.revocationUrl, revocation: 'rfc7009' });
  });

  it('refuses a revocationUrl that is not an absolute http(s) URL', () => {
    const error = errorOf(() => parseProvidersFile({ providers: [{ ...acme, revocationUrl: '/revoke' }] }, '/etc/p.json'));
    expect(error.message).toContain('providers[0].revocationUrl: must be an absolute http(s) URL');
  });

  it('matches the issuer the bundled OAuth server really puts in its ID tokens', async () => {
    const oauth = await startLocalOAuthProvider({ clients: [{ clientId: 'c', clientSecret: 's', auth: 'client_secret_basic' }] });
    try {
      const xero = load([
        { id: 'xero', authorizationUrl: oauth.authorizationUrl, tokenUrl: oauth.tokenUrl, revocationUrl: oauth.revocationUrl },
      ]).get('xero');
      // What the server itself publishes as the `iss` of its ID tokens.
      const discovery = (await (await fetch(new URL('/.well-known/openid-configuration', oauth.authorizationUrl))).json()) as {
        issuer: string;
      };
      expect(xero?.account).toMatchObject({ source: 'id_token', issuer: discovery.issuer });
      expect(xero).toMatchObject({ revocationUrl: oauth.revocationUrl, revocation: 'rfc7009' });
    } finally {
      await oauth.close();
    }
  });
});
