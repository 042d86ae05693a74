import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLocalOAuthProvider, type LocalOAuthProvider } from '../../lib/demo/local-oauth-provider';
import { disconnectIntegration, type DisconnectDeps } from '../../lib/connect/disconnect';
import { userActor } from '../../lib/db/audit-log';
import { KeyRing } from '../../lib/crypto/key-ring';
import { rotateKeys } from '../../lib/crypto/rotate-keys';
import type { ProviderRegistry } from '../../lib/providers/registry';
import type { ResolvedProvider } from '../../lib/providers/schema';
import { getValidAccessTokenWith, TokenUnavailableError } from '../../lib/refresh/get-valid-access-token';
import { createWebhookEndpoint, webhookEndpointInputSchema } from '../../lib/notify/webhook-endpoints';
import { createRefreshHarness, type RefreshHarness } from '../support/refresh-harness';
import { insertOrganization, insertUser } from '../support/fixtures';
import { startLocalHttpServer, type LocalHttpServer } from '../support/local-http-server';

/**
 * Disconnect against the real oidc-provider: the grant is revoked there (RFC 7009), the row
 * keeps no token, host apps are owed integration.disconnected, the audit log says who, and
 * nothing of the refresh engine calls the provider again or writes tokens back.
 */

const CLIENT = { clientId: 'tw-disconnect', clientSecret: 'tw-disconnect-secret' };
const OWNER_EMAIL = 'owner-disconnect@example.com';

/** The registry with `id`'s revocation endpoint moved (to a stand-in that fails). */
function withRevocation(registry: ProviderRegistry, id: string, revocationUrl: string): ProviderRegistry {
  const patch = (provider: ResolvedProvider): ResolvedProvider =>
    provider.id === id ? { ...provider, revocationUrl, revocation: 'rfc7009' } : provider;
  return {
    get: (name) => {
      const provider = registry.get(name);
      return provider && patch(provider);
    },
    has: (name) => registry.has(name),
    list: () => registry.list().map(patch),
    ids: () => registry.ids(),
  };
}

