import type { ProviderProfile } from './schema';

/**
 * What a missing lifetime means, in one place (catalog, providers file, import and refresh
 * all read it from here): an access token's expiry is what its issuer said (`expires_in`),
 * else the provider's documented lifetime (`accessToken.lifetimeSeconds`); a provider with
 * no documented lifetime (null: Slack without rotation, GitHub OAuth apps, Notion, Shopify's
 * offline tokens, and providers defined only in the providers file) issues tokens that do
 * not expire unless the answer says they do.
 */
export function accessTokenLifetime(profile: Pick<ProviderProfile, 'accessToken'>, expiresInSeconds: number | null | undefined): number | null {
  return expiresInSeconds ?? profile.accessToken.lifetimeSeconds;
}
