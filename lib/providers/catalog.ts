import { entryFor } from './normalisers/types';
import type { ProviderProfile } from './schema';

/**
 * The built-in provider catalog, as data. Facts were checked against each provider's own
 * documentation; where a value is not documented, or sources disagree, the comment beside
 * it says so. Token responses carry `expires_in` for most providers and the engine should
 * prefer it: `accessToken.lifetimeSeconds` is only the fallback when a response omits it,
 * and null there means "a response without expires_in is a token that does not expire".
 *
 * Durations are in seconds.
 */

type DeepReadonly<T> = T extends readonly (infer U)[]
  ? readonly DeepReadonly<U>[]
  : T extends object
    ? { readonly [K in keyof T]: DeepReadonly<T[K]> }
    : T;

/** A catalog entry: a provider profile that nobody may mutate. */
export type BuiltinProviderProfile = DeepReadonly<ProviderProfile>;

const HOUR = 3600;
const DAY = 86400;

export const builtinProviders = {
  google: {
    id: 'google',
    name: 'Google',
    tokenUrl: 'https://oauth2.googleapis.com/token',
    authorizationUrl: 'https://accounts.google.com/o/oauth2/v2/auth',
    // RFC 7009 shaped: a form POST of `token`; revoking the refresh token ends the grant.
    // https://developers.google.com/identity/protocols/oauth2/web-server#tokenrevoke
    revocationUrl: 'https://oauth2.googleapis.com/revoke',
    revocation: 'rfc7009',
    // The discovery document's issuer is https://accounts.google.com; Google says legacy
    // implementations may still see `accounts.google.com`, which fails closed here (no
    // account is read rather than a wrong one). login_hint takes the email or the `sub`.
    // https://developers.google.com/identity/openid-connect/reference#discovery-document
    account: { source: 'id_token', issuer: 'https://accounts.google.com', labelClaim: 'email', loginHint: true },
    healthCheckUrl: 'https://openidconnect.googleapis.com/v1/userinfo',
    // Google accepts both; its guides send the secret in the body.
    clientAuth: 'client_secret_post',
    refreshGrant: 'refresh_token',
    accessToken: { lifetimeSeconds: HOUR },
    refreshToken: {
      // Issued only with access_type=offline; prompt=consent makes Google issue a new one
      // when the user has already consented (otherwise the second grant has none).
      issued: 'offline_scope',
      rotates: false,
      reuseGraceSeconds: null,
      // No fixed lifetime in production. Apps whose consent screen is External + "Testing"
      // get refresh tokens that expire 7 days after consent: a config problem, not the user's.
      lifetimeSeconds: null,
      // Revoked after six months unused (documented as "six months"; 180 days used here).
      idleLifetimeSeconds: 180 * DAY,
    },
    // Offline access is the access_type parameter, not a scope.
    offlineScopes: [],
    offlineAuthorizationParams: { access_type: 'offline', prompt: 'consent' },
    authorizationParams: {},
    clientIdParameter: 'client_id',
    scopeSeparator: ' ',
    scopes: ['openid', 'email', 'profile'],
    // Where these facts come from: https://developers.google.com/identity/protocols/oauth2/web-server#offline
  },

  microsoft: {
    id: 'microsoft',
    name: 'Microsoft',
    // `common` accepts work/school and personal accounts; single-tenant apps override it.
    tokenUrl: 'https://login.microsoftonline.com/common/oauth2/v2.0/token',
    authorizationUrl: 'https://login.microsoftonline.com/common/oauth2/v2.0/authorize',
    // No RFC 7009 endpoint; revocation is Graph `revokeSignInSessions` for a whole user.
    revocationUrl: null,
    revocation: null,
    // The multi-tenant issuer carries the user's tenant (`tid`; personal accounts have
    // 9188040d-6c67-4c5b-b112-36a304b66dad). `email` is optional in v2.0 ID tokens (absent for
    // many work accounts); `preferred_username` comes with the profile scope. login_hint is
    // documented as the username (UPN/email), not `sub`, so a reconnect sends none.
    // https://learn.microsoft.com/en-us/entra/identity-platform/id-token-claims-reference
    account: {
      source: 'id_token',
      issuer: 'https://login.microsoftonline.com/{tenantid}/v2.0',
      labelClaim: 'preferred_username',
      loginHint: false,
    },
    healthCheckUrl: 'https://graph.microsoft.com/v1.0/me',
    clientAuth: 'client_secret_post',
    refreshGrant: 'refresh_token',
    // Default access token lifetime varies (60-90 min); responses always carry expires_in.
    accessToken: { lifetimeSeconds: HOUR },
    refreshToken: {
      issued: 'offline_scope',
      // Each refresh returns a new refresh token, but Microsoft does not revoke the old one.
      rotates: false,
      reuseGraceSeconds: null,
      lifetimeSeconds: null,
      // 90 days, renewed by each refresh. Refresh tokens issued to a redirect URI registered
      // as "spa" expire 24 hours after sign-in and do not slide.
      idleLifetimeSeconds: 90 * DAY,
    },
    offlineScopes: ['offline_access'],
    offlineAuthorizationParams: {},
    authorizationParams: {},
    clientIdParameter: 'client_id',
    scopeSeparator: ' ',
    scopes: ['openid', 'profile', 'email', 'User.Read'],
    // Where these facts come from: https://learn.microsoft.com/en-us/entra/identity-platform/refresh-tokens
  },

  slack: {
    id: 'slack',
    name: 'Slack',
    tokenUrl: 'https://slack.com/api/oauth.v2.access',
    authorizationUrl: 'https://slack.com/oauth/v2/authorize',
    // auth.revoke takes the token to revoke as its bearer credential (not RFC 7009).
    // https://docs.slack.dev/reference/methods/auth.revoke
    revocationUrl: 'https://slack.com/api/auth.revoke',
    revocation: 'slack_auth_revoke',
    // oauth.v2.access names the installing user (`authed_user.id`) and the workspace
    // (`team.name`). https://docs.slack.dev/reference/methods/oauth.v2.access
    account: { source: 'token_response', idPath: ['authed_user', 'id'], labelPath: ['team', 'name'] },
    healthCheckUrl: 'https://slack.com/api/auth.test',
    clientAuth: 'client_secret_post',
    refreshGrant: 'refresh_token',
    // 12 hours (43200) with token rotation on, and then Slack sends expires_in; without
    // rotation tokens never expire and expires_in is absent.
    accessToken: { lifetimeSeconds: null },
    refreshToken: {
      // Only when the app owner enables token rotation.
      issued: 'optional',
      rotates: true,
      reuseGraceSeconds: null,
      lifetimeSeconds: null,
      idleLifetimeSeconds: null,
    },
    offlineScopes: [],
    offlineAuthorizationParams: {},
    authorizationParams: {},
    clientIdParameter: 'client_id',
    scopeSeparator: ',',
    // A bot scope (`scope`); user scopes would go in `user_scope`. Refresh tokens come only
    // when token rotation is turned on for the app (a one-way switch in its settings).
    // https://docs.slack.dev/authentication/installing-with-oauth
    scopes: ['users:read'],
    // Where these facts come from: https://docs.slack.dev/authentication/using-token-rotation
  },

  github: {
    id: 'github',
    name: 'GitHub',
    // Answers form-encoded unless sent `Accept: application/json`; errors come back as 200.
    tokenUrl: 'https://github.com/login/oauth/access_token',
    authorizationUrl: 'https://github.com/login/oauth/authorize',
    // REST `DELETE /applications/{client_id}/token`, basic auth, token in the JSON body.
    // https://docs.github.com/en/rest/apps/oauth-applications#delete-an-app-token
    revocationUrl: 'https://api.github.com/applications/{client_id}/token',
    revocation: 'github_delete_token',
    // The numeric `id` never changes; `login` can be renamed, so it is only the label.
    // https://docs.github.com/en/rest/users/users#get-the-authenticated-user
    account: { source: 'userinfo', url: 'https://api.github.com/user', idPath: ['id'], labelPath: ['login'] },
    healthCheckUrl: 'https://api.github.com/user',
    clientAuth: 'client_secret_post',
    refreshGrant: 'refresh_token',
    // GitHub App user tokens with expiration on: 8 hours (28800), sent as expires_in.
    // OAuth app tokens and GitHub Apps that opted out: no expiry and no expires_in.
    accessToken: { lifetimeSeconds: null },
    refreshToken: {
      // Only for GitHub Apps with user token expiration (on by default, can be opted out).
      issued: 'optional',
      rotates: true,
      reuseGraceSeconds: null,
      lifetimeSeconds: null,
      // "Six months", renewed with each refresh; GitHub sends refresh_token_expires_in
      // (15811200 seen in practice; the docs only say six months).
      idleLifetimeSeconds: 15811200,
    },
    offlineScopes: [],
    offlineAuthorizationParams: {},
    authorizationParams: {},
    clientIdParameter: 'client_id',
    scopeSeparator: ' ',
    scopes: ['read:user'],
    // Where these facts come from: https://docs.github.com/en/apps/creating-github-apps/authenticating-with-a-github-app/refreshing-user-access-tokens
  },

  hubspot: {
    id: 'hubspot',
    name: 'HubSpot',
    // v3 takes every parameter in the body; v1 (/oauth/v1/token) is deprecated on 2027-02-16.
    tokenUrl: 'https://api.hubapi.com/oauth/v3/token',
    authorizationUrl: 'https://app.hubspot.com/oauth/authorize',
    // v1 is `DELETE /oauth/v1/refresh_tokens/:token` (the token in the URL path, which would
    // land in logs); a v3 equivalent was not verified.
    revocationUrl: null,
    revocation: null,
    // The account is the HubSpot portal (hub). The token metadata endpoint puts the token in
    // the URL path (GET /oauth/v1/access-tokens/{token}) and v3 introspection is a POST with
    // the client secret, so neither is used; account-info is a plain bearer GET that needs
    // only the `oauth` scope and names the portal.
    // https://developers.hubspot.com/docs/api-reference/legacy/account/account-information/get-account-details
    account: { source: 'userinfo', url: 'https://api.hubapi.com/account-info/v3/details', idPath: ['portalId'], labelPath: null },
    // Assumed to need only the `oauth` scope; not verified.
    healthCheckUrl: 'https://api.hubapi.com/account-info/v3/details',
    clientAuth: 'client_secret_post',
    refreshGrant: 'refresh_token',
    accessToken: { lifetimeSeconds: 30 * 60 },
    refreshToken: {
      issued: 'always',
      rotates: false,
      reuseGraceSeconds: null,
      // Refresh tokens do not expire; they end when the app is uninstalled.
      lifetimeSeconds: null,
      idleLifetimeSeconds: null,
    },
    offlineScopes: [],
    offlineAuthorizationParams: {},
    authorizationParams: {},
    clientIdParameter: 'client_id',
    scopeSeparator: ' ',
    scopes: ['oauth'],
    // Where these facts come from: https://developers.hubspot.com/docs/api-reference/auth-oauth-v3/guide
  },

  salesforce: {
    id: 'salesforce',
    name: 'Salesforce',
    // Sandboxes use test.salesforce.com, My Domain orgs their own host: override per deployment.
    tokenUrl: 'https://login.salesforce.com/services/oauth2/token',
    authorizationUrl: 'https://login.salesforce.com/services/oauth2/authorize',
    // A form POST of `token` (RFC 7009); revoking the refresh token revokes its access tokens.
    // https://help.salesforce.com/s/articleView?id=sf.remoteaccess_revoke_token.htm
    revocationUrl: 'https://login.salesforce.com/services/oauth2/revoke',
    revocation: 'rfc7009',
    // The token answer's `id` is the identity URL .../id/<org id>/<user id>: one user of one org.
    // https://help.salesforce.com/s/articleView?id=sf.remoteaccess_oauth_web_server_flow.htm
    account: { source: 'token_response', idPath: ['id'], labelPath: null },
    healthCheckUrl: 'https://login.salesforce.com/services/oauth2/userinfo',
    clientAuth: 'client_secret_post',
    refreshGrant: 'refresh_token',
    // Token responses have no expires_in (only issued_at). The lifetime is the org's session
    // timeout, 2 hours by default but admin-configurable, so this is a guess to refresh by.
    accessToken: { lifetimeSeconds: 2 * HOUR },
    refreshToken: {
      issued: 'offline_scope',
      // Rotation is opt-in per connected app / external client app; store a returned one.
      rotates: false,
      reuseGraceSeconds: null,
      // Refresh token policy defaults to "valid until revoked"; admins can set an expiry.
      lifetimeSeconds: null,
      idleLifetimeSeconds: null,
    },
    // `offline_access` is accepted as a synonym of `refresh_token`.
    offlineScopes: ['refresh_token'],
    offlineAuthorizationParams: {},
    authorizationParams: {},
    clientIdParameter: 'client_id',
    scopeSeparator: ' ',
    scopes: ['api'],
    // Where these facts come from: https://help.salesforce.com/s/articleView?id=sf.remoteaccess_oauth_refresh_token_flow.htm
  },

  notion: {
    id: 'notion',
    name: 'Notion',
    tokenUrl: 'https://api.notion.com/v1/oauth/token',
    authorizationUrl: 'https://api.notion.com/v1/oauth/authorize',
    // POST /v1/oauth/revoke exists, but takes a JSON body and a required Notion-Version
    // header: not RFC 7009 shaped, and no style here sends that, so a disconnect only erases
    // the tokens here. https://developers.notion.com/reference/revoke-token
    revocationUrl: null,
    revocation: null,
    // The token answer names the authorizing user (`owner.user.id`, for owner=user grants)
    // and the workspace (`workspace_name`). https://developers.notion.com/reference/create-a-token
    account: { source: 'token_response', idPath: ['owner', 'user', 'id'], labelPath: ['workspace_name'] },
    // Every Notion request needs a Notion-Version header.
    healthCheckUrl: 'https://api.notion.com/v1/users/me',
    clientAuth: 'client_secret_basic',
    refreshGrant: 'refresh_token',
    // Token responses carry no expires_in and no access token lifetime is documented.
    accessToken: { lifetimeSeconds: null },
    refreshToken: {
      // Notion now returns refresh_token and documents a refresh grant that returns a new
      // access token and a new refresh token. Whether the old one is revoked at once, and
      // any refresh token lifetime, are not documented.
      issued: 'always',
      rotates: true,
      reuseGraceSeconds: null,
      lifetimeSeconds: null,
      idleLifetimeSeconds: null,
    },
    offlineScopes: [],
    offlineAuthorizationParams: {},
    // owner=user is required on Notion's authorization URL (public integrations).
    // https://developers.notion.com/reference/authorization
    authorizationParams: { owner: 'user' },
    clientIdParameter: 'client_id',
    scopeSeparator: ' ',
    // Notion has no OAuth scopes; users pick the pages to share.
    scopes: [],
    // Where these facts come from: https://developers.notion.com/reference/refresh-a-token
  },

  dropbox: {
    id: 'dropbox',
    name: 'Dropbox',
    tokenUrl: 'https://api.dropboxapi.com/oauth2/token',
    authorizationUrl: 'https://www.dropbox.com/oauth2/authorize',
    // POST https://api.dropboxapi.com/2/auth/token/revoke is an RPC call authenticated with
    // the access token itself and no body (it also disables the refresh token): not RFC 7009
    // shaped, and no style here sends that, so a disconnect only erases the tokens here.
    // https://www.dropbox.com/developers/documentation/http/documentation#auth-token-revoke
    revocationUrl: null,
    revocation: null,
    // The token answer carries `account_id` (and the legacy `uid`), no name.
    // https://www.dropbox.com/developers/documentation/http/documentation#oauth2-token
    account: { source: 'token_response', idPath: ['account_id'], labelPath: null },
    // Dropbox's cheap calls (users/get_current_account, check/user) are POST-only RPC.
    healthCheckUrl: null,
    clientAuth: 'client_secret_post',
    refreshGrant: 'refresh_token',
    // "Short-lived": about 4 hours; responses carry expires_in.
    accessToken: { lifetimeSeconds: 4 * HOUR },
    refreshToken: {
      issued: 'offline_scope',
      rotates: false,
      reuseGraceSeconds: null,
      // Offline refresh tokens do not expire; they end when the user revokes the app.
      lifetimeSeconds: null,
      idleLifetimeSeconds: null,
    },
    offlineScopes: [],
    offlineAuthorizationParams: { token_access_type: 'offline' },
    authorizationParams: {},
    clientIdParameter: 'client_id',
    scopeSeparator: ' ',
    scopes: ['account_info.read'],
    // Where these facts come from: https://dropbox.tech/developers/using-oauth-2-0-with-offline-access
  },

  facebook: {
    id: 'facebook',
    name: 'Facebook',
    // Unversioned calls use the oldest Graph version the app may call. The exchange is a GET
    // with client_id, client_secret and fb_exchange_token in the query (Meta's format).
    tokenUrl: 'https://graph.facebook.com/oauth/access_token',
    authorizationUrl: 'https://www.facebook.com/dialog/oauth',
    // `DELETE /me/permissions` with the user token removes the app's grant.
    // https://developers.facebook.com/docs/facebook-login/guides/permissions/request-revoke
    revocationUrl: 'https://graph.facebook.com/me/permissions',
    revocation: 'meta_delete_permissions',
    // The app-scoped user id and name; /me returns only the fields asked for.
    // https://developers.facebook.com/docs/graph-api/overview#me
    account: { source: 'userinfo', url: 'https://graph.facebook.com/me?fields=id,name', idPath: ['id'], labelPath: ['name'] },
    healthCheckUrl: 'https://graph.facebook.com/me',
    clientAuth: 'client_secret_post',
    refreshGrant: 'fb_exchange_token',
    // Long-lived user tokens last "about 60 days"; the exchange returns expires_in.
    // Whether exchanging a still-valid long-lived token extends it is not documented for
    // server-side apps (the mobile SDKs extend tokens of people active in the last 90 days).
    accessToken: { lifetimeSeconds: 60 * DAY },
    refreshToken: {
      issued: 'never',
      rotates: false,
      reuseGraceSeconds: null,
      lifetimeSeconds: null,
      idleLifetimeSeconds: null,
    },
    offlineScopes: [],
    offlineAuthorizationParams: {},
    authorizationParams: {},
    clientIdParameter: 'client_id',
    scopeSeparator: ' ',
    scopes: ['public_profile', 'email'],
    // Where these facts come from: https://developers.facebook.com/docs/facebook-login/guides/access-tokens/get-long-lived
  },

  instagram: {
    id: 'instagram',
    name: 'Instagram',
    // Instagram API with Instagram Login: long-lived tokens are renewed here, by a GET with
    // grant_type=ig_refresh_token and the token itself; no client credentials are sent.
    // (Instagram accounts reached through Facebook Login use the facebook profile instead.)
    tokenUrl: 'https://graph.instagram.com/refresh_access_token',
    authorizationUrl: 'https://www.instagram.com/oauth/authorize',
    // No revocation endpoint is documented for Instagram Login.
    revocationUrl: null,
    revocation: null,
    // The code exchange answers with the short-lived token, the Instagram-scoped `user_id` and
    // the permissions (no name). Meta's example nests them in `data[0]`; a nested answer reads
    // as no account (null) rather than a wrong one.
    // https://developers.facebook.com/docs/instagram-platform/instagram-api-with-instagram-login/business-login
    account: { source: 'token_response', idPath: ['user_id'], labelPath: null },
    healthCheckUrl: 'https://graph.instagram.com/me',
    // Used only for the initial code exchange (api.instagram.com/oauth/access_token, form body).
    clientAuth: 'client_secret_post',
    refreshGrant: 'ig_refresh_token',
    // Long-lived tokens last 60 days; a refresh needs a token at least 24 hours old and
    // unexpired, and returns a token valid 60 days from the refresh.
    accessToken: { lifetimeSeconds: 60 * DAY },
    refreshToken: {
      issued: 'never',
      rotates: false,
      reuseGraceSeconds: null,
      lifetimeSeconds: null,
      idleLifetimeSeconds: null,
    },
    offlineScopes: [],
    offlineAuthorizationParams: {},
    authorizationParams: {},
    clientIdParameter: 'client_id',
    scopeSeparator: ' ',
    scopes: ['instagram_business_basic'],
    // Where these facts come from: https://developers.facebook.com/docs/instagram-platform/reference/refresh_access_token
  },

  linkedin: {
    id: 'linkedin',
    name: 'LinkedIn',
    tokenUrl: 'https://www.linkedin.com/oauth/v2/accessToken',
    authorizationUrl: 'https://www.linkedin.com/oauth/v2/authorization',
    // Form POST of client_id, client_secret and token (RFC 7009 with client_secret_post).
    // https://learn.microsoft.com/en-us/linkedin/shared/authentication/revoke-token
    revocationUrl: 'https://www.linkedin.com/oauth/v2/revoke',
    revocation: 'rfc7009',
    // The issuer of https://www.linkedin.com/oauth/.well-known/openid-configuration; LinkedIn
    // documents no login_hint. https://learn.microsoft.com/en-us/linkedin/consumer/integrations/self-serve/sign-in-with-linkedin-v2
    account: { source: 'id_token', issuer: 'https://www.linkedin.com/oauth', labelClaim: 'email', loginHint: false },
    healthCheckUrl: 'https://api.linkedin.com/v2/userinfo',
    clientAuth: 'client_secret_post',
    refreshGrant: 'refresh_token',
    accessToken: { lifetimeSeconds: 60 * DAY },
    refreshToken: {
      // Programmatic refresh tokens only for approved partners (Marketing Developer Platform);
      // other apps get a 60-day access token and must send the user through OAuth again.
      issued: 'optional',
      rotates: false,
      reuseGraceSeconds: null,
      // 365 days from the first authorization; refreshing does not extend it.
      lifetimeSeconds: 365 * DAY,
      idleLifetimeSeconds: null,
    },
    offlineScopes: [],
    offlineAuthorizationParams: {},
    authorizationParams: {},
    clientIdParameter: 'client_id',
    scopeSeparator: ' ',
    scopes: ['openid', 'profile', 'email'],
    // Where these facts come from: https://learn.microsoft.com/en-us/linkedin/shared/authentication/programmatic-refresh-tokens
  },

  tiktok: {
    id: 'tiktok',
    name: 'TikTok',
    // Takes `client_key` (not client_id) with client_secret in the form body: clientIdParameter.
    tokenUrl: 'https://open.tiktokapis.com/v2/oauth/token/',
    // TikTok's authorize URL also names the client `client_key` and takes comma-separated
    // scopes (clientIdParameter, scopeSeparator). https://developers.tiktok.com/doc/login-kit-web
    authorizationUrl: 'https://www.tiktok.com/v2/auth/authorize/',
    // POST /v2/oauth/revoke/ takes client_key, client_secret and token: RFC 7009 but for the
    // client_key name, which oauth4webapi's revocationRequest does not send, so no style fits
    // and a disconnect only erases the tokens here.
    // https://developers.tiktok.com/docs/en/oauth-revoke-a-user-access-token
    revocationUrl: null,
    revocation: null,
    // The token answer names the user by `open_id` (per app), no name.
    account: { source: 'token_response', idPath: ['open_id'], labelPath: null },
    healthCheckUrl: 'https://open.tiktokapis.com/v2/user/info/?fields=open_id',
    clientAuth: 'client_secret_post',
    refreshGrant: 'refresh_token',
    // Sources disagree: the current token guides say 2 hours, the older v2 token reference
    // says 24 hours. Responses carry expires_in; 2 hours is the safer fallback.
    accessToken: { lifetimeSeconds: 2 * HOUR },
    refreshToken: {
      issued: 'always',
      // The current guide: each refresh returns a new refresh token and the previous one
      // stops working. Older pages did not say.
      rotates: true,
      reuseGraceSeconds: null,
      lifetimeSeconds: null,
      // Current guide: 180 days from issue (older page: 365 days from first issue).
      // Responses carry refresh_expires_in, which should win.
      idleLifetimeSeconds: 180 * DAY,
    },
    offlineScopes: [],
    offlineAuthorizationParams: {},
    authorizationParams: {},
    clientIdParameter: 'client_key',
    scopeSeparator: ',',
    scopes: ['user.info.basic'],
    // Where these facts come from: https://developers.tiktok.com/doc/oauth-user-access-token-management
  },

  twitter: {
    id: 'twitter',
    name: 'X (Twitter)',
    tokenUrl: 'https://api.x.com/2/oauth2/token',
    authorizationUrl: 'https://x.com/i/oauth2/authorize',
    // RFC 7009: `token` + `token_type_hint`, HTTP Basic for confidential clients.
    revocationUrl: 'https://api.x.com/2/oauth2/revoke',
    revocation: 'rfc7009',
    // Needs tweet.read and users.read, the default scopes.
    // https://docs.x.com/x-api/users/get-my-user
    account: { source: 'userinfo', url: 'https://api.x.com/2/users/me', idPath: ['data', 'id'], labelPath: ['data', 'username'] },
    healthCheckUrl: 'https://api.x.com/2/users/me',
    // Confidential clients authenticate with HTTP Basic.
    clientAuth: 'client_secret_basic',
    refreshGrant: 'refresh_token',
    accessToken: { lifetimeSeconds: 2 * HOUR },
    refreshToken: {
      issued: 'offline_scope',
      // Not stated in X's docs; refresh responses carry a new refresh token and reusing the
      // old one is widely reported to fail, so it is treated as rotating.
      rotates: true,
      reuseGraceSeconds: null,
      // No refresh token lifetime is documented.
      lifetimeSeconds: null,
      idleLifetimeSeconds: null,
    },
    offlineScopes: ['offline.access'],
    offlineAuthorizationParams: {},
    authorizationParams: {},
    clientIdParameter: 'client_id',
    scopeSeparator: ' ',
    scopes: ['tweet.read', 'users.read'],
    // Where these facts come from: https://docs.x.com/fundamentals/authentication/oauth-2-0/authorization-code
  },

  xero: {
    id: 'xero',
    name: 'Xero',
    tokenUrl: 'https://identity.xero.com/connect/token',
    authorizationUrl: 'https://login.xero.com/identity/connect/authorize',
    // RFC 7009 with HTTP Basic; revoking the refresh token removes every tenant connection.
    // https://developer.xero.com/documentation/guides/oauth2/auth-flow
    revocationUrl: 'https://identity.xero.com/connect/revocation',
    revocation: 'rfc7009',
    // The issuer of https://identity.xero.com/.well-known/openid-configuration; no login_hint
    // is documented. https://developer.xero.com/documentation/guides/oauth2/sign-in
    account: { source: 'id_token', issuer: 'https://identity.xero.com', labelClaim: 'email', loginHint: false },
    healthCheckUrl: 'https://api.xero.com/connections',
    clientAuth: 'client_secret_basic',
    refreshGrant: 'refresh_token',
    accessToken: { lifetimeSeconds: 30 * 60 },
    refreshToken: {
      issued: 'offline_scope',
      rotates: true,
      // The previous refresh token may be retried for 30 minutes if a response was lost.
      reuseGraceSeconds: 30 * 60,
      lifetimeSeconds: null,
      // Unused refresh tokens expire after 60 days.
      idleLifetimeSeconds: 60 * DAY,
    },
    offlineScopes: ['offline_access'],
    offlineAuthorizationParams: {},
    authorizationParams: {},
    clientIdParameter: 'client_id',
    scopeSeparator: ' ',
    scopes: ['openid', 'profile', 'email'],
    // Where these facts come from: https://developer.xero.com/faq/oauth2
  },

  quickbooks: {
    id: 'quickbooks',
    name: 'QuickBooks Online',
    tokenUrl: 'https://oauth.platform.intuit.com/oauth2/v1/tokens/bearer',
    authorizationUrl: 'https://appcenter.intuit.com/connect/oauth2',
    // Intuit's OpenID discovery document publishes this as its `revocation_endpoint` (RFC 8414:
    // an RFC 7009 endpoint), with HTTP Basic. Intuit's guide shows a JSON body; that the form
    // body of RFC 7009 is accepted is what the discovery document implies, not what the guide
    // shows. A refused revocation is recorded and the local disconnect still happens.
    // https://developer.api.intuit.com/.well-known/openid_configuration
    revocationUrl: 'https://developer.api.intuit.com/v2/oauth2/tokens/revoke',
    revocation: 'rfc7009',
    // The redirect back names the company: `realmId` (the QuickBooks company id).
    // https://developer.intuit.com/app/developer/qbo/docs/develop/authentication-and-authorization/oauth-2.0
    account: { source: 'callback_param', param: 'realmId', labelPath: null },
    // Needs the openid scope; without it there is no cheap company-independent GET.
    healthCheckUrl: 'https://accounts.platform.intuit.com/v1/openid_connect/userinfo',
    clientAuth: 'client_secret_basic',
    refreshGrant: 'refresh_token',
    accessToken: { lifetimeSeconds: HOUR },
    refreshToken: {
      issued: 'always',
      // The returned refresh token value changes periodically (about every 24 hours);
      // always keep the latest. A reuse grace for the old value is not documented.
      rotates: true,
      reuseGraceSeconds: null,
      // Hard cap of five years (Intuit, 2025: x_refresh_token_hard_expires_in).
      lifetimeSeconds: 5 * 365 * DAY,
      // Expires if not used for 100 days.
      idleLifetimeSeconds: 100 * DAY,
    },
    offlineScopes: [],
    offlineAuthorizationParams: {},
    authorizationParams: {},
    clientIdParameter: 'client_id',
    scopeSeparator: ' ',
    scopes: ['com.intuit.quickbooks.accounting'],
    // Where these facts come from: https://developer.intuit.com/app/developer/qbo/docs/develop/authentication-and-authorization/faq
  },

  zoom: {
    id: 'zoom',
    name: 'Zoom',
    tokenUrl: 'https://zoom.us/oauth/token',
    authorizationUrl: 'https://zoom.us/oauth/authorize',
    // A form POST of `token` with HTTP Basic (RFC 7009 shaped; answers {"status":"success"}).
    // https://developers.zoom.us/docs/integrations/oauth/#revoking-an-access-token
    revocationUrl: 'https://zoom.us/oauth/revoke',
    revocation: 'rfc7009',
    // GET /users/me, the user-level form of GET /users/{userId}. https://developers.zoom.us/docs/api/users/
    account: { source: 'userinfo', url: 'https://api.zoom.us/v2/users/me', idPath: ['id'], labelPath: ['email'] },
    healthCheckUrl: 'https://api.zoom.us/v2/users/me',
    clientAuth: 'client_secret_basic',
    refreshGrant: 'refresh_token',
    accessToken: { lifetimeSeconds: HOUR },
    refreshToken: {
      issued: 'always',
      // Only the latest refresh token works; a prior one answers "Invalid Token!".
      rotates: true,
      reuseGraceSeconds: null,
      // Zoom developer support: refresh tokens expire after 15 years (older docs said 90 days).
      lifetimeSeconds: 15 * 365 * DAY,
      idleLifetimeSeconds: null,
    },
    offlineScopes: [],
    offlineAuthorizationParams: {},
    authorizationParams: {},
    clientIdParameter: 'client_id',
    scopeSeparator: ' ',
    // Scopes are chosen on the Zoom app itself; the authorize request may omit them.
    scopes: [],
    // Where these facts come from: https://devsupport.zoom.us/hc/en-us/articles/360060332931-Extending-the-expiration-for-an-OAuth-access-token
  },

  atlassian: {
    id: 'atlassian',
    name: 'Atlassian',
    // Atlassian's examples send a JSON body with client_id and client_secret.
    tokenUrl: 'https://auth.atlassian.com/oauth/token',
    authorizationUrl: 'https://auth.atlassian.com/authorize',
    // No token revocation endpoint for OAuth 2.0 (3LO) apps.
    revocationUrl: null,
    revocation: null,
    // The User Identity API (scope read:me, the default).
    // https://developer.atlassian.com/cloud/jira/platform/oauth-2-3lo-apps/
    account: { source: 'userinfo', url: 'https://api.atlassian.com/me', idPath: ['account_id'], labelPath: ['email'] },
    healthCheckUrl: 'https://api.atlassian.com/oauth/token/accessible-resources',
    clientAuth: 'client_secret_post',
    refreshGrant: 'refresh_token',
    accessToken: { lifetimeSeconds: HOUR },
    refreshToken: {
      issued: 'offline_scope',
      rotates: true,
      // A 10-minute reuse leeway was announced by Atlassian staff on the developer
      // community, not in the reference docs.
      reuseGraceSeconds: 10 * 60,
      // Absolute 365 days from the first authorization, however often it is refreshed.
      lifetimeSeconds: 365 * DAY,
      // Expires after 90 days without a refresh.
      idleLifetimeSeconds: 90 * DAY,
    },
    offlineScopes: ['offline_access'],
    offlineAuthorizationParams: {},
    // The authorization URL needs audience=api.atlassian.com and prompt=consent on every
    // connect, offline or not. https://developer.atlassian.com/cloud/oauth/getting-started/implementing-oauth-3lo
    authorizationParams: { audience: 'api.atlassian.com', prompt: 'consent' },
    clientIdParameter: 'client_id',
    scopeSeparator: ' ',
    scopes: ['read:me'],
    // Where these facts come from: https://developer.atlassian.com/cloud/oauth/getting-started/refresh-tokens
  },

  shopify: {
    id: 'shopify',
    name: 'Shopify',
    // {shop} is the shop's myshopify.com subdomain.
    tokenUrl: 'https://{shop}.myshopify.com/admin/oauth/access_token',
    authorizationUrl: 'https://{shop}.myshopify.com/admin/oauth/authorize',
    // Uninstalling the app (GraphQL appUninstall) is the only revocation.
    revocationUrl: null,
    revocation: null,
    // The account is the shop, which is the connection's own {shop}: the code is exchanged at
    // that shop, so a grant cannot belong to another store. Offline tokens name no user.
    account: null,
    // Unversioned GET; Shopify reads the token from X-Shopify-Access-Token, not Bearer.
    healthCheckUrl: 'https://{shop}.myshopify.com/admin/oauth/access_scopes.json',
    clientAuth: 'client_secret_post',
    refreshGrant: 'refresh_token',
    // Non-expiring offline tokens have no expires_in; expiring ones last 60 minutes and
    // send expires_in=3600.
    accessToken: { lifetimeSeconds: null },
    refreshToken: {
      // Only for expiring offline tokens (request with expiring=1). Required for public apps
      // created from 2026-04-01 and for all public apps from 2027-01-01.
      issued: 'optional',
      // Replaced on every refresh. Since 2026-08 Shopify keeps the previous refresh token
      // usable until the app uses its replacement; no time window is given.
      rotates: true,
      reuseGraceSeconds: null,
      lifetimeSeconds: null,
      // 90 days, renewed by each refresh.
      idleLifetimeSeconds: 90 * DAY,
    },
    offlineScopes: [],
    offlineAuthorizationParams: {},
    authorizationParams: {},
    clientIdParameter: 'client_id',
    scopeSeparator: ' ',
    scopes: ['read_products'],
    // Where these facts come from: https://shopify.dev/docs/apps/build/authentication-authorization/access-tokens/offline-access-tokens
  },

  airtable: {
    id: 'airtable',
    name: 'Airtable',
    tokenUrl: 'https://airtable.com/oauth2/v1/token',
    authorizationUrl: 'https://airtable.com/oauth2/v1/authorize',
    // No token revocation endpoint is documented.
    revocationUrl: null,
    revocation: null,
    // whoami answers { id, scopes } and `email` only with the user.email:read scope.
    // https://airtable.com/developers/web/api/get-user-id-scopes
    account: { source: 'userinfo', url: 'https://api.airtable.com/v0/meta/whoami', idPath: ['id'], labelPath: ['email'] },
    healthCheckUrl: 'https://api.airtable.com/v0/meta/whoami',
    // Basic auth when the integration has a client secret.
    clientAuth: 'client_secret_basic',
    refreshGrant: 'refresh_token',
    // 60 minutes; responses carry expires_in and refresh_expires_in.
    accessToken: { lifetimeSeconds: HOUR },
    refreshToken: {
      issued: 'always',
      rotates: true,
      reuseGraceSeconds: null,
      lifetimeSeconds: null,
      // 60 days, renewed by each refresh (Airtable's reference sends refresh_expires_in;
      // the 60-day figure is from secondary sources).
      idleLifetimeSeconds: 60 * DAY,
    },
    offlineScopes: [],
    offlineAuthorizationParams: {},
    authorizationParams: {},
    clientIdParameter: 'client_id',
    scopeSeparator: ' ',
    scopes: ['data.records:read', 'schema.bases:read'],
    // Where these facts come from: https://airtable.com/developers/web/api/oauth-reference
  },

  discord: {
    id: 'discord',
    name: 'Discord',
    tokenUrl: 'https://discord.com/api/oauth2/token',
    authorizationUrl: 'https://discord.com/oauth2/authorize',
    // RFC 7009: `token` + `token_type_hint`, client credentials by HTTP Basic.
    revocationUrl: 'https://discord.com/api/oauth2/token/revoke',
    revocation: 'rfc7009',
    // Needs the identify scope (the default). https://discord.com/developers/docs/resources/user#get-current-user
    account: { source: 'userinfo', url: 'https://discord.com/api/users/@me', idPath: ['id'], labelPath: ['username'] },
    healthCheckUrl: 'https://discord.com/api/users/@me',
    clientAuth: 'client_secret_basic',
    refreshGrant: 'refresh_token',
    accessToken: { lifetimeSeconds: 7 * DAY },
    refreshToken: {
      issued: 'always',
      // Refresh responses carry a new refresh token; whether the old one stops working is
      // not documented, so it is treated as rotating.
      rotates: true,
      reuseGraceSeconds: null,
      lifetimeSeconds: null,
      idleLifetimeSeconds: null,
    },
    offlineScopes: [],
    offlineAuthorizationParams: {},
    authorizationParams: {},
    clientIdParameter: 'client_id',
    scopeSeparator: ' ',
    scopes: ['identify'],
    // Where these facts come from: https://discord.com/developers/docs/topics/oauth2
  },
} as const satisfies Record<string, BuiltinProviderProfile>;

export type BuiltinProviderId = keyof typeof builtinProviders;

export function isBuiltinProviderId(id: string): id is BuiltinProviderId {
  return entryFor<BuiltinProviderProfile>(builtinProviders, id) !== undefined;
}

/** The built-in provider ids, sorted. */
export function listBuiltinProviderIds(): BuiltinProviderId[] {
  return (Object.keys(builtinProviders) as BuiltinProviderId[]).sort();
}
