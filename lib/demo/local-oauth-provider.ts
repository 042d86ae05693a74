import { generateKeyPairSync, randomBytes, randomUUID } from 'node:crypto';
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { dirname } from 'node:path';
import Provider, { interactionPolicy, type Adapter, type AdapterPayload, type Configuration, type JWK } from 'oidc-provider';
import { z } from 'zod';
import { handleInteraction, interactionUrl } from './interaction-pages';

/**
 * A real OAuth 2.0 / OpenID server (oidc-provider 9, a certified implementation) running
 * in-process on 127.0.0.1. `npm run demo` points its providers at it, and integration tests
 * use it as the genuine article: rotating refresh tokens, `invalid_grant` on reuse, grant
 * revocation, real client authentication.
 */

export interface LocalOAuthClient {
  clientId: string;
  clientSecret: string;
  auth: 'client_secret_basic' | 'client_secret_post';
}

export interface LocalOAuthProviderOptions {
  /** 0 (the default) picks a free port. The server listens on 127.0.0.1 only. */
  port?: number;
  /** Access-token lifetime; default 300 seconds. */
  accessTokenTtlSeconds?: number;
  /** Lifetime of each refresh token (each rotation starts a new one); default 14 days. */
  refreshTokenTtlSeconds?: number;
  clients: LocalOAuthClient[];
  /** When set, grants and tokens persist in this JSON file across restarts (the demo); else memory only. */
  persistFile?: string;
  /** Redirect URIs every client may use (the app's `${APP_URL}/api/connect/callback`); default one unused loopback URI. */
  redirectUris?: string[];
  /**
   * Login and consent pages (lib/demo/interaction-pages.ts: any login name is the account id,
   * any password passes): the authorization-code flow for the demo and the tests. Off by default.
   */
  loginPages?: boolean;
  /**
   * Scopes the server grants besides openid, offline_access and email (e.g. the demo
   * providers' catalog scopes); oidc-provider leaves a scope it does not know out of the grant.
   */
  scopes?: string[];
}

export interface MintedTokens {
  accessToken: string;
  refreshToken: string;
  expiresIn: number;
  grantId: string;
}

export interface LocalOAuthProviderStats {
  /** Successful `refresh_token` grants at the token endpoint. */
  refreshSuccess: number;
  /** Failed `refresh_token` grants (e.g. `invalid_grant` for a reused rotated token). */
  refreshErrors: number;
  /** Every token-endpoint error by its OAuth `error` code, whatever the grant type. */
  errorsByCode: Record<string, number>;
}

export interface LocalOAuthProvider {
  /** e.g. http://127.0.0.1:PORT; also the `iss` of the ID tokens it issues. */
  issuer: string;
  tokenUrl: string;
  /** Where the authorization-code flow starts (login and consent pages with `loginPages`). */
  authorizationUrl: string;
  /** RFC 7009 token revocation. */
  revocationUrl: string;
  /** OpenID Connect userinfo: an authenticated GET a health check can call (Test connection). */
  userinfoUrl: string;
  /** Creates a grant and returns fresh tokens for it, as if the user had just authorized. */
  mintTokens(input: { accountId: string; clientId: string; scope?: string }): Promise<MintedTokens>;
  /** Revokes the whole grant (the user revoked access): its refresh tokens then answer invalid_grant. */
  revokeGrant(grantId: string): Promise<void>;
  stats(): LocalOAuthProviderStats;
  close(): Promise<void>;
}

const BASE_SCOPE = 'openid offline_access';
const DEFAULT_ACCESS_TOKEN_TTL = 300;
const DEFAULT_REFRESH_TOKEN_TTL = 14 * 24 * 60 * 60;
/** Grants outlive any one refresh token: with rotation each new token gets a fresh TTL. */
const GRANT_TTL = 365 * 24 * 60 * 60;
/** oidc-provider's default clock tolerance; stored artifacts are kept this much longer. */
const CLOCK_TOLERANCE_SECONDS = 15;
const PERSIST_DEBOUNCE_MS = 25;