describe('disconnect (oidc-provider, real PostgreSQL)', () => {
  let oauth: LocalOAuthProvider;
  let h: RefreshHarness;
  let failing: LocalHttpServer;
  let providers: ProviderRegistry;
  let ownerId: string;
  let orgId: string;

  beforeAll(async () => {
    oauth = await startLocalOAuthProvider({ clients: [{ ...CLIENT, auth: 'client_secret_basic' }] });
    h = await createRefreshHarness([
      { id: 'local', name: 'Local OAuth', tokenUrl: oauth.tokenUrl, revocationUrl: oauth.revocationUrl, ...CLIENT, rotatesRefreshTokens: true },
      { id: 'local_plain', name: 'Local OAuth without revocation', tokenUrl: oauth.tokenUrl, ...CLIENT, rotatesRefreshTokens: true },
    ]);
    // The providers file's revocationUrl: RFC 7009 at the local provider.
    providers = h.providers;
    expect(providers.get('local')).toMatchObject({ revocation: 'rfc7009', revocationUrl: oauth.revocationUrl });
    failing = await startLocalHttpServer('failing revocation endpoint', async (_req, res) => {
      res.writeHead(503, { 'content-type': 'text/html' });
      res.end('<html>Service Unavailable</html>');
    });
    ownerId = await insertUser(h.t.db, OWNER_EMAIL);
    orgId = await insertOrganization(h.t.db, 'Disconnecting Org', [{ userId: ownerId, role: 'owner' }]);
    await createWebhookEndpoint(h.t.db, h.keyRing, orgId, webhookEndpointInputSchema.parse({ url: 'https://hooks.example.com/tw' }), userActor(ownerId));
  });
  afterAll(async () => {
    await failing?.close();
    await h?.close();
    await oauth?.close();
  });

  const deps = (overrides: Partial<DisconnectDeps> = {}): DisconnectDeps => ({ ...h.deps({ providers }), revocationTimeoutMs: 2_000, ...overrides });
  const disconnect = (integrationId: string, overrides: Partial<DisconnectDeps> = {}) =>
    disconnectIntegration(deps(overrides), { integrationId, actor: userActor(ownerId), actorEmail: OWNER_EMAIL });

  async function connected(accountId: string, provider = 'local') {
    const minted = await oauth.mintTokens({ accountId, clientId: CLIENT.clientId });
    const id = await h.seed({ provider, accessToken: minted.accessToken, refreshToken: minted.refreshToken, expiresIn: 60, userId: ownerId, organizationId: orgId });
    return { id, minted };
  }

  /** A refresh_token grant at the provider's token endpoint, as any client would send it. */
  async function refreshAtProvider(refreshToken: string): Promise<{ status: number; error?: string }> {
    const response = await fetch(oauth.tokenUrl, {
      method: 'POST',
      headers: {
        authorization: `Basic ${Buffer.from(`${CLIENT.clientId}:${CLIENT.clientSecret}`).toString('base64')}`,
        'content-type': 'application/x-www-form-urlencoded',
      },
      body: new URLSearchParams({ grant_type: 'refresh_token', refresh_token: refreshToken }),
    });
    const body = (await response.json()) as { error?: string };
    return { status: response.status, error: body.error };
  }

  async function stored(id: string) {
    const [row] = await h.t.db.query<Record<string, unknown>>(
      `select status, access_token_encrypted, refresh_token_encrypted, disconnect_reason, consecutive_failures,
              consecutive_transient_failures, last_error_code, last_error, last_failure_at, lease_owner, lease_expires_at,
              provider_called_at, refresh_due_at, token_version
       from public.integrations where id = $1`,
      [id],
    );
    return row!;
  }

  const deliveries = (id: string) =>
    h.t.db.query<{ event_type: string; payload: { data: { integration_id: string; status: string; reason: string } } }>(
      `select event_type, payload from public.webhook_deliveries where payload->'data'->>'integration_id' = $1`,
      [id],
    );
  const audits = (id: string) =>
    h.t.db.query<{ actor: string; action: string; metadata: Record<string, unknown> }>(
      `select actor, action, metadata from public.audit_log where target_id = $1 and action = 'integration.disconnected'`,
      [id],
    );

  it('revokes the grant at the provider, erases the tokens, owes one webhook and audits who did it', async () => {
    const { id, minted } = await connected('alice');
    await h.t.db.query(
      `update public.integrations set consecutive_failures = 2, consecutive_transient_failures = 1, last_error_code = 'invalid_client',
              last_error = 'x', last_failure_at = now() where id = $1`,
      [id],
    );
    const before = await stored(id);

    const result = await disconnect(id);

    expect(result).toEqual({ ok: true, integration_id: id, status: 'disconnected', revoked: true });
    // The provider's grant is gone: the refresh token it issued answers invalid_grant.
    expect(await refreshAtProvider(minted.refreshToken)).toEqual({ status: 400, error: 'invalid_grant' });
    expect(await stored(id)).toMatchObject({
      status: 'disconnected',
      access_token_encrypted: null,
      refresh_token_encrypted: null,
      disconnect_reason: `Disconnected by ${OWNER_EMAIL}`,
      consecutive_failures: 0,
      consecutive_transient_failures: 0,
      last_error_code: null,
      last_error: null,
      last_failure_at: null,
      lease_owner: null,
      lease_expires_at: null,
      provider_called_at: null,
      refresh_due_at: null,
      token_version: Number(before.token_version) + 1,
    });
    const owed = await deliveries(id);
    expect(owed).toHaveLength(1);
    expect(owed[0]).toMatchObject({
      event_type: 'integration.disconnected',
      payload: { data: { integration_id: id, status: 'disconnected', reason: `Disconnected by ${OWNER_EMAIL}` } },
    });
    expect(await audits(id)).toEqual([
      { actor: `user:${ownerId}`, action: 'integration.disconnected', metadata: { provider: 'local', revoked: true, revocation_error: null } },
    ]);
    // Nobody is notified in-app or by email: the person who pressed the button knows.
    const [told] = await h.t.db.query<{ n: number }>(
      `select (select count(*) from public.notifications where integration_id = $1)::int + (select count(*) from public.email_outbox e where e.payload->>'integration_id' = $1::text)::int as n`,
      [id],
    );
    expect(told!.n).toBe(0);
  });

  it('is a no-op the second time: nothing called, owed or audited again', async () => {
    const { id } = await connected('bob');
    await disconnect(id);
    const version = (await stored(id)).token_version;
    const again = await disconnect(id);
    expect(again).toEqual({ ok: true, integration_id: id, status: 'disconnected', revoked: null, already_disconnected: true });
    expect((await stored(id)).token_version).toBe(version);
    expect(await deliveries(id)).toHaveLength(1);
    expect(await audits(id)).toHaveLength(1);
  });

  it('records a revocation endpoint that answers 503 and still disconnects', async () => {
    const { id, minted } = await connected('carol');
    const result = await disconnect(id, { providers: withRevocation(h.providers, 'local', `${failing.url}/revoke`) });
    expect(result).toEqual({ ok: true, integration_id: id, status: 'disconnected', revoked: false, revocation_error: 'http_503' });
    expect(await stored(id)).toMatchObject({ status: 'disconnected', access_token_encrypted: null, refresh_token_encrypted: null });
    expect(await audits(id)).toEqual([
      {
        actor: `user:${ownerId}`,
        action: 'integration.disconnected',
        metadata: { provider: 'local', revoked: false, revocation_error: 'http_503', revocation_http_status: 503 },
      },
    ]);
    expect(await deliveries(id)).toHaveLength(1);
    // The grant is still alive at the provider: that is what the audit row records.
    expect((await refreshAtProvider(minted.refreshToken)).status).toBe(200);
  });

  it('records a revocation endpoint on a closed port and still disconnects', async () => {
    const closed = await startLocalHttpServer('closed', async () => undefined);
    const url = `${closed.url}/revoke`;
    await closed.close();
    const { id } = await connected('dave');
    const result = await disconnect(id, { providers: withRevocation(h.providers, 'local', url) });
    expect(result).toMatchObject({ revoked: false, revocation_error: 'connection_failed', status: 'disconnected' });
    expect(await stored(id)).toMatchObject({ status: 'disconnected', access_token_encrypted: null });
  });

  it('answers revoked: null for a provider without a revocation endpoint and erases all the same', async () => {
    const { id, minted } = await connected('erin', 'local_plain');
    const result = await disconnect(id);
    expect(result).toEqual({ ok: true, integration_id: id, status: 'disconnected', revoked: null });
    expect(await stored(id)).toMatchObject({ status: 'disconnected', access_token_encrypted: null, refresh_token_encrypted: null });
    expect((await refreshAtProvider(minted.refreshToken)).status).toBe(200);
  });

  it('leaves nothing for the refresh engine: no pass calls the provider, no token is handed out, rotation skips it', async () => {
    const { id } = await connected('frank');
    await disconnect(id);
    await h.t.db.query(`update public.integrations set refresh_due_at = now() - interval '1 hour' where id = $1`, [id]);
    const before = oauth.stats();
    await h.pass({}, { providers });
    await h.pass({ force: true, trigger: 'forced' }, { providers });
    await h.pass({ integrationId: id, force: true, trigger: 'manual' }, { providers });
    const after = oauth.stats();
    expect(after.refreshSuccess + after.refreshErrors).toBe(before.refreshSuccess + before.refreshErrors);
    const logs = await h.t.db.query(`select id from public.token_refresh_logs where integration_id = $1`, [id]);
    expect(logs).toEqual([]);

    const error = await getValidAccessTokenWith(h.deps({ providers }), id).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(TokenUnavailableError);
    expect(error).toMatchObject({ reason: 'disconnected', reconnectRequired: true });

    // A new key: the connected row is re-sealed, the erased one is neither opened nor counted as failed.
    const { id: live } = await connected('frank-live');
    const ring = new KeyRing([
      { id: `k-${randomBytes(3).toString('hex')}`, key: randomBytes(32) },
      { id: h.keyRing.activeKeyId, key: h.keyRing.activeKey() },
    ]);
    const rotated = await rotateKeys(h.t.db, ring);
    expect(rotated.failed).toEqual([]);
    expect(rotated.rotated).toBe(1);
    expect(await stored(id)).toMatchObject({ access_token_encrypted: null, refresh_token_encrypted: null });
    expect(await getValidAccessTokenWith(h.deps({ providers, keyRing: ring }), live)).toEqual(expect.any(String));
    await disconnect(live, { keyRing: ring });
  });

  it('wins the race with a refresh in flight: the refresh never writes tokens back, and the rotated token dies with the grant', async () => {
    const { id, minted } = await connected('grace');
    let called!: () => void;
    const providerAnswered = new Promise<void>((resolve) => (called = resolve));
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    let rotated: string | undefined;
    // The provider answers (rotating the token), and the answer reaches the engine only after the disconnect.
    const heldFetch: typeof fetch = async (input, init) => {
      const response = await globalThis.fetch(input, init);
      const text = await response.text();
      rotated = (JSON.parse(text) as { refresh_token?: string }).refresh_token;
      called();
      await gate;
      return new Response(text, { status: response.status, headers: response.headers });
    };
    const pass = h.pass({ integrationId: id, force: true, trigger: 'forced' }, { providers, fetch: heldFetch });
    await providerAnswered;
    expect(rotated).toEqual(expect.any(String));

    const result = await disconnect(id);
    expect(result).toMatchObject({ revoked: true, status: 'disconnected' });
    release();
    const summary = await pass;

    expect(summary.refreshed).toBe(0);
    expect(await stored(id)).toMatchObject({ status: 'disconnected', access_token_encrypted: null, refresh_token_encrypted: null });
    const [log] = await h.t.db.query<{ outcome: string; error_code: string }>(
      `select outcome, error_code from public.token_refresh_logs where integration_id = $1`,
      [id],
    );
    expect(log).toEqual({ outcome: 'skipped', error_code: 'superseded' });
    // Revoking the old refresh token ended the grant, so the successor the refresh received is dead too.
    expect(await refreshAtProvider(rotated!)).toEqual({ status: 400, error: 'invalid_grant' });
    expect(await refreshAtProvider(minted.refreshToken)).toEqual({ status: 400, error: 'invalid_grant' });
    const [told] = await h.t.db.query<{ n: number }>(`select count(*)::int as n from public.notifications where integration_id = $1`, [id]);
    expect(told!.n).toBe(0);
  });

  it('revokes again when a refresh rotates the tokens between its read and its erase', async () => {
    const { id, minted } = await connected('heidi');
    let sent!: () => void;
    const revocationSent = new Promise<void>((resolve) => (sent = resolve));
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const revocations: string[] = [];
    // The first revocation reaches the provider only after a refresh has rotated the tokens.
    const heldFetch: typeof fetch = async (input, init) => {
      revocations.push(new URLSearchParams(String(init?.body)).get('token_type_hint') ?? '');
      if (revocations.length === 1) {
        sent();
        await gate;
      }
      return globalThis.fetch(input, init);
    };
    const disconnecting = disconnect(id, { fetch: heldFetch });
    await revocationSent;
    const refreshed = await h.pass({ integrationId: id, force: true, trigger: 'forced' }, { providers });
    expect(refreshed.refreshed).toBe(1);
    const rotated = await h.tokens(id);
    release();

    expect(await disconnecting).toMatchObject({ revoked: true, status: 'disconnected' });
    expect(revocations).toEqual(['refresh_token', 'refresh_token']);
    expect(await stored(id)).toMatchObject({ status: 'disconnected', access_token_encrypted: null, refresh_token_encrypted: null });
    expect(await refreshAtProvider(rotated.refreshToken!)).toEqual({ status: 400, error: 'invalid_grant' });
    expect(await refreshAtProvider(minted.refreshToken)).toEqual({ status: 400, error: 'invalid_grant' });
    expect(await deliveries(id)).toHaveLength(1);
    expect(await audits(id)).toHaveLength(1);
  });
});
