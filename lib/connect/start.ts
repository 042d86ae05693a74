import { randomUUID } from 'node:crypto';
import * as oauth from 'oauth4webapi';
import type { SessionUser } from '../auth/session';
import { asUser } from '../db/user-context';
import { insertConnectSession } from '../db/connect-sessions';
import { canManageIntegration, canManageOrganizationIntegrations, findConnectTarget } from '../db/integrations';
import { isLoopbackHost } from '../net/addresses';
import { fillTemplate } from '../refresh/provider-call';
import type { ResolvedProvider } from '../providers/schema';
import { redirectUri, verifierContext, type ConnectDeps } from './deps';
import { ConnectError } from './errors';
import { checkReturnTo } from './return-to';
import { bindingCookie, randomToken, sha256Hex, SESSION_SECONDS } from './session-cookie';

/**
 * `GET /connect/{provider}`: checks who may, stores the connect session (state hashed, PKCE
 * verifier sealed, nonce for OpenID providers, ten minutes, bound to this browser) and
 * answers where to send the browser, with the cookie that binds it.
 */

export interface StartInput {
  user: SessionUser;
  provider: string;
  /** Reconnect this connection. */
  integrationId?: string | null;
  /** A new connection in this organization (neither: the user's own, outside any organization). */
  organizationId?: string | null;
  returnTo?: string | null;
  /** Query parameters a provider's URLs need (e.g. Shopify's `shop`), for a new connection. */
  parameters?: Record<string, string>;
}

export interface StartResult {
  /** The provider's authorization URL: holds state and nonce, so it is never logged. */
  location: string;
  setCookie: string;
}

/** The provider a connect can use, or a ConnectError naming why not. */
export function connectableProvider(deps: Pick<ConnectDeps, 'providers'>, id: string): ResolvedProvider & { authorizationUrl: string; credentials: NonNullable<ResolvedProvider['credentials']> } {
  const provider = /^[a-z][a-z0-9_]{1,39}$/.test(id) ? deps.providers.get(id) : undefined;
  if (!provider) throw new ConnectError('unknown_provider', `There is no provider called "${id.slice(0, 40)}" here.`);
  if (!provider.authorizationUrl) {
    throw new ConnectError('no_authorization_url', `${provider.name} cannot be connected from here: it has no authorization endpoint.`);
  }
  if (!provider.credentials) {
    throw new ConnectError('no_credentials', `${provider.name} is not set up on this deployment: its client id and secret are missing.`);
  }
  return provider as ResolvedProvider & { authorizationUrl: string; credentials: NonNullable<ResolvedProvider['credentials']> };
}

/** The names `{name}` of a provider's URL templates. */
function templateNames(provider: ResolvedProvider): string[] {
  const urls = [provider.authorizationUrl, provider.tokenUrl, provider.account?.source === 'userinfo' ? provider.account.url : null];
  return [...new Set(urls.flatMap((url) => [...(url ?? '').matchAll(/\{([a-z_]+)\}/g)].map((match) => match[1]!)))].filter((name) => name !== 'tenantid');
}

export async function startConnect(deps: ConnectDeps, input: StartInput): Promise<StartResult> {
  const returnTo = checkReturnTo(input.returnTo);
  const provider = connectableProvider(deps, input.provider);
  const notFound = () => new ConnectError('not_found', 'There is no such connection, or it is not yours to manage.');

  let integrationId: string | null = null;
  let organizationId: string | null = input.organizationId ?? null;
  let loginHint: string | null = null;
  let parameters: Record<string, string> = {};
  if (input.integrationId) {
    const id = input.integrationId;
    const allowed = await asUser(deps.db, input.user.id, (tx) => canManageIntegration(tx, id));
    const target = allowed ? await findConnectTarget(deps.db, id) : null;
    if (!target) throw notFound();
    if (target.provider !== provider.id) throw new ConnectError('provider_mismatch', `This connection is to another provider, not ${provider.name}.`);
    integrationId = target.id;
    organizationId = target.organization_id;
    if (provider.account?.source === 'id_token' && provider.account.loginHint && target.provider_account_id) loginHint = target.provider_account_id;
    for (const name of templateNames(provider)) {
      const value = target.metadata[name];
      if (typeof value === 'string') parameters[name] = value;
    }
  } else {
    if (organizationId) {
      const org = organizationId;
      if (!(await asUser(deps.db, input.user.id, (tx) => canManageOrganizationIntegrations(tx, org)))) throw notFound();
    }
    parameters = Object.fromEntries(templateNames(provider).flatMap((name) => (input.parameters?.[name] ? [[name, input.parameters[name]!]] : [])));
  }

  const authorizationUrl = fillTemplate(provider.authorizationUrl, parameters);
  if (!authorizationUrl) {
    throw new ConnectError('missing_connection_parameter', `${provider.name} needs a parameter for this connection (${templateNames(provider).join(', ')}).`);
  }
  const url = new URL(authorizationUrl);
  if (url.protocol !== 'https:' && !(url.protocol === 'http:' && isLoopbackHost(url.hostname))) {
    throw new ConnectError('insecure_url', `${provider.name}'s authorization endpoint is not https.`);
  }

  const state = oauth.generateRandomState();
  const stateHash = sha256Hex(state);
  const verifier = oauth.generateRandomCodeVerifier();
  const nonce = provider.account?.source === 'id_token' ? oauth.generateRandomNonce() : null;
  const binding = randomToken();
  const sessionId = randomUUID();
  await insertConnectSession(deps.db, {
    id: sessionId,
    stateHash,
    userId: input.user.id,
    organizationId,
    integrationId,
    provider: provider.id,
    codeVerifierEncrypted: deps.keyRing.encrypt(verifier, verifierContext(sessionId)),
    nonce,
    returnTo,
    browserBindingHash: sha256Hex(binding),
    metadata: parameters,
    lifetimeSeconds: SESSION_SECONDS,
  });

  const scopes = [...new Set([...provider.scopes, ...provider.offlineScopes])];
  const query = url.searchParams;
  for (const [key, value] of Object.entries({ ...provider.authorizationParams, ...provider.offlineAuthorizationParams })) query.set(key, value);
  query.set('response_type', 'code');
  query.set(provider.clientIdParameter, provider.credentials.clientId);
  query.set('redirect_uri', redirectUri(deps.appUrl));
  if (scopes.length > 0) query.set('scope', scopes.join(provider.scopeSeparator));
  query.set('state', state);
  query.set('code_challenge', await oauth.calculatePKCECodeChallenge(verifier));
  query.set('code_challenge_method', 'S256');
  if (nonce) query.set('nonce', nonce);
  if (loginHint) query.set('login_hint', loginHint);
  return { location: url.href, setCookie: bindingCookie(stateHash, binding, deps.appUrl) };
}
