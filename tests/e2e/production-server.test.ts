import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomBytes } from 'node:crypto';
import request from 'supertest';
import { createTestDatabase, type TestDatabase } from '../support/database';
import { ensureBuild, freePort, startNext, type RunningServer } from '../support/next-server';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import { KeyRing, tokenContext } from '../../lib/crypto/key-ring';
import { startLocalOAuthProvider, type LocalOAuthProvider } from '../../lib/demo/local-oauth-provider';
import { insertUser } from '../support/fixtures';

const baseEnv = () => ({
  PATH: process.env.PATH,
  HOME: process.env.HOME,
  NODE_ENV: 'production',
});

const CLIENT = { clientId: 'tw-e2e', clientSecret: 'tw-e2e-secret' };

describe('the production server (next build + next start)', () => {
  let t: TestDatabase;
  let server: RunningServer;
  let unconfigured: RunningServer;
  let oauth: LocalOAuthProvider;
  let keyRing: KeyRing;
  let userId: string;
  const cronSecret = randomBytes(24).toString('hex');

  beforeAll(async () => {
    ensureBuild();
    t = await createTestDatabase();
    oauth = await startLocalOAuthProvider({ clients: [{ ...CLIENT, auth: 'client_secret_basic' }] });
    const providersFile = join(mkdtempSync(join(tmpdir(), 'tw-e2e-')), 'providers.json');
    writeFileSync(
      providersFile,
      JSON.stringify({ providers: [{ id: 'local', name: 'Local OAuth', tokenUrl: oauth.tokenUrl, ...CLIENT, clientAuth: 'client_secret_basic' }] }),
    );
    const key = randomBytes(32);
    keyRing = new KeyRing([{ id: 'k1', key }]);
    userId = await insertUser(t.db, 'e2e@example.com');
    const env = {
      ...baseEnv(),
      DATABASE_URL: t.url ?? undefined,
      TOKEN_ENCRYPTION_KEYS: `k1:${key.toString('base64')}`,
      TOKENWARDEN_PROVIDERS_FILE: providersFile,
    };
    [server, unconfigured] = await Promise.all([
      startNext({ ...env, CRON_SECRET: cronSecret }, await freePort()),
      startNext(env, await freePort()),
    ]);
  }, 240_000);

  afterAll(async () => {
    await server?.stop();
    await unconfigured?.stop();
    await oauth?.close();
    await t?.drop();
  });

  async function seedDue(): Promise<{ id: string; accessToken: string; refreshToken: string }> {
    const minted = await oauth.mintTokens({ accountId: randomUUID(), clientId: CLIENT.clientId });
    const id = randomUUID();
    const expires = new Date(Date.now() + 60_000).toISOString();
    await t.db.query(
      `insert into public.integrations (id, user_id, provider, access_token_encrypted, refresh_token_encrypted, token_key_id, expires_at, refresh_due_at)
       values ($1, $2, 'local', $3, $4, 'k1', $5, $5)`,
      [id, userId, keyRing.encrypt(minted.accessToken, tokenContext.access(id)), keyRing.encrypt(minted.refreshToken, tokenContext.refresh(id)), expires],
    );
    return { id, ...minted };
  }

  it('answers 401 to the cron route without the secret, with a wrong one and with "Bearer undefined"', async () => {
    for (const header of [undefined, 'Bearer wrong', 'Bearer undefined', cronSecret]) {
      const call = request(server.url).get('/api/cron/token-refresh');
      const response = await (header ? call.set('Authorization', header) : call);
      expect(response.status).toBe(401);
      expect(response.body).toEqual({ error: 'Unauthorized' });
    }
  });

  it('runs a refresh pass with the secret and answers the summary, per-integration results only when verbose', async () => {
    const due = await seedDue();
    const response = await request(server.url).get('/api/cron/token-refresh?verbose=true').set('Authorization', `Bearer ${cronSecret}`);
    expect(response.status).toBe(200);
    expect(response.body).toMatchObject({ ok: true, claimed: 1, refreshed: 1, transientFailures: 0, authFailures: 0, configFailures: 0, disconnected: 0 });
    for (const key of ['runId', 'startedAt', 'durationMs', 'skipped', 'notificationsCreated', 'emailsQueued']) expect(response.body).toHaveProperty(key);
    expect(response.body.results).toEqual([expect.objectContaining({ integrationId: due.id, provider: 'local', outcome: 'refreshed', attempts: 1 })]);
    expect(response.text).not.toContain(due.accessToken);
    expect(response.text).not.toContain(due.refreshToken);
    const [row] = await t.db.query<{ token_version: number }>(`select token_version from public.integrations where id = $1`, [due.id]);
    expect(row!.token_version).toBe(2);

    const quiet = await request(server.url).get('/api/cron/token-refresh').set('Authorization', `Bearer ${cronSecret}`);
    expect(quiet.status).toBe(200);
    expect(quiet.body.results).toBeUndefined();
  });

  it('answers 400 naming the parameter for bad query input', async () => {
    const response = await request(server.url).get('/api/cron/token-refresh?verbose=maybe').set('Authorization', `Bearer ${cronSecret}`);
    expect(response.status).toBe(400);
    expect(response.body).toMatchObject({ field: 'verbose' });
  });

  it('answers 500 and does no work when CRON_SECRET is unset', async () => {
    const due = await seedDue();
    const response = await request(unconfigured.url).get('/api/cron/token-refresh').set('Authorization', 'Bearer undefined');
    expect(response.status).toBe(500);
    expect(response.body.error).toMatch(/CRON_SECRET is not configured/);
    const logs = await t.db.query(`select 1 from public.token_refresh_logs where integration_id = $1`, [due.id]);
    expect(logs).toEqual([]);
  });

  it('sends a visitor without a session to the sign-in page', async () => {
    const response = await request(server.url).get('/').redirects(0);
    expect(response.status).toBe(307);
    expect(response.headers.location).toMatch(/\/sign-in$/);
  });

  it('refuses the local demo sign-in in production', async () => {
    const page = await request(server.url).get('/sign-in');
    expect(page.status).toBe(200);
    expect(page.text).toContain('Local sign-in is refused on deployments');
    const response = await request(server.url)
      .post('/api/auth/local-sign-in')
      .set('Origin', server.url)
      .type('form')
      .send({ email: 'anyone@example.com' });
    expect(response.status).toBe(403);
    expect(response.headers['set-cookie']).toBeUndefined();
  });

  it('sends the security headers on pages, redirects, API answers and not-found pages', async () => {
    const responses = {
      'GET /sign-in': await request(server.url).get('/sign-in'),
      'GET /': await request(server.url).get('/').redirects(0),
      'GET /api/cron/token-refresh': await request(server.url).get('/api/cron/token-refresh'),
      'GET /no-such-page': await request(server.url).get('/no-such-page'),
      'POST /api/auth/local-sign-in': await request(server.url)
        .post('/api/auth/local-sign-in')
        .set('Origin', server.url)
        .type('form')
        .send({ email: 'x@example.com' }),
    };
    expect(Object.values(responses).map((response) => response.status)).toEqual([200, 307, 401, 404, 403]);
    for (const [where, response] of Object.entries(responses)) {
      const csp = String(response.headers['content-security-policy']);
      const directives = new Map(csp.split(';').map((directive) => {
        const [name, ...values] = directive.trim().split(/\s+/);
        return [name, values] as const;
      }));
      expect(directives.get('frame-ancestors'), where).toEqual(["'none'"]);
      expect(directives.get('default-src'), where).toEqual(["'self'"]);
      expect(directives.get('object-src'), where).toEqual(["'none'"]);
      // Production never allows eval; only `next dev` needs it.
      expect(directives.get('script-src'), where).not.toContain("'unsafe-eval'");
      expect(response.headers['x-frame-options'], where).toBe('DENY');
      expect(response.headers['x-content-type-options'], where).toBe('nosniff');
      expect(response.headers['referrer-policy'], where).toBe('same-origin');
    }
  });

  it('has no dev mailbox without TOKENWARDEN_LOCAL_AUTH', async () => {
    expect((await request(server.url).get('/dev/mailbox')).status).toBe(404);
    expect((await request(server.url).get('/sign-in')).text).not.toContain('Dev mailbox');
  });

  it('does not advertise the framework', async () => {
    const response = await request(server.url).get('/sign-in');
    expect(response.headers['x-powered-by']).toBeUndefined();
  });
});

