import { describe, expect, it } from 'vitest';
import { loadProviderRegistry } from '../../lib/providers/registry';
import type { ResolvedProvider } from '../../lib/providers/schema';
import type { Outcome, TokenSet } from '../../lib/refresh/outcome';
import { fillTemplate } from '../../lib/refresh/provider-call';
import { parseRetryAfter } from '../../lib/net/retry-after';
import { tokenTimes } from '../../lib/refresh/refresh-one';

const NOW = new Date('2026-03-01T12:00:00.000Z');
const SECOND = 1000;
const DAY = 86_400;

function refreshed(tokens: Partial<TokenSet> = {}): Extract<Outcome, { type: 'refreshed' }> {
  return { type: 'refreshed', tokens: { accessToken: 'at-new', ...tokens }, httpStatus: 200 };
}

function salesforce(): ResolvedProvider {
  const provider = loadProviderRegistry({ env: {} }).get('salesforce');
  if (!provider) throw new Error('salesforce is missing from the catalog');
  return provider;
}

function withLifetimes(
  base: ResolvedProvider,
  lifetimes: { access?: number | null; refresh?: number | null; refreshIdle?: number | null },
): ResolvedProvider {
  return {
    ...base,
    accessToken: { ...base.accessToken, ...(lifetimes.access === undefined ? {} : { lifetimeSeconds: lifetimes.access }) },
    refreshToken: {
      ...base.refreshToken,
      ...(lifetimes.refresh === undefined ? {} : { lifetimeSeconds: lifetimes.refresh }),
      ...(lifetimes.refreshIdle === undefined ? {} : { idleLifetimeSeconds: lifetimes.refreshIdle }),
    },
  };
}

const at = (seconds: number) => new Date(NOW.getTime() + seconds * SECOND);

describe('parseRetryAfter', () => {
  const now = Date.parse('2015-10-21T07:27:00.000Z');

  it('reads delta-seconds', () => {
    expect(parseRetryAfter('120', now)).toBe(120);
    expect(parseRetryAfter('0', now)).toBe(0);
    expect(parseRetryAfter(' 7 ', now)).toBe(7);
  });

  it('reads an HTTP date relative to the injected now', () => {
    expect(parseRetryAfter('Wed, 21 Oct 2015 07:28:00 GMT', now)).toBe(60);
    expect(parseRetryAfter('Wed, 21 Oct 2015 07:28:00 GMT', now + 59_500)).toBe(1);
    expect(parseRetryAfter('Wed, 21 Oct 2015 08:27:00 GMT', now)).toBe(3600);
  });

  it('rounds a fraction of a second up, so the wait is never too short', () => {
    expect(parseRetryAfter('Wed, 21 Oct 2015 07:28:00 GMT', now + 500)).toBe(60);
  });

  it('answers 0 for a date in the past', () => {
    expect(parseRetryAfter('Wed, 21 Oct 2015 07:00:00 GMT', now)).toBe(0);
    expect(parseRetryAfter('Thu, 01 Jan 1970 00:00:00 GMT', now)).toBe(0);
  });

  it('answers undefined for no header or garbage', () => {
    expect(parseRetryAfter(null, now)).toBeUndefined();
    expect(parseRetryAfter('', now)).toBeUndefined();
    expect(parseRetryAfter('soon', now)).toBeUndefined();
    expect(parseRetryAfter('not a date', now)).toBeUndefined();
    expect(parseRetryAfter('12abc', now)).toBeUndefined();
  });
});

describe('fillTemplate', () => {
  const shopify = 'https://{shop}.myshopify.com/admin/oauth/access_token';

  it('fills {shop} from the connection parameters', () => {
    expect(fillTemplate(shopify, { shop: 'acme-store' })).toBe('https://acme-store.myshopify.com/admin/oauth/access_token');
  });

  it('fills every placeholder', () => {
    expect(fillTemplate('https://{tenant}.example.test/{region}/token', { tenant: 'acme', region: 'eu-1' })).toBe(
      'https://acme.example.test/eu-1/token',
    );
  });

  it('returns a template without placeholders as it is', () => {
    expect(fillTemplate('https://login.salesforce.com/services/oauth2/token', {})).toBe('https://login.salesforce.com/services/oauth2/token');
  });

  it('refuses a missing parameter', () => {
    expect(fillTemplate(shopify, {})).toBeNull();
    expect(fillTemplate('https://{tenant}.example.test/{region}/token', { tenant: 'acme' })).toBeNull();
  });

  it.each(['acme.myshopify.com', 'evil.com', 'evil.com/x', 'evil.com#', 'evil.com?x=', 'user@evil.com', 'evil.com:8443', 'a b', '', '../x', 'acme%2Fx'])(
    'refuses the unsafe value %j',
    (shop) => {
      expect(fillTemplate(shopify, { shop })).toBeNull();
    },
  );

  it.each([42, null, undefined, ['acme'], { toString: () => 'acme' }])('refuses the non-string value %j', (shop) => {
    expect(fillTemplate(shopify, { shop })).toBeNull();
  });
});

