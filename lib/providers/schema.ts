import { z } from 'zod';

/**
 * The shape of one provider profile. Profiles are data: the built-in catalog in
 * `catalog.ts` and the operator's `TOKENWARDEN_PROVIDERS_FILE` both end up as this type,
 * and the refresh engine reads nothing else about a provider.
 */

/** `{shop}`-style placeholders are filled from the integration (e.g. a Shopify shop). */
export const urlTemplateSchema = z
  .string()
  .min(1)
  .refine((value) => {
    try {
      const url = new URL(value.replace(/\{[a-z_]+\}/g, 'placeholder'));
      return url.protocol === 'https:' || url.protocol === 'http:';
    } catch {
      return false;
    }
  }, 'must be an absolute http(s) URL (placeholders like {shop} allowed)');

export const providerIdSchema = z
  .string()
  .regex(/^[a-z][a-z0-9_]{1,39}$/, 'must be lowercase letters, digits and underscores, starting with a letter');

export const clientAuthSchema = z.enum(['client_secret_basic', 'client_secret_post']);

export const refreshTokenPolicySchema = z.object({
  /**
   * always: every authorization returns one; offline_scope: only when `offlineScopes`
   * or `offlineAuthorizationParams` are requested (Google access_type=offline);
   * optional: the app owner turns it on (Slack token rotation, GitHub expiring tokens);
   * never: the provider has no refresh token (Meta exchanges long-lived tokens instead).
   */
  issued: z.enum(['always', 'offline_scope', 'optional', 'never']),
  /** Each refresh returns a new refresh token and the old one stops working. */
  rotates: z.boolean(),
  /** Seconds during which a just-rotated refresh token is still accepted, if documented. */
  reuseGraceSeconds: z.number().int().nonnegative().nullable(),
  /** Absolute lifetime from issue, when the provider documents a hard cap. null: none documented. */
  lifetimeSeconds: z.number().int().positive().nullable(),
  /** Expires after this long unused, when documented. null: none documented. */
  idleLifetimeSeconds: z.number().int().positive().nullable(),
});

/** A path into a JSON answer, e.g. `['authed_user', 'id']`. */
const jsonPathSchema = z.array(z.string().min(1)).min(1);

/**
 * How the connect flow (lib/connect) learns which account a grant belongs to, stored as
 * `provider_account_id` (a reconnect that signs in as another account is refused), and a
 * label for it (`account_label`):
 * id_token: the validated ID token's `sub` (`issuer` is what its `iss` must be), the label
 *   from `labelClaim` (e.g. `email`);
 * token_response: fields of the token endpoint's answer (Slack `authed_user.id`, Dropbox
 *   `account_id`);
 * userinfo: an authenticated GET of `url` with the new access token (GitHub `/user`);
 * callback_param: a query parameter of the redirect back (QuickBooks `realmId`).
 * null: the provider does not say; the connection has no provider_account_id.
 */
export const accountIdentitySchema = z.discriminatedUnion('source', [
  z.object({
    source: z.literal('id_token'),
    /** The ID token's `iss`; `{tenantid}` is filled from its `tid` claim (Microsoft's multi-tenant endpoint). */
    issuer: z.string().min(1),
    labelClaim: z.string().min(1).nullable(),
    /** A reconnect sends the stored `sub` as OpenID's `login_hint` (documented by Google; a generic OIDC server's own identifier). */
    loginHint: z.boolean(),
  }),
  z.object({ source: z.literal('token_response'), idPath: jsonPathSchema, labelPath: jsonPathSchema.nullable() }),
  z.object({ source: z.literal('userinfo'), url: urlTemplateSchema, idPath: jsonPathSchema, labelPath: jsonPathSchema.nullable() }),
  z.object({ source: z.literal('callback_param'), param: z.string().min(1), labelPath: jsonPathSchema.nullable() }),
]);

/**
 * How a grant is revoked at `revocationUrl` when a user disconnects:
 * rfc7009: RFC 7009 token revocation (oauth4webapi's revocationRequest), the refresh token
 *   when there is one (revoking it ends the grant), else the access token;
 * slack_auth_revoke: Slack's `auth.revoke`, the token as its bearer credential;
 * github_delete_token: GitHub's `DELETE /applications/{client_id}/token`, basic auth, the
 *   access token in the JSON body;
 * meta_delete_permissions: Graph `DELETE /me/permissions` with the access token.
 * null: no documented endpoint; a disconnect only erases the tokens here.
 */