export async function startLocalOAuthProvider(options: LocalOAuthProviderOptions): Promise<LocalOAuthProvider> {
  const store = new ArtifactStore(options.persistFile);
  const jwks = store.signingKeys();

  // Listen first: the issuer must carry the real port, and port 0 is only known after listen.
  const server = createServer();
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  const issuer = `http://127.0.0.1:${port}`;

  const configuration: Configuration = {
    adapter: (model: string) => new StoreAdapter(model, store),
    clients: options.clients.map((client) => ({
      client_id: client.clientId,
      client_secret: client.clientSecret,
      token_endpoint_auth_method: client.auth,
      grant_types: ['authorization_code', 'refresh_token'],
      response_types: ['code'],
      redirect_uris: options.redirectUris ?? ['http://127.0.0.1/cb'],
    })),
    // RS256 is what a relying party (oauth4webapi included) expects by default of an ID token.
    jwks: { keys: [jwks] },
    cookies: { keys: [randomBytes(32).toString('base64url')] },
    // Whoever holds a grant is a valid account here; there are no users to look up. A login
    // name that is an address is also the account's email claim (the connection's label).
    findAccount: (_ctx, sub) => ({
      accountId: sub,
      claims: () => (/^[^\s@/]+@[^\s@/]+$/.test(sub) ? { sub, email: sub } : { sub }),
    }),
    claims: { openid: ['sub'], email: ['email'] },
    // The code flow's ID token carries the scope's claims too (the connection's label comes from it).
    conformIdTokenClaims: false,
    // The whole point of this server: every refresh rotates, and a reused token revokes the grant.
    rotateRefreshToken: true,
    issueRefreshToken: (_ctx, client) => client.grantTypeAllowed('refresh_token'),
    ttl: {
      AccessToken: options.accessTokenTtlSeconds ?? DEFAULT_ACCESS_TOKEN_TTL,
      RefreshToken: options.refreshTokenTtlSeconds ?? DEFAULT_REFRESH_TOKEN_TTL,
      Grant: GRANT_TTL,
      IdToken: options.accessTokenTtlSeconds ?? DEFAULT_ACCESS_TOKEN_TTL,
      Interaction: 600,
      Session: GRANT_TTL,
      AuthorizationCode: 60,
    },
    scopes: [...new Set(['openid', 'offline_access', ...(options.scopes ?? [])])],
    // Our own pages (lib/demo/interaction-pages.ts), not devInteractions: those load a web font
    // from the network and warn on every start. Without loginPages nothing answers there.
    interactions: { url: (_ctx, interaction) => interactionUrl(interaction.uid), policy: signInEveryTime() },
    features: { devInteractions: { enabled: false }, revocation: { enabled: true } },
    clockTolerance: CLOCK_TOLERANCE_SECONDS,
  };

  const provider = new Provider(issuer, configuration);
  const counters: LocalOAuthProviderStats = { refreshSuccess: 0, refreshErrors: 0, errorsByCode: {} };
  // Both events fire before the response is written, so counters are settled when a client sees the answer.
  provider.on('grant.success', (ctx) => {
    if (ctx.oidc.params?.grant_type === 'refresh_token') counters.refreshSuccess += 1;
  });
  provider.on('grant.error', (ctx, error) => {
    if (ctx.oidc?.params?.grant_type === 'refresh_token') counters.refreshErrors += 1;
    counters.errorsByCode[error.error] = (counters.errorsByCode[error.error] ?? 0) + 1;
  });
  provider.on('server_error', (_ctx, error) => {
    counters.errorsByCode.server_error = (counters.errorsByCode.server_error ?? 0) + 1;
    // The message only: oidc-provider errors do not carry request bodies, so no token leaks here.
    console.error(`local OAuth provider: server error: ${error.message}`);
  });
  const callback = provider.callback();
  const loginPages = options.loginPages ?? false;
  server.on('request', (req, res) => {
    if (!loginPages) return void callback(req, res);
    handleInteraction(provider, req, res).then(
      (handled) => {
        if (!handled) void callback(req, res);
      },
      (error: unknown) => {
        console.error(`local OAuth provider: interaction page failed: ${(error as Error).message}`);
        if (!res.headersSent) res.writeHead(500).end();
      },
    );
  });

  return {
    issuer,
    tokenUrl: new URL(provider.pathFor('token'), issuer).href,
    authorizationUrl: new URL(provider.pathFor('authorization'), issuer).href,
    revocationUrl: new URL(provider.pathFor('revocation'), issuer).href,
    userinfoUrl: new URL(provider.pathFor('userinfo'), issuer).href,

    async mintTokens({ accountId, clientId, scope }) {
      const client = await provider.Client.find(clientId);
      if (!client) throw new Error(`local OAuth provider: unknown client ${clientId}`);
      const fullScope = [...new Set(`${BASE_SCOPE} ${scope ?? ''}`.split(' ').filter(Boolean))].join(' ');

      // The same three artifacts the authorization_code grant would leave behind.
      const grant = new provider.Grant({ accountId, clientId });
      grant.addOIDCScope(fullScope);
      const grantId = await grant.save();
      const gty = 'authorization_code';
      const refreshToken = await new provider.RefreshToken({ client, accountId, grantId, gty, scope: fullScope }).save();
      const accessToken = new provider.AccessToken({ client, accountId, grantId, gty, scope: fullScope });
      const accessTokenValue = await accessToken.save();
      return { accessToken: accessTokenValue, refreshToken, expiresIn: accessToken.expiration, grantId };
    },

    async revokeGrant(grantId) {
      // What oidc-provider's own revoke helper does, without needing a request context.
      await Promise.all([
        provider.AccessToken.revokeByGrantId(grantId),
        provider.RefreshToken.revokeByGrantId(grantId),
        provider.AuthorizationCode.revokeByGrantId(grantId),
        provider.Grant.adapter.destroy(grantId),
      ]);
    },

    stats: () => ({ ...counters, errorsByCode: { ...counters.errorsByCode } }),

    async close() {
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        // fetch keeps connections alive; without this close() waits for their idle timeout.
        server.closeAllConnections();
      });
      await store.flush();
    },
  } satisfies LocalOAuthProvider;
}

