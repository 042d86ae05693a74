import { describe, expect, it } from 'vitest';
import { builtinProviders, listBuiltinProviderIds } from '../../lib/providers/catalog';
import { loadProviderRegistry } from '../../lib/providers/registry';
import { providerProfileSchema } from '../../lib/providers/schema';
import { responses } from '../support/fault-provider';
import { attemptOf, type SentRequest } from '../support/recorded-answer';

const EXPECTED_IDS = [
  'airtable',
  'atlassian',
  'discord',
  'dropbox',
  'facebook',
  'github',
  'google',
  'hubspot',
  'instagram',
  'linkedin',
  'microsoft',
  'notion',
  'quickbooks',
  'salesforce',
  'shopify',
  'slack',
  'tiktok',
  'twitter',
  'xero',
  'zoom',
];

const entries = Object.entries(builtinProviders);

describe('built-in provider catalog', () => {
  it('holds exactly the twenty supported providers, which the registry serves without a providers file', () => {
    expect(listBuiltinProviderIds()).toEqual(EXPECTED_IDS);
    expect(loadProviderRegistry({ env: {} }).ids()).toEqual(EXPECTED_IDS);
  });

  it.each(entries)('validates %s against the provider profile schema', (_id, profile) => {
    const result = providerProfileSchema.safeParse(profile);
    expect(result.success ? [] : result.error.issues).toEqual([]);
  });

  it.each(entries)('keys %s by its own id', (key, profile) => {
    expect(profile.id).toBe(key);
  });

  it('uses https for every endpoint', () => {
    for (const profile of Object.values(builtinProviders)) {
      const account = profile.account as { url?: string } | null;
      const urls = [profile.tokenUrl, profile.authorizationUrl, profile.revocationUrl, profile.healthCheckUrl, account?.url ?? null];
      for (const url of urls) if (url !== null) expect(url).toMatch(/^https:\/\//);
    }
  });

  it('gives a rotation grace period only to providers whose refresh tokens rotate', () => {
    for (const profile of Object.values(builtinProviders)) {
      if (profile.refreshToken.reuseGraceSeconds !== null) expect(profile.refreshToken.rotates).toBe(true);
    }
  });

  it('asks for offline scopes only where refresh tokens depend on them', () => {
    for (const profile of Object.values(builtinProviders)) {
      const asksForOffline =
        profile.offlineScopes.length > 0 || Object.keys(profile.offlineAuthorizationParams).length > 0;
      expect(asksForOffline).toBe(profile.refreshToken.issued === 'offline_scope');
    }
  });

  it.each(entries)('names a revocation style for %s exactly when it has a revocation endpoint', (_id, profile) => {
    expect(profile.revocation === null).toBe(profile.revocationUrl === null);
  });

  it('refuses a profile with a revocation style but no endpoint, or an endpoint but no style', () => {
    const { slack } = builtinProviders;
    for (const broken of [
      { ...slack, revocationUrl: null },
      { ...slack, revocation: null },
    ]) {
      const result = providerProfileSchema.safeParse(broken);
      expect(result.success ? [] : result.error.issues.map((issue) => issue.path.join('.'))).toEqual(['revocation']);
    }
  });

  it('identifies the account on connect for every provider that can say who it is', () => {
    // Shopify's account is the connection's own {shop}; every other provider names one.
    const withoutAccount = entries.filter(([, profile]) => profile.account === null).map(([id]) => id);
    expect(withoutAccount).toEqual(['shopify']);
  });

  it('sends login_hint on reconnect only where the provider documents it taking the stored id', () => {
    const withHint = entries
      .filter(([, profile]) => profile.account?.source === 'id_token' && profile.account.loginHint)
      .map(([id]) => id);
    expect(withHint).toEqual(['google']);
  });

  it('marks providers without refresh tokens as renewed by their own exchange', () => {
    for (const profile of Object.values(builtinProviders)) {
      if (profile.refreshToken.issued === 'never') expect(profile.refreshGrant).not.toBe('refresh_token');
      else expect(profile.refreshGrant).toBe('refresh_token');
    }
  });
});

describe('provider facts', () => {
  it('renews Facebook tokens by the long-lived token exchange, without a refresh token', async () => {
    const { facebook } = builtinProviders;
    expect(facebook.refreshGrant).toBe('fb_exchange_token');
    expect(facebook.refreshToken.issued).toBe('never');
    expect(facebook.accessToken.lifetimeSeconds).toBe(60 * 86400);

    const sent: SentRequest[] = [];
    const result = await attemptOf('facebook', responses.metaExchange(), sent);
    // Issue 8 item 8: Meta's documented GET replaces the POST this test used to expect.
    expect(sent).toHaveLength(1);
    const url = new URL(sent[0]!.url);
    expect({ method: sent[0]!.method, url: `${url.origin}${url.pathname}` }).toEqual({ method: 'GET', url: facebook.tokenUrl });
    expect(Object.fromEntries(url.searchParams)).toEqual({
      grant_type: 'fb_exchange_token',
      fb_exchange_token: 'stored-access-token',
      client_id: 'facebook-client-id',
      client_secret: 'facebook-client-secret',
    });
    expect(result).toMatchObject({ kind: 'tokens', tokens: { refreshToken: undefined } });
  });

  it('renews Instagram Login tokens with ig_refresh_token at graph.instagram.com', async () => {
    const { instagram } = builtinProviders;
    expect(instagram.refreshGrant).toBe('ig_refresh_token');
    expect(instagram.tokenUrl).toBe('https://graph.instagram.com/refresh_access_token');
    expect(instagram.refreshToken.issued).toBe('never');

    const sent: SentRequest[] = [];
    const result = await attemptOf('instagram', responses.metaExchange(), sent);
    expect(sent).toHaveLength(1);
    const url = new URL(sent[0]!.url);
    expect({ method: sent[0]!.method, origin: url.origin, path: url.pathname }).toEqual({
      method: 'GET',
      origin: 'https://graph.instagram.com',
      path: '/refresh_access_token',
    });
    expect(Object.fromEntries(url.searchParams)).toEqual({ grant_type: 'ig_refresh_token', access_token: 'stored-access-token' });
    expect(result).toMatchObject({ kind: 'tokens', tokens: { refreshToken: undefined } });
  });

  it('rotates Xero refresh tokens with a 30-minute reuse grace and a 60-day idle expiry', () => {
    const { xero } = builtinProviders;
    expect(xero.refreshToken.rotates).toBe(true);
    expect(xero.refreshToken.reuseGraceSeconds).toBe(1800);
    expect(xero.refreshToken.idleLifetimeSeconds).toBe(60 * 86400);
    expect(xero.offlineScopes).toContain('offline_access');
  });

  it('falls back to a guessed Salesforce lifetime because its token responses lack expires_in', () => {
    const { salesforce } = builtinProviders;
    expect(salesforce.accessToken.lifetimeSeconds).toBe(7200);
    expect(salesforce.offlineScopes).toEqual(['refresh_token']);
    expect(salesforce.tokenUrl).toBe('https://login.salesforce.com/services/oauth2/token');
  });

  it('needs offline_access for Microsoft refresh tokens, which last 90 days unused', () => {
    const { microsoft } = builtinProviders;
    expect(microsoft.offlineScopes).toEqual(['offline_access']);
    expect(microsoft.refreshToken.idleLifetimeSeconds).toBe(90 * 86400);
    expect(microsoft.healthCheckUrl).toBe('https://graph.microsoft.com/v1.0/me');
  });

  it('asks Google for offline access with access_type, not with a scope', () => {
    const { google } = builtinProviders;
    expect(google.offlineScopes).toEqual([]);
    expect(google.offlineAuthorizationParams.access_type).toBe('offline');
    expect(google.refreshToken.issued).toBe('offline_scope');
  });

  it('caps QuickBooks refresh tokens at five years and 100 idle days', () => {
    const { quickbooks } = builtinProviders;
    expect(quickbooks.refreshToken.lifetimeSeconds).toBe(5 * 365 * 86400);
    expect(quickbooks.refreshToken.idleLifetimeSeconds).toBe(100 * 86400);
    expect(quickbooks.accessToken.lifetimeSeconds).toBe(3600);
  });

  it('expires Atlassian refresh tokens after 90 idle days and 365 days in all', () => {
    const { atlassian } = builtinProviders;
    expect(atlassian.refreshToken.rotates).toBe(true);
    expect(atlassian.refreshToken.idleLifetimeSeconds).toBe(90 * 86400);
    expect(atlassian.refreshToken.lifetimeSeconds).toBe(365 * 86400);
  });

  it('keeps Shopify endpoints per shop', async () => {
    expect(builtinProviders.shopify.tokenUrl).toContain('{shop}');

    const sent: SentRequest[] = [];
    await attemptOf('shopify', responses.tokens(), sent);
    expect(sent.map((request) => new URL(request.url).host)).toEqual(['acme-store.myshopify.com']);
  });

  it('issues X refresh tokens only with offline.access', () => {
    expect(builtinProviders.twitter.offlineScopes).toEqual(['offline.access']);
    expect(builtinProviders.twitter.accessToken.lifetimeSeconds).toBe(7200);
  });

  it('lets HubSpot refresh tokens live until the app is uninstalled', () => {
    const { hubspot } = builtinProviders;
    expect(hubspot.accessToken.lifetimeSeconds).toBe(1800);
    expect(hubspot.refreshToken.rotates).toBe(false);
    expect(hubspot.refreshToken.lifetimeSeconds).toBeNull();
    expect(hubspot.refreshToken.idleLifetimeSeconds).toBeNull();
  });

  it('revokes at Slack, GitHub and Facebook by their own documented calls', () => {
    expect(builtinProviders.slack).toMatchObject({ revocationUrl: 'https://slack.com/api/auth.revoke', revocation: 'slack_auth_revoke' });
    expect(builtinProviders.github).toMatchObject({
      revocationUrl: 'https://api.github.com/applications/{client_id}/token',
      revocation: 'github_delete_token',
    });
    expect(builtinProviders.facebook).toMatchObject({
      revocationUrl: 'https://graph.facebook.com/me/permissions',
      revocation: 'meta_delete_permissions',
    });
  });

  it('does not call endpoints that are not RFC 7009 shaped as if they were', () => {
    // Notion (JSON body and a required header), Dropbox (bearer RPC), TikTok (client_key).
    for (const id of ['notion', 'dropbox', 'tiktok'] as const) {
      expect(builtinProviders[id]).toMatchObject({ revocationUrl: null, revocation: null });
    }
  });

  it('validates ID tokens against each OpenID provider\'s exact issuer', () => {
    const issuers = Object.fromEntries(
      entries.flatMap(([id, profile]) => (profile.account?.source === 'id_token' ? [[id, profile.account.issuer]] : [])),
    );
    expect(issuers).toEqual({
      google: 'https://accounts.google.com',
      linkedin: 'https://www.linkedin.com/oauth',
      microsoft: 'https://login.microsoftonline.com/{tenantid}/v2.0',
      xero: 'https://identity.xero.com',
    });
  });

  it('reads the account from the token answer, the user-info call or the redirect as each provider documents', () => {
    expect(builtinProviders.slack.account).toEqual({ source: 'token_response', idPath: ['authed_user', 'id'], labelPath: ['team', 'name'] });
    expect(builtinProviders.notion.account).toEqual({
      source: 'token_response',
      idPath: ['owner', 'user', 'id'],
      labelPath: ['workspace_name'],
    });
    expect(builtinProviders.dropbox.account).toMatchObject({ source: 'token_response', idPath: ['account_id'] });
    expect(builtinProviders.tiktok.account).toMatchObject({ source: 'token_response', idPath: ['open_id'] });
    expect(builtinProviders.salesforce.account).toMatchObject({ source: 'token_response', idPath: ['id'] });
    expect(builtinProviders.github.account).toEqual({ source: 'userinfo', url: 'https://api.github.com/user', idPath: ['id'], labelPath: ['login'] });
    expect(builtinProviders.twitter.account).toEqual({
      source: 'userinfo',
      url: 'https://api.x.com/2/users/me',
      idPath: ['data', 'id'],
      labelPath: ['data', 'username'],
    });
    expect(builtinProviders.facebook.account).toMatchObject({ url: 'https://graph.facebook.com/me?fields=id,name', idPath: ['id'] });
    expect(builtinProviders.atlassian.account).toMatchObject({ url: 'https://api.atlassian.com/me', idPath: ['account_id'] });
    expect(builtinProviders.quickbooks.account).toEqual({ source: 'callback_param', param: 'realmId', labelPath: null });
  });

  it('sends the authorization parameters Notion and Atlassian require on every connect', () => {
    expect(builtinProviders.notion.authorizationParams).toEqual({ owner: 'user' });
    expect(builtinProviders.atlassian.authorizationParams).toEqual({ audience: 'api.atlassian.com', prompt: 'consent' });
    expect(builtinProviders.atlassian.offlineScopes).toEqual(['offline_access']);
    expect(builtinProviders.dropbox.offlineAuthorizationParams).toEqual({ token_access_type: 'offline' });
    expect(builtinProviders.google.offlineAuthorizationParams).toEqual({ access_type: 'offline', prompt: 'consent' });
  });
});
