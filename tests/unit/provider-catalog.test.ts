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
      const urls = [profile.tokenUrl, profile.authorizationUrl, profile.revocationUrl, profile.healthCheckUrl];
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
});