/**
 * oidc-provider's default prompts, with one more login check: the sign-in page shows on every
 * authorization, even with a session at this server. A person connecting a second account in
 * the demo chooses which one, and a reconnect shows whom it signs in as (login_hint).
 */
function signInEveryTime() {
  const policy = interactionPolicy.base();
  const { Check } = interactionPolicy;
  policy.get('login')?.checks.push(
    new Check('sign_in_every_time', 'The demo server asks who signs in on every authorization', (ctx) =>
      ctx.oidc.result?.login ? Check.NO_NEED_TO_PROMPT : Check.REQUEST_PROMPT,
    ),
  );
  return policy;
}

// ---------------------------------------------------------------------------------------------
// Storage: oidc-provider keeps grants and tokens through an adapter. This one holds them in a Map
// and, given a file, writes that Map as JSON (temp file + rename, so a crash never leaves half a
// file) shortly after each change and on close.

interface StoredEntry {
  payload: AdapterPayload;
  /** Epoch ms after which the entry is gone; null never expires. */
  expiresAt: number | null;
}

const persistedSchema = z.object({
  version: z.literal(1),
  signingKey: z.record(z.string(), z.string()),
  entries: z.array(
    z.object({ key: z.string(), payload: z.record(z.string(), z.unknown()), expiresAt: z.number().nullable() }),
  ),
});

const GRANTABLE = new Set(['AccessToken', 'AuthorizationCode', 'RefreshToken', 'DeviceCode', 'BackchannelAuthenticationRequest']);

class ArtifactStore {
  private readonly entries = new Map<string, StoredEntry>();
  private readonly grantMembers = new Map<string, Set<string>>();
  private readonly uidIndex = new Map<string, string>();
  private readonly userCodeIndex = new Map<string, string>();
  private signingKey: JWK | undefined;
  private timer: NodeJS.Timeout | undefined;
  private writing: Promise<void> = Promise.resolve();
  private writeError: unknown;

  constructor(private readonly file: string | undefined) {
    if (file) this.load(file);
  }

  /** The ID-token signing key; persisted with the tokens so a restarted demo keeps one key. */
  signingKeys(): JWK {
    if (!this.signingKey) {
      const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
      const jwk = privateKey.export({ format: 'jwk' });
      this.signingKey = { ...jwk, kid: randomUUID(), alg: 'RS256', use: 'sig' } as JWK;
      this.changed();
    }
    return this.signingKey;
  }

  get(key: string): AdapterPayload | undefined {
    const entry = this.entries.get(key);
    if (!entry) return undefined;
    if (entry.expiresAt !== null && entry.expiresAt <= Date.now()) {
      this.delete(key);
      return undefined;
    }
    // A copy: the caller must not be able to change what is stored behind the store's back.
    return structuredClone(entry.payload);
  }

  set(key: string, payload: AdapterPayload, expiresInSeconds: number | undefined): void {
    this.delete(key);
    const expiresAt =
      typeof expiresInSeconds === 'number' ? Date.now() + (expiresInSeconds + CLOCK_TOLERANCE_SECONDS) * 1000 : null;
    this.entries.set(key, { payload: structuredClone(payload), expiresAt });
    this.index(key, payload);
    this.changed();
  }

  update(key: string, change: (payload: AdapterPayload) => void): void {
    const entry = this.entries.get(key);
    if (!entry) return;
    change(entry.payload);
    this.changed();
  }

  delete(key: string): void {
    const entry = this.entries.get(key);
    if (!entry) return;
    this.entries.delete(key);
    const { grantId, uid, userCode } = entry.payload;
    if (grantId) this.grantMembers.get(grantId)?.delete(key);
    if (uid && this.uidIndex.get(uid) === key) this.uidIndex.delete(uid);
    if (userCode && this.userCodeIndex.get(userCode) === key) this.userCodeIndex.delete(userCode);
    this.changed();
  }

  keyByUid(uid: string): string | undefined {
    return this.uidIndex.get(uid);
  }

