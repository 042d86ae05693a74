import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inspect } from 'node:util';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { grantAccount } from '../../lib/connect/account';
import { completeConnect, type CallbackResult } from '../../lib/connect/callback';
import { longLivedTokens } from '../../lib/connect/long-lived';
import type { ConnectDeps } from '../../lib/connect/deps';
import { ConnectError } from '../../lib/connect/errors';
import { startConnect, type StartInput } from '../../lib/connect/start';
import { handleConnectStart } from '../../lib/connect/routes';
import type { SessionUser } from '../../lib/auth/session';
import { startLocalOAuthProvider, type LocalOAuthProvider } from '../../lib/demo/local-oauth-provider';
import { tokenContext } from '../../lib/crypto/key-ring';
import { createWebhookEndpoint, webhookEndpointInputSchema } from '../../lib/notify/webhook-endpoints';
import { runCleanup } from '../../lib/notify/cleanup';
import { loadProviderRegistry, type ProviderRegistry } from '../../lib/providers/registry';
import { refreshNow } from '../../lib/refresh/refresh-now';
import type { RefreshDeps } from '../../lib/refresh/refresh-one';
import { createTestDatabase, type TestDatabase } from '../support/database';
import { insertIntegration, insertOrganization, insertUser, testKeyRing } from '../support/fixtures';
import { startLocalHttpServer, type LocalHttpServer } from '../support/local-http-server';
import { authorizeAtLocalProvider } from '../support/oauth-login';

/**
 * The authorization-code + PKCE connect flow (lib/connect) against the real oidc-provider over
 * real HTTP, on a fresh PostgreSQL database: connect, the refresh that follows, reconnect in
 * place with what it owes, and every refusal of issue 9's "Bad input" list. The test plays the
 * browser: the binding cookie start sets is what it hands to the callback.
 */

const APP_URL = 'http://127.0.0.1:3999';
const CALLBACK = `${APP_URL}/api/connect/callback`;
const CLIENT = { clientId: 'tw-connect', clientSecret: `connect-secret-${randomBytes(6).toString('hex')}`, auth: 'client_secret_basic' } as const;

let t: TestDatabase;
let local: LocalOAuthProvider;
let recorded: LocalHttpServer;
let providers: ProviderRegistry;
let deps: ConnectDeps;
let dir: string;
const keyRing = testKeyRing();
let alice: SessionUser;
let bob: SessionUser;
let carol: SessionUser;
let orgId: string;
/** What the recorded token endpoint answers next. */
let recordedAnswer: { status: number; body: unknown } = { status: 500, body: { error: 'server_error' } };
/** Every secret value seen on the wire: none may appear in an outcome or a log line. */
const secrets = new Set<string>([CLIENT.clientSecret]);
const logged: string[] = [];

beforeAll(async () => {
  t = await createTestDatabase();
  local = await startLocalOAuthProvider({ clients: [CLIENT], loginPages: true, redirectUris: [CALLBACK], accessTokenTtlSeconds: 600 });
  recorded = await startLocalHttpServer('recorded token endpoint', async (_req, res) => {
    res.writeHead(recordedAnswer.status, { 'content-type': 'application/json' });
    res.end(JSON.stringify(recordedAnswer.body));
  });
  dir = mkdtempSync(join(tmpdir(), 'tw-connect-'));
  const file = join(dir, 'providers.json');
  const common = { clientId: CLIENT.clientId, clientSecret: CLIENT.clientSecret, clientAuth: 'client_secret_basic' };
  writeFileSync(
    file,
    JSON.stringify({
      providers: [
        { id: 'localoidc', name: 'Local OIDC', tokenUrl: local.tokenUrl, authorizationUrl: local.authorizationUrl, scopes: ['openid', 'email', 'offline_access'], rotatesRefreshTokens: true, ...common },
        // The same authorization server, but a token endpoint answering what the test records.
        { id: 'localrecorded', name: 'Recorded Co', tokenUrl: `${recorded.url}/token`, authorizationUrl: `${recorded.url}/authorize`, scopes: ['files.read'], ...common },
        // An OpenID provider whose token endpoint answers what the test records (ID tokens it crafts).
        { id: 'localrecordedoidc', name: 'Recorded OIDC', tokenUrl: `${recorded.url}/token`, authorizationUrl: `${recorded.url}/authorize`, scopes: ['openid', 'email'], ...common },
      ],
    }),
  );
  providers = loadProviderRegistry({ providersFile: file, env: {} });
  deps = { db: t.db, keyRing, providers, fetch, appUrl: APP_URL, now: () => new Date(), random: () => 0, requestTimeoutMs: 5000 };
  const user = async (email: string): Promise<SessionUser> => ({ id: await insertUser(t.db, email), email, via: 'local' });
  alice = await user('alice@example.com');
  bob = await user('bob@example.com');
  carol = await user('carol@example.com');
  orgId = await insertOrganization(t.db, 'Acme', [
    { userId: alice.id, role: 'owner' },
    { userId: bob.id, role: 'member', canManage: true },
  ]);
  vi.spyOn(console, 'error').mockImplementation((...args: unknown[]) => void logged.push(args.map(String).join(' ')));
  vi.spyOn(console, 'warn').mockImplementation((...args: unknown[]) => void logged.push(args.map(String).join(' ')));
});