describe('start-up configuration check', () => {
  beforeAll(() => ensureBuild(), 240_000);

  it('refuses to start in production without TOKEN_ENCRYPTION_KEYS, naming the variable', async () => {
    const port = await freePort();
    const server = await startNext({ ...baseEnv(), DATABASE_URL: 'postgres://postgres@127.0.0.1:5432/postgres' }, port);
    const code = await Promise.race([server.exited, new Promise((r) => setTimeout(() => r('running'), 20_000))]);
    await server.stop();
    expect(code).toBe(1);
    expect(server.output()).toMatch(/TOKEN_ENCRYPTION_KEYS: required when NODE_ENV=production/);
  });

  it('refuses to start with TOKENWARDEN_LOCAL_AUTH=1 on a Vercel deployment, naming the variable and the signal', async () => {
    const port = await freePort();
    const server = await startNext(
      { ...baseEnv(), TOKEN_ENCRYPTION_KEYS: `k1:${randomBytes(32).toString('base64')}`, TOKENWARDEN_LOCAL_AUTH: '1', VERCEL: '1', VERCEL_ENV: 'preview' },
      port,
    );
    const code = await Promise.race([server.exited, new Promise((r) => setTimeout(() => r('running'), 20_000))]);
    await server.stop();
    expect(code).toBe(1);
    expect(server.output()).toMatch(/TOKENWARDEN_LOCAL_AUTH: refused because VERCEL is set and VERCEL_ENV is set/);
  });

  it('refuses to start with a malformed variable, naming it', async () => {
    const port = await freePort();
    const server = await startNext(
      { ...baseEnv(), TOKEN_ENCRYPTION_KEYS: `k1:${randomBytes(32).toString('base64')}`, REFRESH_CONCURRENCY: 'lots' },
      port,
    );
    const code = await Promise.race([server.exited, new Promise((r) => setTimeout(() => r('running'), 20_000))]);
    await server.stop();
    expect(code).toBe(1);
    expect(server.output()).toMatch(/REFRESH_CONCURRENCY: must be a whole number/);
  });
});
