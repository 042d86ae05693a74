import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { request as httpRequest } from 'node:http';
import request from 'supertest';
import { createTestDatabase, type TestDatabase } from '../support/database';
import { ensureBuild, freePort, startNext, type RunningServer, supabaseServerEnv } from '../support/next-server';
import { insertOrganization, insertUser } from '../support/fixtures';
import { startSupabaseAuthMock, type MockSupabaseAuth } from '../support/supabase-auth-mock';
import { MAX_BODY_BYTES } from '../../lib/http/read-body';
import { MAX_WEBHOOK_ENDPOINTS_PER_ORGANIZATION } from '../../lib/notify/webhook-endpoints';

/** The webhook endpoints API over real HTTP: bodies capped, endpoints capped, changes audited. */
describe('webhook endpoints API (next start, Supabase Auth)', () => {
  let t: TestDatabase;
  let server: RunningServer;
  let auth: MockSupabaseAuth;
  let owner: string;
  let org: string;
  let token: string;

  beforeAll(async () => {
    ensureBuild();
    t = await createTestDatabase();
    auth = await startSupabaseAuthMock();
    owner = await insertUser(t.db, 'owner@example.com');
    token = auth.accessToken({ id: owner, email: 'owner@example.com' });
    org = await insertOrganization(t.db, 'Hooked', [{ userId: owner, role: 'owner' }]);
    server = await startNext(supabaseServerEnv({ databaseUrl: t.url ?? undefined, auth }), await freePort());
  }, 240_000);

  afterAll(async () => {
    await server?.stop();
    await auth?.close();
    await t?.drop();
  });

  const path = () => `/api/dashboard/${org}/webhooks`;

  /** A POST whose body is sent in chunks with no Content-Length, as a client may. */
  function postChunked(chunks: number, chunkBytes: number): Promise<{ status: number; body: unknown }> {
    return new Promise((resolve, reject) => {
      const url = new URL(path(), server.url);
      const req = httpRequest(
        url,
        { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', 'transfer-encoding': 'chunked' } },
        (res) => {
          let text = '';
          res.on('data', (chunk: Buffer) => (text += chunk.toString()));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, body: JSON.parse(text) }));
        },
      );
      // The server may answer and stop reading before the last chunk: that is the point.
      req.on('error', reject);
      const chunk = Buffer.alloc(chunkBytes, 0x20);
      let sent = 0;
      const next = () => {
        while (sent < chunks) {
          sent += 1;
          if (!req.write(chunk)) return void req.once('drain', next);
        }
        req.end();
      };
      next();
    });
  }

  it('creates an endpoint, and the audit log says who did it, without the secret', async () => {
    const response = await request(server.url)
      .post(path())
      .set('Authorization', `Bearer ${token}`)
      .send({ url: 'https://hooks.example.com/tw?token=receiver-secret', events: ['integration.disconnected'] });
    expect(response.status).toBe(201);
    const rows = await t.db.query<{ actor: string; action: string; target_id: string; metadata: unknown }>(
      `select actor, action, target_id, metadata from public.audit_log where organization_id = $1`,
      [org],
    );
    expect(rows).toEqual([
      {
        actor: `user:${owner}`,
        action: 'webhook_endpoint.created',
        target_id: response.body.id,
        metadata: { origin: 'https://hooks.example.com', events: ['integration.disconnected'] },
      },
    ]);
    expect(JSON.stringify(rows)).not.toContain(response.body.secret);

    const deleted = await request(server.url).delete(`${path()}/${response.body.id}`).set('Authorization', `Bearer ${token}`);
    expect(deleted.status).toBe(200);
    const [last] = await t.db.query<{ action: string; actor: string }>(
      `select action, actor from public.audit_log where organization_id = $1 and target_id = $2 order by created_at desc limit 1`,
      [org, response.body.id],
    );
    expect(last).toEqual({ action: 'webhook_endpoint.deleted', actor: `user:${owner}` });
  });

  it('refuses a body over the limit with 413 naming it', async () => {
    const response = await request(server.url)
      .post(path())
      .set('Authorization', `Bearer ${token}`)
      .set('Content-Type', 'application/json')
      .send(JSON.stringify({ url: 'https://hooks.example.com/tw', description: 'x'.repeat(MAX_BODY_BYTES) }));
    expect(response.status).toBe(413);
    expect(response.body).toEqual({ error: 'Payload too large', message: `request body must be at most ${MAX_BODY_BYTES} bytes`, limit: MAX_BODY_BYTES });
  });

  it('counts a chunked body without Content-Length and refuses it past the limit', async () => {
    const response = await postChunked(100, 1024);
    expect(response.status).toBe(413);
    expect(response.body).toMatchObject({ limit: MAX_BODY_BYTES });
    const endpoints = await t.db.query(`select id from public.webhook_endpoints where organization_id = $1`, [org]);
    expect(endpoints).toEqual([]);
  });

  it('refuses malformed JSON with 400 saying so', async () => {
    const response = await request(server.url)
      .post(path())
      .set('Authorization', `Bearer ${token}`)
      .set('Content-Type', 'application/json')
      .send('{"url": "https://hooks.example.com/tw"');
    expect(response.status).toBe(400);
    expect(response.body).toEqual({ error: 'Invalid input', field: null, message: 'body must be valid JSON' });
  });

  it(`adds up to ${MAX_WEBHOOK_ENDPOINTS_PER_ORGANIZATION} endpoints, then refuses the next with 409 naming the limit`, async () => {
    // An organization of its own, so the other cases' counts stay theirs.
    const capped = await insertOrganization(t.db, 'Capped', [{ userId: owner, role: 'owner' }]);
    const add = (i: number) =>
      request(server.url)
        .post(`/api/dashboard/${capped}/webhooks`)
        .set('Authorization', `Bearer ${token}`)
        .send({ url: `https://hooks.example.com/tokenwarden/${i}`, events: ['integration.disconnected'] });
    for (let i = 0; i < MAX_WEBHOOK_ENDPOINTS_PER_ORGANIZATION; i += 1) {
      const added = await add(i);
      expect(added.status, JSON.stringify(added.body)).toBe(201);
    }
    const refused = await add(MAX_WEBHOOK_ENDPOINTS_PER_ORGANIZATION);
    expect(refused.status).toBe(409);
    expect(refused.body).toEqual({
      error: 'Limit reached',
      field: null,
      message: `an organization can have at most ${MAX_WEBHOOK_ENDPOINTS_PER_ORGANIZATION} webhook endpoints; delete one first`,
      limit: MAX_WEBHOOK_ENDPOINTS_PER_ORGANIZATION,
    });
    const listed = await request(server.url).get(`/api/dashboard/${capped}/webhooks`).set('Authorization', `Bearer ${token}`);
    expect(listed.body.endpoints).toHaveLength(MAX_WEBHOOK_ENDPOINTS_PER_ORGANIZATION);

    // Deleting one makes room again.
    const removed = await request(server.url).delete(`/api/dashboard/${capped}/webhooks/${listed.body.endpoints[0].id}`).set('Authorization', `Bearer ${token}`);
    expect(removed.status).toBe(200);
    expect((await add(99)).status).toBe(201);
  });
});