afterAll(async () => {
  vi.restoreAllMocks();
  await local?.close();
  await recorded?.close();
  await t?.drop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

function refreshDeps(): RefreshDeps {
  return {
    db: t.db,
    keyRing,
    providers,
    fetch,
    now: () => new Date(),
    random: () => 0,
    sleep: async () => undefined,
    appUrl: APP_URL,
    requestTimeoutMs: 5000,
    maxAttempts: 1,
  };
}

interface Started {
  location: URL;
  state: string;
  cookie: { name: string; value: string };
}

async function start(user: SessionUser, input: Omit<StartInput, 'user'>): Promise<Started> {
  const started = await startConnect(deps, { user, ...input });
  const [pair] = started.setCookie.split(';');
  const index = pair!.indexOf('=');
  const location = new URL(started.location);
  const state = location.searchParams.get('state')!;
  secrets.add(state);
  return { location, state, cookie: { name: pair!.slice(0, index), value: pair!.slice(index + 1) } };
}

async function callback(params: URLSearchParams, cookies: { name: string; value: string }[], signedIn: SessionUser | null): Promise<CallbackResult> {
  const code = params.get('code');
  if (code) secrets.add(code);
  return completeConnect(deps, { params, cookies, signedInUserId: signedIn?.id ?? null });
}

/** Start, sign in at the provider's pages as `login`, come back. */
async function connectAs(user: SessionUser, login: string, input: Omit<StartInput, 'user'>, options: { deny?: boolean } = {}) {
  const started = await start(user, input);
  const back = await authorizeAtLocalProvider(started.location.href, { login, deny: options.deny, callbackPrefix: CALLBACK });
  return { started, back, result: await callback(back.searchParams, [started.cookie], user) };
}

function refusal(result: CallbackResult): ConnectError {
  if (result.ok) throw new Error(`expected a refusal, got ${result.outcome}`);
  return result.error;
}

function connected(result: CallbackResult): Extract<CallbackResult, { ok: true }> {
  if (!result.ok) throw new Error(`expected a connection, got ${result.error.code}: ${result.error.message}`);
  return result;
}

async function row(id: string) {
  const [found] = await t.db.query<Record<string, unknown>>(`select * from public.integrations where id = $1`, [id]);
  return found!;
}

async function count(sql: string, params: unknown[] = []): Promise<number> {
  const [found] = await t.db.query<{ n: number }>(`select count(*)::int as n from (${sql}) x`, params);
  return found!.n;
}

function expectNoSecret(value: unknown): void {
  const text = typeof value === 'string' ? value : JSON.stringify(value, (_key, v: unknown) => (v instanceof Error ? { message: v.message, stack: v.stack, cause: v.cause } : v));
  for (const secret of secrets) expect(text).not.toContain(secret);
}

describe('connect: a new connection', () => {
  let integrationId: string;

  it('sends the user to the provider with PKCE S256, state, nonce and the profile scopes, bound to this browser', async () => {
    const started = await start(alice, { provider: 'localoidc', organizationId: orgId, returnTo: '/?tab=connections' });
    const query = started.location.searchParams;
    expect(started.location.origin + started.location.pathname).toBe(local.authorizationUrl);
    expect(query.get('response_type')).toBe('code');
    expect(query.get('client_id')).toBe(CLIENT.clientId);
    expect(query.get('redirect_uri')).toBe(CALLBACK);
    expect(query.get('code_challenge_method')).toBe('S256');
    expect(query.get('code_challenge')).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(query.get('nonce')).toEqual(expect.any(String));
    expect(query.get('scope')!.split(' ').sort()).toEqual(['email', 'offline_access', 'openid']);
    expect(started.state).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(started.cookie.name).toMatch(/^tw_connect_[0-9a-f]{16}$/);
    const [session] = await t.db.query<Record<string, unknown>>(`select * from public.connect_sessions order by created_at desc limit 1`);
    // The state is stored only as its hash, the verifier only sealed.
    expect(JSON.stringify(session)).not.toContain(started.state);
    expect(session!.state_hash).toMatch(/^[0-9a-f]{64}$/);
    expect(session!.code_verifier_encrypted).toMatch(/^tw1\./);
    expect(session!.browser_binding_hash).not.toBe(started.cookie.value);
  });

  it('creates a connection whose next refresh works, and whose rotated refresh token works again', async () => {
    const { result } = await connectAs(alice, 'alice.work@example.com', { provider: 'localoidc', organizationId: orgId, returnTo: '/?tab=connections' });
    const done = connected(result);
    expect(done.outcome).toBe('connected');
    integrationId = done.integrationId;
    const location = new URL(done.location);
    expect(location.origin).toBe(APP_URL);
    expect(location.pathname).toBe('/');
    expect(Object.fromEntries(location.searchParams)).toEqual({ tab: 'connections', connect: 'connected', integration: integrationId });
    expect(done.clearCookie).toMatch(/Max-Age=0/);

    const stored = await row(integrationId);
    expect(stored).toMatchObject({ user_id: alice.id, organization_id: orgId, provider: 'localoidc', status: 'connected', provider_account_id: 'alice.work@example.com' });
    expect(Number(stored.token_version)).toBe(1);
    expect(stored.connected_at).toBeInstanceOf(Date);
    expect(stored.refresh_token_encrypted).toEqual(expect.any(String));
    expect(keyRing.decrypt(stored.access_token_encrypted as string, tokenContext.access(integrationId))).toEqual(expect.any(String));
    expect(await count(`select 1 from public.token_refresh_logs where integration_id = $1 and trigger = 'connect' and outcome = 'refreshed'`, [integrationId])).toBe(1);
    expect(await count(`select 1 from public.audit_log where target_id = $1 and action = 'integration.connected' and actor = $2`, [integrationId, `user:${alice.id}`])).toBe(1);

    const first = await refreshNow(refreshDeps(), integrationId, { trigger: 'manual' });
    expect(first?.outcome).toBe('refreshed');
    const second = await refreshNow(refreshDeps(), integrationId, { trigger: 'manual' });
    expect(second?.outcome).toBe('refreshed');
    expect(Number((await row(integrationId)).token_version)).toBe(3);
  });

  it('owes integration.connected to the organization\'s webhook endpoints, and no notification', async () => {
    const endpoint = await createWebhookEndpoint(
      t.db,
      keyRing,
      orgId,
      webhookEndpointInputSchema.parse({ url: 'https://hooks.example.com/tw', events: ['integration.connected', 'integration.restored'] }),
      { actor: `user:${alice.id}`, actorUserId: alice.id },
    );
    const { result } = await connectAs(bob, 'bob.side@example.com', { provider: 'localoidc', organizationId: orgId });
    const id = connected(result).integrationId;
    expect(await count(`select 1 from public.webhook_deliveries where endpoint_id = $1 and event_type = 'integration.connected'`, [endpoint.id])).toBe(1);
    expect(await count(`select 1 from public.notifications where integration_id = $1`, [id])).toBe(0);
    expect(await count(`select 1 from public.email_outbox where payload->>'action_url' like $1`, [`%${id}%`])).toBe(0);
  });

  it('lands on the same connection when the same account connects again (no duplicate)', async () => {
    const before = await count(`select 1 from public.integrations where provider = 'localoidc'`);
    const { result } = await connectAs(alice, 'alice.work@example.com', { provider: 'localoidc', organizationId: orgId });
    expect(connected(result).integrationId).toBe(integrationId);
    expect(await count(`select 1 from public.integrations where provider = 'localoidc'`)).toBe(before);
  });

  it('reconnects a dead connection in place and owes exactly one restored notice, email and webhook', async () => {
    await t.db.query(
      `update public.integrations set status = 'needs_reauthorization', consecutive_failures = 3, consecutive_transient_failures = 2,
         last_error_code = 'invalid_grant', last_error = 'refresh token revoked', last_failure_at = now(), disconnect_reason = 'The refresh token was revoked',
         connected_at = now() - interval '3 days', lease_owner = 'cron_x', lease_expires_at = now() + interval '1 minute'
       where id = $1`,
      [integrationId],
    );
    const before = await row(integrationId);
    const reconnectsBefore = await count(`select 1 from public.audit_log where target_id = $1 and action = 'integration.reconnected'`, [integrationId]);
    const { started, result } = await connectAs(alice, 'alice.work@example.com', { provider: 'localoidc', integrationId, returnTo: `/integrations/${integrationId}/reconnect` });
    // A reconnect names the account it expects.
    expect(started.location.searchParams.get('login_hint')).toBe('alice.work@example.com');
    const done = connected(result);
    expect(done).toMatchObject({ outcome: 'restored', integrationId });
    expect(new URL(done.location).searchParams.get('connect')).toBe('restored');

    const after = await row(integrationId);
    expect(after).toMatchObject({
      status: 'connected',
      consecutive_failures: 0,
      consecutive_transient_failures: 0,
      last_error_code: null,
      last_error: null,
      last_failure_at: null,
      disconnect_reason: null,
      lease_owner: null,
      lease_expires_at: null,
      provider_called_at: null,
    });
    expect(Number(after.token_version)).toBe(Number(before.token_version) + 1);
    expect((after.connected_at as Date).getTime()).toBeGreaterThan((before.connected_at as Date).getTime());
    expect(after.access_token_encrypted).not.toBe(before.access_token_encrypted);
    expect(await count(`select 1 from public.token_refresh_logs where integration_id = $1 and trigger = 'connect'`, [integrationId])).toBe(3);

    // Alice (owner) and Bob (member who manages integrations): one notice and one email each, one webhook.
    const notices = await t.db.query<{ user_id: string }>(`select user_id from public.notifications where integration_id = $1 and type = 'integration_restored'`, [integrationId]);
    expect(notices.map((notice) => notice.user_id).sort()).toEqual([alice.id, bob.id].sort());
    expect(await count(`select 1 from public.email_outbox where template = 'integration_restored' and idempotency_key like $1`, [`restored/${integrationId}/%`])).toBe(2);
    expect(await count(`select 1 from public.webhook_deliveries where event_type = 'integration.restored'`)).toBe(1);
    expect(await count(`select 1 from public.audit_log where target_id = $1 and action = 'integration.reconnected'`, [integrationId])).toBe(reconnectsBefore + 1);

    // The restored connection refreshes again.
    expect((await refreshNow(refreshDeps(), integrationId, { trigger: 'manual' }))?.outcome).toBe('refreshed');
  });

  it('a refresh that was in flight during the reconnect cannot overwrite the new tokens', async () => {
    const before = await row(integrationId);
    const stale = Number(before.token_version);
    const { result } = await connectAs(alice, 'alice.work@example.com', { provider: 'localoidc', integrationId });
    connected(result);
    const fresh = await row(integrationId);
    // What record_refresh_result does for the in-flight refresh: compare-and-swap on the version it claimed.
    const [answer] = await t.db.query<{ recorded: unknown }>(`select public.record_refresh_result($1::jsonb) as recorded`, [
      JSON.stringify({
        integration_id: integrationId,
        expected_version: stale,
        lease_owner: 'cron_inflight',
        now: new Date().toISOString(),
        tokens: { access_token_encrypted: before.access_token_encrypted, token_key_id: keyRing.activeKeyId, expires_at: null },
        state: null,
        log: { provider: 'localoidc', trigger: 'cron', outcome: 'refreshed', error_code: null, http_status: 200, duration_ms: 1, attempts: 1, metadata: {} },
        notifications: [],
        emails: [],
        webhooks: [],
      }),
    ]);
    expect(answer!.recorded).toBeNull();
    expect((await row(integrationId)).access_token_encrypted).toBe(fresh.access_token_encrypted);
    // A reconnect of a healthy connection owes no second "restored".
    expect(await count(`select 1 from public.notifications where integration_id = $1 and type = 'integration_restored'`, [integrationId])).toBe(2);
  });

  it('refuses a reconnect as another account, naming both, and leaves the connection untouched', async () => {
    const before = await row(integrationId);
    const { result } = await connectAs(alice, 'mallory@example.com', { provider: 'localoidc', integrationId });
    const error = refusal(result);
    expect(error.code).toBe('wrong_account');
    expect(error.status).toBe(409);
    expect(error.message).toContain('mallory@example.com');
    expect(error.message).toContain('alice.work@example.com');
    expect(await row(integrationId)).toEqual(before);
  });

  it('refuses an ID token with the wrong nonce', async () => {
    const before = await row(integrationId);
    const started = await start(alice, { provider: 'localoidc', integrationId });
    const back = await authorizeAtLocalProvider(started.location.href, { login: 'alice.work@example.com', callbackPrefix: CALLBACK });
    await t.db.query(`update public.connect_sessions set nonce = 'tampered-nonce' where used_at is null`);
    const error = refusal(await callback(back.searchParams, [started.cookie], alice));
    expect(error.code).toBe('id_token_invalid');
    expect(error.message).toContain('nonce');
    expect(await row(integrationId)).toEqual(before);
  });

  it('changes nothing on a cancel (access_denied)', async () => {
    const total = await count(`select 1 from public.integrations`);
    const before = await row(integrationId);
    const { result } = await connectAs(alice, 'alice.work@example.com', { provider: 'localoidc', integrationId }, { deny: true });
    const error = refusal(result);
    expect(error.code).toBe('cancelled');
    expect(error.message).toMatch(/cancelled/);
    expect(await row(integrationId)).toEqual(before);
    expect(await count(`select 1 from public.integrations`)).toBe(total);
  });

  it('refuses a replayed state, an unknown state, an expired session, a foreign browser and a missing code or state', async () => {
    const { started, back, result } = await connectAs(alice, 'alice.work@example.com', { provider: 'localoidc', organizationId: orgId });
    connected(result);
    expect(refusal(await callback(back.searchParams, [started.cookie], alice)).code).toBe('state_used');

    expect(refusal(await callback(new URLSearchParams({ code: 'abc', state: randomBytes(32).toString('base64url') }), [], alice)).code).toBe('unknown_state');
    expect(refusal(await callback(new URLSearchParams({ code: 'abc' }), [], alice)).code).toBe('missing_parameters');

    const late = await start(alice, { provider: 'localoidc', organizationId: orgId });
    const lateBack = await authorizeAtLocalProvider(late.location.href, { login: 'alice.work@example.com', callbackPrefix: CALLBACK });
    await t.db.query(`update public.connect_sessions set created_at = now() - interval '11 minutes', expires_at = now() - interval '1 minute' where used_at is null`);
    expect(refusal(await callback(lateBack.searchParams, [late.cookie], alice)).code).toBe('state_expired');

    const foreign = await start(alice, { provider: 'localoidc', organizationId: orgId });
    const foreignBack = await authorizeAtLocalProvider(foreign.location.href, { login: 'alice.work@example.com', callbackPrefix: CALLBACK });
    expect(refusal(await callback(foreignBack.searchParams, [], null)).code).toBe('foreign_browser');
    const other = await start(alice, { provider: 'localoidc', organizationId: orgId });
    const otherBack = await authorizeAtLocalProvider(other.location.href, { login: 'alice.work@example.com', callbackPrefix: CALLBACK });
    expect(refusal(await callback(otherBack.searchParams, [{ name: other.cookie.name, value: randomBytes(32).toString('base64url') }], alice)).code).toBe('foreign_browser');

    const noCode = await start(alice, { provider: 'localoidc', organizationId: orgId });
    expect(refusal(await callback(new URLSearchParams({ state: noCode.state }), [noCode.cookie], alice)).code).toBe('missing_parameters');

    // Another signed-in user than the one who started it.
    const bobs = await start(bob, { provider: 'localoidc', organizationId: orgId });
    const bobsBack = await authorizeAtLocalProvider(bobs.location.href, { login: 'bob.side@example.com', callbackPrefix: CALLBACK });
    expect(refusal(await callback(bobsBack.searchParams, [bobs.cookie], alice)).code).toBe('other_user');
  });
});

describe('connect: two connects of the same account at once', () => {
  it('lands both on one connection, even when each looked for it before the other wrote it', async () => {
    // Both transactions look for the account's connection (none yet) before either inserts.
    let arrived = 0;
    let release!: () => void;
    const bothLooked = new Promise<void>((resolve) => (release = resolve));
    const racingDb: ConnectDeps['db'] = Object.assign(Object.create(t.db) as ConnectDeps['db'], {
      transaction: <T,>(fn: (tx: Parameters<Parameters<ConnectDeps['db']['transaction']>[0]>[0]) => Promise<T>) =>
        t.db.transaction((tx) =>
          fn({
            exec: (sql: string) => tx.exec(sql),
            query: async <R extends Record<string, unknown>>(text: string, params?: readonly unknown[]) => {
              const rows = await tx.query<R>(text, params);
              if (/for update/.test(text) && /provider_account_id = \$2/.test(text)) {
                arrived += 1;
                if (arrived >= 2) release();
                await Promise.race([bothLooked, new Promise((resolve) => setTimeout(resolve, 2000))]);
              }
              return rows;
            },
          }),
        ),
    });
    const racing: ConnectDeps = { ...deps, db: racingDb };
    const first = await start(carol, { provider: 'localoidc' });
    const second = await start(carol, { provider: 'localoidc' });
    const firstBack = await authorizeAtLocalProvider(first.location.href, { login: 'carol.race@example.com', callbackPrefix: CALLBACK });
    const secondBack = await authorizeAtLocalProvider(second.location.href, { login: 'carol.race@example.com', callbackPrefix: CALLBACK });
    const results = await Promise.all([
      completeConnect(racing, { params: firstBack.searchParams, cookies: [first.cookie], signedInUserId: carol.id }),
      completeConnect(racing, { params: secondBack.searchParams, cookies: [second.cookie], signedInUserId: carol.id }),
    ]);
    const [a, b] = results.map(connected);
    expect(a!.integrationId).toBe(b!.integrationId);
    expect(await count(`select 1 from public.integrations where provider = 'localoidc' and provider_account_id = 'carol.race@example.com'`)).toBe(1);
  });

  it('refuses to reconnect an imported connection as an account that is already connected elsewhere, and changes nothing', async () => {
    // Carol's imported connection names no account; carol.race@example.com is connected already (above).
    const imported = await insertIntegration(t.db, keyRing, { userId: carol.id, provider: 'localoidc' });
    const before = await row(imported);
    const { result } = await connectAs(carol, 'carol.race@example.com', { provider: 'localoidc', integrationId: imported });
    const error = refusal(result);
    expect(error).toMatchObject({ code: 'account_already_connected', status: 409 });
    expect(error.message).toContain('carol.race@example.com');
    expect(await row(imported)).toEqual(before);
    expect(await count(`select 1 from public.integrations where provider = 'localoidc' and provider_account_id = 'carol.race@example.com'`)).toBe(1);
  });
});

describe('connect: refused at the start', () => {
  it('asks first when another site sent the browser to the start, and stores no session until the user goes on', async () => {
    const before = await count(`select 1 from public.connect_sessions`);
    const url = `${APP_URL}/connect/localoidc?return_to=%2F%22%3E%3Cscript%3E`;
    const crossSite = await handleConnectStart(deps, new Request(url, { headers: { 'sec-fetch-site': 'cross-site' } }), 'localoidc', alice);
    expect(crossSite.status).toBe(200);
    const html = await crossSite.text();
    expect(html).toContain('Connect Local OIDC?');
    expect(html).toContain('href="/connect/localoidc?return_to=%2F%22%3E%3Cscript%3E"');
    expect(html).not.toContain('<script>');
    expect(crossSite.headers.get('set-cookie')).toBeNull();
    expect(await count(`select 1 from public.connect_sessions`)).toBe(before);
    // The same link followed from that page (or from the app) starts the flow.
    const sameOrigin = await handleConnectStart(deps, new Request(`${APP_URL}/connect/localoidc`, { headers: { 'sec-fetch-site': 'same-origin' } }), 'localoidc', alice);
    expect(sameOrigin.status).toBe(303);
    expect(sameOrigin.headers.get('location')).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/auth\?/);
    expect(await count(`select 1 from public.connect_sessions`)).toBe(before + 1);
  });

  it('answers 404 to a stranger\'s reconnect or connect into an organization that is not theirs', async () => {
    const [someone] = await t.db.query<{ id: string }>(`select id from public.integrations where provider = 'localoidc' limit 1`);
    const stranger = await startConnect(deps, { user: carol, provider: 'localoidc', integrationId: someone!.id }).catch((error: unknown) => error);
    expect(stranger).toBeInstanceOf(ConnectError);
    expect(stranger).toMatchObject({ code: 'not_found', status: 404 });
    await expect(startConnect(deps, { user: carol, provider: 'localoidc', integrationId: randomUUID() })).rejects.toMatchObject({ code: 'not_found' });
    await expect(startConnect(deps, { user: carol, provider: 'localoidc', organizationId: orgId })).rejects.toMatchObject({ code: 'not_found' });
    await expect(startConnect(deps, { user: alice, provider: 'localrecorded', integrationId: someone!.id })).rejects.toMatchObject({ code: 'provider_mismatch' });
  });

  it('refuses a return_to off the app\'s origin', async () => {
    for (const returnTo of ['//evil.example/x', 'https://evil.example/', '/\\evil.example', 'javascript:alert(1)', 'evil']) {
      await expect(startConnect(deps, { user: alice, provider: 'localoidc', returnTo })).rejects.toMatchObject({ code: 'bad_return_to', status: 400 });
    }
  });

  it('names a provider without credentials, an unknown one, and one without an authorization endpoint', async () => {
    await expect(startConnect(deps, { user: alice, provider: 'google' })).rejects.toMatchObject({ code: 'no_credentials', message: expect.stringContaining('Google') });
    await expect(startConnect(deps, { user: alice, provider: 'nosuch' })).rejects.toMatchObject({ code: 'unknown_provider', message: expect.stringContaining('nosuch') });
  });
});

describe('connect: the token endpoint', () => {
  /** Starts a connect to the recorded provider and comes back with a code, as its authorization page would. */
  async function recordedConnect(answer: { status: number; body: unknown }) {
    recordedAnswer = answer;
    const started = await start(alice, { provider: 'localrecorded', organizationId: orgId });
    return callback(new URLSearchParams({ code: `code-${randomBytes(8).toString('hex')}`, state: started.state }), [started.cookie], alice);
  }

  it('names a failing token endpoint and writes nothing', async () => {
    const total = await count(`select 1 from public.integrations`);
    const failed = refusal(await recordedConnect({ status: 400, body: { error: 'invalid_grant', error_description: 'code expired' } }));
    expect(failed).toMatchObject({ code: 'token_endpoint_failed', status: 502 });
    expect(failed.message).toContain('invalid_grant');
    expect(refusal(await recordedConnect({ status: 503, body: 'down' })).code).toBe('token_endpoint_failed');
    expect(await count(`select 1 from public.integrations`)).toBe(total);
  });

  it('refuses an answer without a refresh token where the profile says one is always issued', async () => {
    const total = await count(`select 1 from public.integrations`);
    const error = refusal(await recordedConnect({ status: 200, body: { access_token: 'at-recorded-1', token_type: 'Bearer', expires_in: 3600, scope: 'files.read' } }));
    expect(error.code).toBe('no_refresh_token');
    expect(await count(`select 1 from public.integrations`)).toBe(total);
    secrets.add('at-recorded-1');
  });

  it('connects with a recorded answer that has one', async () => {
    secrets.add('at-recorded-2');
    secrets.add('rt-recorded-2');
    const done = connected(await recordedConnect({ status: 200, body: { access_token: 'at-recorded-2', refresh_token: 'rt-recorded-2', token_type: 'Bearer', expires_in: 3600 } }));
    const stored = await row(done.integrationId);
    expect(stored).toMatchObject({ provider: 'localrecorded', provider_account_id: null, scopes: ['files.read'] });
    expect(keyRing.decrypt(stored.refresh_token_encrypted as string, tokenContext.refresh(done.integrationId))).toBe('rt-recorded-2');
  });
});

describe('connect: the ID token (OpenID Connect Core 3.1.3.7), checked on oauth4webapi\'s structured errors', () => {
  /** An ID token as the recorded provider would sign it (the code flow checks claims, not the signature: TLS vouches for the token endpoint). */
  function idToken(claims: Record<string, unknown>, header: Record<string, unknown> = { alg: 'RS256', typ: 'JWT' }): string {
    const part = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
    return `${part(header)}.${part(claims)}.c2lnbmF0dXJl`;
  }

  async function oidcConnect(answer: (nonce: string) => Record<string, unknown>) {
    const started = await start(alice, { provider: 'localrecordedoidc', organizationId: orgId });
    const nonce = started.location.searchParams.get('nonce')!;
    const body = answer(nonce);
    for (const name of ['access_token', 'refresh_token', 'id_token']) if (typeof body[name] === 'string') secrets.add(body[name]);
    recordedAnswer = { status: 200, body };
    return { body, result: await callback(new URLSearchParams({ code: `code-${randomBytes(8).toString('hex')}`, state: started.state }), [started.cookie], alice) };
  }

  const claims = (nonce: string, extra: Record<string, unknown> = {}) => {
    const now = Math.floor(Date.now() / 1000);
    return { iss: new URL(recorded.url).origin, sub: 'oidc-account-1', aud: CLIENT.clientId, email: 'alice@oidc.example', iat: now, exp: now + 600, nonce, ...extra };
  };
  const tokens = () => ({ access_token: `at-oidc-${randomBytes(6).toString('hex')}`, refresh_token: `rt-oidc-${randomBytes(6).toString('hex')}`, token_type: 'Bearer', expires_in: 3600 });

  it('connects with an ID token that checks out', async () => {
    const { result } = await oidcConnect((nonce) => ({ ...tokens(), id_token: idToken(claims(nonce)) }));
    const stored = await row(connected(result).integrationId);
    expect(stored).toMatchObject({ provider: 'localrecordedoidc', provider_account_id: 'oidc-account-1', account_label: 'alice@oidc.example' });
  });

  it('refuses an ID token for another audience, a wrong nonce, another issuer and an expired one, naming which, and writes nothing', async () => {
    const total = await count(`select 1 from public.integrations`);
    const cases: [string, (nonce: string) => Record<string, unknown>][] = [
      ['wrong audience', (nonce) => claims(nonce, { aud: 'another-client' })],
      ['wrong nonce', () => claims('another-nonce')],
      ['wrong issuer', (nonce) => claims(nonce, { iss: 'https://evil.example' })],
      ['expired or not yet valid', (nonce) => claims(nonce, { exp: Math.floor(Date.now() / 1000) - 3600 })],
    ];
    for (const [problem, make] of cases) {
      const error = refusal((await oidcConnect((nonce) => ({ ...tokens(), id_token: idToken(make(nonce)) }))).result);
      expect(error, problem).toMatchObject({ code: 'id_token_invalid', status: 502 });
      expect(error.message, problem).toContain(problem);
    }
    expect(await count(`select 1 from public.integrations`)).toBe(total);
  });

  it('refuses an answer without the ID token, or with one signed by an unexpected algorithm, as an ID token problem', async () => {
    const missing = refusal((await oidcConnect(() => tokens())).result);
    expect(missing.code).toBe('id_token_invalid');
    expect(missing.message).toContain('no ID token');
    const hs256 = refusal((await oidcConnect((nonce) => ({ ...tokens(), id_token: idToken(claims(nonce), { alg: 'HS256', typ: 'JWT' }) }))).result);
    expect(hs256.code).toBe('id_token_invalid');
    const garbled = refusal((await oidcConnect(() => ({ ...tokens(), id_token: 'not-a-jwt' }))).result);
    expect(garbled.code).toBe('id_token_invalid');
  });

  it('keeps no token, nonce or claim of the answer in a refusal, not even deep in its causes', async () => {
    const refusals: ConnectError[] = [];
    let nonceSeen = '';
    for (const answer of [
      () => tokens(),
      (nonce: string) => ((nonceSeen = nonce), { ...tokens(), id_token: idToken(claims('another-nonce')) }),
      () => ({ ...tokens(), id_token: 'not-a-jwt' }),
      () => ({ ...tokens(), expires_in: 'soon' }),
    ]) {
      refusals.push(refusal((await oidcConnect(answer)).result));
    }
    const deep = refusals.map((error) => inspect(error, { depth: null, showHidden: true })).join('\n');
    expect(deep).not.toContain(nonceSeen);
    expect(deep).not.toContain('oidc-account-1');
    for (const secret of secrets) expect(deep).not.toContain(secret);
  });
});

describe('connect: what is left behind', () => {
  it('never puts a token, code or state in an outcome or a log line', async () => {
    const outcomes: unknown[] = [];
    const started = await start(alice, { provider: 'localoidc', organizationId: orgId });
    const back = await authorizeAtLocalProvider(started.location.href, { login: 'alice.work@example.com', callbackPrefix: CALLBACK });
    secrets.add(back.searchParams.get('code')!);
    await t.db.query(`update public.connect_sessions set nonce = 'x' where used_at is null`);
    outcomes.push(await callback(back.searchParams, [started.cookie], alice));
    outcomes.push(await callback(back.searchParams, [started.cookie], alice));
    expectNoSecret(outcomes);
    expectNoSecret(logged.join('\n'));
  });

  it('cleanup removes connect sessions that ended more than a day ago', async () => {
    await t.db.query(`update public.connect_sessions set created_at = now() - interval '2 days', expires_at = now() - interval '2 days' + interval '10 minutes'`);
    const fresh = await start(alice, { provider: 'localoidc', organizationId: orgId });
    const summary = await runCleanup(t.db, { now: new Date() });
    expect(summary.connectSessionsDeleted).toBeGreaterThan(0);
    expect(await count(`select 1 from public.connect_sessions`)).toBe(1);
    expect(fresh.state).toEqual(expect.any(String));
  });
});

describe('connect: provider specifics (local servers answering the providers\' documented shapes)', () => {
  it('exchanges Meta\'s short-lived token for the long-lived one right after the code exchange, and reads the account from user-info', async () => {
    const seen: URL[] = [];
    const meta = await startLocalHttpServer('meta', async (req, res) => {
      const url = new URL(req.url ?? '/', 'http://127.0.0.1');
      seen.push(url);
      res.writeHead(200, { 'content-type': 'application/json' });
      if (url.pathname === '/oauth/access_token') {
        // "Get a Long-Lived User Access Token": { access_token, token_type, expires_in }.
        res.end(JSON.stringify({ access_token: 'EAAlonglived', token_type: 'bearer', expires_in: 5_183_944 }));
      } else {
        res.end(JSON.stringify({ id: '10229', name: 'Alice Meta' }));
      }
    });
    try {
      const base = providers.get('facebook')!;
      const facebook = {
        ...base,
        tokenUrl: `${meta.url}/oauth/access_token`,
        account: { ...base.account!, url: `${meta.url}/me?fields=id,name` } as typeof base.account,
        credentials: { clientId: 'fb-app', clientSecret: 'fb-secret' },
      };
      const tokens = await longLivedTokens(facebook, facebook.credentials, { accessToken: 'EAAshort', expiresInSeconds: 3600, scopes: ['public_profile'] }, { parameters: {}, fetch, timeoutMs: 5000 });
      expect(tokens).toMatchObject({ accessToken: 'EAAlonglived', expiresInSeconds: 5_183_944, scopes: ['public_profile'] });
      expect(Object.fromEntries(seen[0]!.searchParams)).toEqual({ grant_type: 'fb_exchange_token', client_id: 'fb-app', client_secret: 'fb-secret', fb_exchange_token: 'EAAshort' });
      const account = await grantAccount(facebook, { tokenResponse: {}, idTokenClaims: null, callbackParams: new URLSearchParams() }, { accessToken: tokens.accessToken, parameters: {}, fetch, timeoutMs: 5000 });
      expect(account).toEqual({ id: '10229', label: 'Alice Meta' });
    } finally {
      await meta.close();
    }
  });

  it("asks each built-in provider in its documented words: Google offline, Microsoft offline_access, Slack's and TikTok's comma scopes, TikTok's client_key", async () => {
    const env = Object.fromEntries(
      ['GOOGLE', 'MICROSOFT', 'SLACK', 'TIKTOK', 'XERO', 'ATLASSIAN'].flatMap((id) => [[`${id}_CLIENT_ID`, `${id.toLowerCase()}-app`], [`${id}_CLIENT_SECRET`, 'secret']]),
    );
    const builtin = { ...deps, providers: loadProviderRegistry({ env }) };
    const query = async (provider: string) => new URL((await startConnect(builtin, { user: alice, provider })).location).searchParams;

    const google = await query('google');
    expect(Object.fromEntries(google)).toMatchObject({ client_id: 'google-app', access_type: 'offline', prompt: 'consent', scope: 'openid email profile', code_challenge_method: 'S256', response_type: 'code', redirect_uri: CALLBACK });
    expect(google.get('nonce')).toMatch(/^[\w-]{20,}$/);
    const microsoft = await query('microsoft');
    expect(microsoft.get('scope')!.split(' ')).toContain('offline_access');
    expect((await query('xero')).get('scope')!.split(' ')).toEqual(expect.arrayContaining(['openid', 'offline_access']));
    expect(Object.fromEntries(await query('atlassian'))).toMatchObject({ audience: 'api.atlassian.com', prompt: 'consent' });
    const slack = await query('slack');
    expect(slack.get('scope')).toBe(builtin.providers.get('slack')!.scopes.join(','));
    const tiktok = await query('tiktok');
    expect(tiktok.get('client_key')).toBe('tiktok-app');
    expect(tiktok.has('client_id')).toBe(false);
    expect(tiktok.get('scope')).toBe(builtin.providers.get('tiktok')!.scopes.join(','));
    expect(tiktok.get('nonce')).toBeNull(); // not an OpenID provider
  });
});