  keyByUserCode(userCode: string): string | undefined {
    return this.userCodeIndex.get(userCode);
  }

  /** Deletes the grant's artifacts of one model (the adapter for each model is asked in turn). */
  deleteGrantMembers(grantId: string, model: string): void {
    for (const key of [...(this.grantMembers.get(grantId) ?? [])]) {
      if (key.startsWith(`${model}:`)) this.delete(key);
    }
    if (this.grantMembers.get(grantId)?.size === 0) this.grantMembers.delete(grantId);
  }

  /** Writes any pending change now; resolves when the file is on disk, rejects if a write failed. */
  async flush(): Promise<void> {
    if (this.timer) {
      clearTimeout(this.timer);
      this.timer = undefined;
      this.queueWrite();
    }
    await this.writing;
    if (this.writeError !== undefined) {
      const error = this.writeError;
      this.writeError = undefined;
      throw error;
    }
  }

  private index(key: string, payload: AdapterPayload): void {
    const model = key.slice(0, key.indexOf(':'));
    if (GRANTABLE.has(model) && payload.grantId) {
      const members = this.grantMembers.get(payload.grantId) ?? new Set<string>();
      members.add(key);
      this.grantMembers.set(payload.grantId, members);
    }
    if (model === 'Session' && payload.uid) this.uidIndex.set(payload.uid, key);
    if (payload.userCode) this.userCodeIndex.set(payload.userCode, key);
  }

  private changed(): void {
    if (!this.file || this.timer) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.queueWrite();
    }, PERSIST_DEBOUNCE_MS);
    // A pending write must not keep a finished process (or test worker) alive; close() flushes.
    this.timer.unref();
  }

  /** Writes run one after another; a failed write is reported and kept for flush() to rethrow. */
  private queueWrite(): void {
    this.writing = this.writing
      .then(() => this.write())
      .catch((error: unknown) => {
        this.writeError = error;
        console.error(`local OAuth provider: could not save ${this.file}: ${(error as Error).message}`);
      });
  }

  private write(): void {
    if (!this.file) return;
    const now = Date.now();
    const entries = [...this.entries]
      .filter(([, entry]) => entry.expiresAt === null || entry.expiresAt > now)
      .map(([key, entry]) => ({ key, payload: entry.payload, expiresAt: entry.expiresAt }));
    const body = JSON.stringify({ version: 1, signingKey: this.signingKey, entries });
    mkdirSync(dirname(this.file), { recursive: true });
    const temp = `${this.file}.${process.pid}.tmp`;
    // The file holds live tokens: readable by the owner only.
    writeFileSync(temp, body, { mode: 0o600 });
    renameSync(temp, this.file);
  }

  private load(file: string): void {
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return; // first start: nothing saved yet
      throw error;
    }
    const parsed = persistedSchema.safeParse(JSON.parse(text));
    if (!parsed.success) {
      throw new Error(`local OAuth provider: ${file} is not a saved provider state (${parsed.error.issues[0]?.message})`);
    }
    this.signingKey = parsed.data.signingKey as JWK;
    const now = Date.now();
    for (const { key, payload, expiresAt } of parsed.data.entries) {
      if (expiresAt !== null && expiresAt <= now) continue;
      this.entries.set(key, { payload: payload as AdapterPayload, expiresAt });
      this.index(key, payload as AdapterPayload);
    }
  }
}

/** oidc-provider builds one adapter per model name (Grant, RefreshToken, AccessToken, ...). */
class StoreAdapter implements Adapter {
  constructor(
    private readonly model: string,
    private readonly store: ArtifactStore,
  ) {}

  private key(id: string): string {
    return `${this.model}:${id}`;
  }

  async upsert(id: string, payload: AdapterPayload, expiresIn?: number): Promise<void> {
    this.store.set(this.key(id), payload, expiresIn);
  }

  async find(id: string): Promise<AdapterPayload | undefined> {
    return this.store.get(this.key(id));
  }

  async findByUid(uid: string): Promise<AdapterPayload | undefined> {
    const key = this.store.keyByUid(uid);
    return key ? this.store.get(key) : undefined;
  }

  async findByUserCode(userCode: string): Promise<AdapterPayload | undefined> {
    const key = this.store.keyByUserCode(userCode);
    return key ? this.store.get(key) : undefined;
  }

  async consume(id: string): Promise<void> {
    // oidc-provider treats any truthy `consumed` as used; it stores the epoch second.
    this.store.update(this.key(id), (payload) => {
      payload.consumed = Math.floor(Date.now() / 1000);
    });
  }

  async destroy(id: string): Promise<void> {
    this.store.delete(this.key(id));
  }

  async revokeByGrantId(grantId: string): Promise<void> {
    this.store.deleteGrantMembers(grantId, this.model);
  }
}
