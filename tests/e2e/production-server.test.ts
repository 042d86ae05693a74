import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomBytes } from 'node:crypto';
import request from 'supertest';
import { createTestDatabase, type TestDatabase } from '../support/database';
import { ensureBuild, freePort, startNext, type RunningServer } from '../support/next-server';

const baseEnv = () => ({
  PATH: process.env.PATH,
  HOME: process.env.HOME,
  NODE_ENV: 'production',
});

describe('the production server (next build + next start)', () => {
  let t: TestDatabase;
  let server: RunningServer;

  beforeAll(async () => {
    ensureBuild();
    t = await createTestDatabase();
    const port = await freePort();
    server = await startNext(
      {
        ...baseEnv(),
        DATABASE_URL: t.url ?? undefined,
        TOKEN_ENCRYPTION_KEYS: `k1:${randomBytes(32).toString('base64')}`,
        CRON_SECRET: randomBytes(24).toString('hex'),
      },
      port,
    );
  }, 240_000);

  afterAll(async () => {
    await server?.stop();
    await t?.drop();
  });

  it('sends a visitor without a session to the sign-in page', async () => {
    const response = await request(server.url).get('/').redirects(0);
    expect(response.status).toBe(307);
    expect(response.headers.location).toMatch(/\/sign-in$/);
  });

  it('refuses the local demo sign-in in production', async () => {
    const page = await request(server.url).get('/sign-in');
    expect(page.status).toBe(200);
    expect(page.text).toContain('Local sign-in is disabled in production');
    const response = await request(server.url)
      .post('/api/auth/local-sign-in')
      .set('Origin', server.url)
      .type('form')
      .send({ email: 'anyone@example.com' });
    expect(response.status).toBe(403);
    expect(response.headers['set-cookie']).toBeUndefined();
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