describe('tokenTimes', () => {
  it('takes the expiry from expires_in when the response has one', () => {
    const times = tokenTimes(refreshed({ expiresInSeconds: 900 }), salesforce(), NOW, () => 0);
    expect(times.expiresAt).toEqual(at(900));
  });

  it("falls back to the provider's documented lifetime when expires_in is missing (Salesforce: 2 hours)", () => {
    const provider = salesforce();
    expect(provider.accessToken.lifetimeSeconds).toBe(7200);
    expect(tokenTimes(refreshed(), provider, NOW, () => 0).expiresAt).toEqual(at(7200));
  });

  it('takes a token as not expiring, and never due, when neither the response nor the provider gives a lifetime', () => {
    // One meaning of a missing lifetime (lib/providers/lifetime.ts), as import reads it too.
    const provider = withLifetimes(salesforce(), { access: null });
    const times = tokenTimes(refreshed(), provider, NOW, () => 0.5);
    expect(times.expiresAt).toBeNull();
    expect(times.refreshDueAt).toBeNull();
  });

  it('hands the tokens through untouched', () => {
    const outcome = refreshed({ refreshToken: 'rt-new', scopes: ['api'] });
    expect(tokenTimes(outcome, salesforce(), NOW, () => 0).tokens).toBe(outcome.tokens);
  });

  it('is due exactly at expiry when the dice roll 0', () => {
    const times = tokenTimes(refreshed({ expiresInSeconds: 3600 }), salesforce(), NOW, () => 0);
    expect(times.refreshDueAt).toEqual(times.expiresAt);
  });

  it.each([
    // [lifetime, largest jitter]: 20% of the lifetime, at most 600 s.
    [7200, 600],
    [3600, 600],
    [3000, 600],
    [1800, 360],
    [300, 60],
    [60, 12],
  ])('keeps the jitter of a %i s token within %i s', (lifetime, maxJitter) => {
    const provider = salesforce();
    for (const roll of [0, 0.25, 0.5, 0.999]) {
      const times = tokenTimes(refreshed({ expiresInSeconds: lifetime }), provider, NOW, () => roll);
      const jitterMs = times.expiresAt!.getTime() - times.refreshDueAt!.getTime();
      expect(jitterMs).toBeGreaterThanOrEqual(0);
      expect(jitterMs).toBeLessThanOrEqual(maxJitter * SECOND);
      expect(jitterMs).toBeCloseTo(roll * maxJitter * SECOND, 3);
    }
  });

  it('is due at most 10 minutes before expiry on a high roll with the provider lifetime', () => {
    const times = tokenTimes(refreshed(), salesforce(), NOW, () => 0.999);
    expect(times.refreshDueAt!.getTime()).toBeGreaterThanOrEqual(times.expiresAt!.getTime() - 600 * SECOND);
    expect(times.refreshDueAt!.getTime()).toBeLessThan(times.expiresAt!.getTime());
  });

  it('dates the refresh token from refresh_token_expires_in when the response gives it', () => {
    const times = tokenTimes(refreshed({ refreshToken: 'rt-new', refreshTokenExpiresInSeconds: 15_897_600 }), salesforce(), NOW, () => 0);
    expect(times.refreshTokenExpiresAt).toEqual(at(15_897_600));
  });

  it('prefers refresh_token_expires_in over the provider lifetime', () => {
    const provider = withLifetimes(salesforce(), { refresh: 365 * DAY });
    const times = tokenTimes(refreshed({ refreshToken: 'rt-new', refreshTokenExpiresInSeconds: 100 * DAY }), provider, NOW, () => 0);
    expect(times.refreshTokenExpiresAt).toEqual(at(100 * DAY));
  });

  it("dates a new refresh token from the provider's documented lifetime", () => {
    const provider = withLifetimes(salesforce(), { refresh: 365 * DAY, refreshIdle: 90 * DAY });
    expect(tokenTimes(refreshed({ refreshToken: 'rt-new' }), provider, NOW, () => 0).refreshTokenExpiresAt).toEqual(at(365 * DAY));
  });

  it("dates a new refresh token from the provider's idle lifetime when there is no absolute one", () => {
    const provider = withLifetimes(salesforce(), { refresh: null, refreshIdle: 90 * DAY });
    expect(tokenTimes(refreshed({ refreshToken: 'rt-new' }), provider, NOW, () => 0).refreshTokenExpiresAt).toEqual(at(90 * DAY));
  });

  it('leaves the refresh token expiry alone when no new refresh token came', () => {
    const provider = withLifetimes(salesforce(), { refresh: 365 * DAY });
    expect(tokenTimes(refreshed(), provider, NOW, () => 0).refreshTokenExpiresAt).toBeNull();
  });

  it('gives no refresh token expiry when the provider documents none (Salesforce: valid until revoked)', () => {
    expect(tokenTimes(refreshed({ refreshToken: 'rt-new' }), salesforce(), NOW, () => 0).refreshTokenExpiresAt).toBeNull();
  });

  it('reads the clock only from the injected now', () => {
    const later = new Date('2031-07-04T00:00:00.000Z');
    const times = tokenTimes(refreshed({ expiresInSeconds: 60, refreshToken: 'r', refreshTokenExpiresInSeconds: 120 }), salesforce(), later, () => 0);
    expect(times.expiresAt).toEqual(new Date(later.getTime() + 60 * SECOND));
    expect(times.refreshTokenExpiresAt).toEqual(new Date(later.getTime() + 120 * SECOND));
  });
});