export const revocationStyleSchema = z.enum(['rfc7009', 'slack_auth_revoke', 'github_delete_token', 'meta_delete_permissions']);

export const providerProfileSchema = z.object({
  id: providerIdSchema,
  name: z.string().min(1),
  tokenUrl: urlTemplateSchema,
  authorizationUrl: urlTemplateSchema.nullable(),
  revocationUrl: urlTemplateSchema.nullable(),
  /** How `revocationUrl` is called; null exactly when `revocationUrl` is null. */
  revocation: revocationStyleSchema.nullable(),
  /** Where the account's id and label come from on connect. */
  account: accountIdentitySchema.nullable(),
  /** A cheap authenticated GET that proves an access token works. */
  healthCheckUrl: urlTemplateSchema.nullable(),
  clientAuth: clientAuthSchema,
  /**
   * How a token is renewed:
   * refresh_token: the standard RFC 6749 grant at `tokenUrl`;
   * fb_exchange_token: Meta's long-lived token exchange (Facebook Login), no refresh token;
   * ig_refresh_token: Instagram API with Instagram Login, `GET tokenUrl?grant_type=ig_refresh_token
   *   &access_token=<long-lived token>`; no refresh token and no client credentials, the
   *   long-lived access token itself is renewed (it must be at least 24 hours old and unexpired);
   * none: cannot be renewed without the user.
   */
  refreshGrant: z.enum(['refresh_token', 'fb_exchange_token', 'ig_refresh_token', 'none']),
  accessToken: z.object({
    /**
     * Documented lifetime, for answers without `expires_in`. null: a token that comes without
     * an expiry does not expire (lib/providers/lifetime.ts is the one reading of this).
     */
    lifetimeSeconds: z.number().int().positive().nullable(),
  }),
  refreshToken: refreshTokenPolicySchema,
  /** Scopes required to be issued a refresh token (e.g. `offline_access`). */
  offlineScopes: z.array(z.string().min(1)),
  /**
   * Authorization request parameters required to be issued a refresh token, for providers
   * that use a parameter rather than a scope (Google `access_type=offline`, Dropbox
   * `token_access_type=offline`).
   */
  offlineAuthorizationParams: z.record(z.string().min(1), z.string()),
  /**
   * Other authorization request parameters the provider documents as required or needed for
   * a connection that works (Notion `owner=user`, Atlassian `audience`), sent on every connect.
   */
  authorizationParams: z.record(z.string().min(1), z.string()),
  /**
   * The parameter that names the client in authorization and token requests: `client_id`
   * (RFC 6749), or TikTok's `client_key`.
   */
  clientIdParameter: z.enum(['client_id', 'client_key']),
  /** How the `scope` parameter joins scopes: a space (RFC 6749 §3.3), or a comma (Slack, TikTok). */
  scopeSeparator: z.enum([' ', ',']),
  /** Default scopes requested on connect, if the host app does not choose its own. */
  scopes: z.array(z.string().min(1)),
}).refine((profile) => (profile.revocation === null) === (profile.revocationUrl === null), {
  // A style without an endpoint cannot be called, and an endpoint without a style would be
  // called the wrong way: the disconnect flow reads both or neither.
  message: 'revocation must be null exactly when revocationUrl is null',
  path: ['revocation'],
});

export type ProviderProfile = z.infer<typeof providerProfileSchema>;
export type ClientAuth = z.infer<typeof clientAuthSchema>;
export type AccountIdentity = z.infer<typeof accountIdentitySchema>;
export type RevocationStyle = z.infer<typeof revocationStyleSchema>;

/** A provider ready for use: its profile and, when configured, its client credentials. */
export interface ResolvedProvider extends ProviderProfile {
  credentials: { clientId: string; clientSecret: string } | null;
  /** Where the definition came from, for operators reading errors. */
  source: 'builtin' | 'file' | 'builtin+file';
}
