import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../support/database';
import { insertIntegration, insertUser, testKeyRing } from '../support/fixtures';

/** record_refresh_results: a busy pass's batched writes. */
describe('batched result writes', () => {
  let t: TestDatabase;
  let ids: string[];

  beforeAll(async () => {
    t = await createTestDatabase();
    const user = await insertUser(t.db, 'batch@example.com');
    const ring = testKeyRing();
    ids = [];
    for (let i = 0; i < 3; i += 1) ids.push(await insertIntegration(t.db, ring, { userId: user, provider: 'google' }));
  });
  afterAll(async () => t?.drop());

  it('records a failure only for the worker that holds the row; new tokens whoever holds it', async () => {
    const [id] = ids;
    await t.db.query(`update public.integrations set lease_owner = 'someone_else', lease_expires_at = now() + interval '2 minutes' where id = $1`, [id]);
    const [failure] = await t.db.query<{ recorded: unknown }>(`select public.record_refresh_result($1::jsonb) as recorded`, [JSON.stringify(result(id!))]);
    expect(failure!.recorded).toBeNull();
    const withTokens = result(id!, {
      tokens: { access_token_encrypted: 'tw1.k.a.b.c', token_key_id: 'k', expires_at: new Date(Date.now() + 3600_000).toISOString() },
      state: { status: 'connected', consecutive_failures: 0, consecutive_transient_failures: 0, last_error_code: null, last_error: null, disconnect_reason: null },
      log: { provider: 'google', trigger: 'cron', outcome: 'refreshed', error_code: null, http_status: null, duration_ms: 5, attempts: 1, metadata: {} },
    });
    const [stored] = await t.db.query<{ recorded: { token_version: number } }>(`select public.record_refresh_result($1::jsonb) as recorded`, [JSON.stringify(withTokens)]);
    expect(stored!.recorded.token_version).toBe(2);
    // Undo for the next test: back to version 1 with the original row state.
    await t.db.query(`update public.integrations set token_version = 1, lease_owner = null, lease_expires_at = null where id = $1`, [id]);
    await t.db.query(`delete from public.token_refresh_logs`);
  });

  const result = (id: string, overrides: Record<string, unknown> = {}) => ({
    integration_id: id,
    expected_version: 1,
    lease_owner: 'run_test',
    now: new Date().toISOString(),
    tokens: null,
    state: {
      status: 'connected',
      consecutive_failures: 0,
      consecutive_transient_failures: 1,
      last_failure_at: new Date().toISOString(),
      last_error_code: 'http_503',
      last_error: 'The provider answered 503',
      disconnect_reason: null,
    },
    log: { provider: 'google', trigger: 'cron', outcome: 'transient_failure', error_code: 'http_503', http_status: 503, duration_ms: 5, attempts: 1, metadata: {} },
    notifications: [],
    emails: [],
    webhooks: [],
    ...overrides,
  });

  it('applies each result on its own: one that cannot be written is reported, the others land', async () => {
    await t.db.query(`update public.integrations set lease_owner = 'run_test', lease_expires_at = now() + interval '2 minutes'`);
    const bad = result(ids[1]!, {
      notifications: [{ user_id: '00000000-0000-4000-8000-000000000000', type: 'not_a_type', severity: 'warning', title: 't', message: 'm', metadata: { provider: 'google' }, dedupe_key: 'k' }],
    });
    const stale = result(ids[2]!, { expected_version: 99 });
    const [row] = await t.db.query<{ recorded: unknown[] }>(`select public.record_refresh_results($1::jsonb) as recorded`, [
      JSON.stringify([result(ids[0]!), bad, stale]),
    ]);
    expect(row!.recorded[0]).toMatchObject({ token_version: 1, notifications: 0, emails: 0, webhooks: 0 });
    expect(row!.recorded[1]).toMatchObject({ error: expect.stringMatching(/^23/) });
    expect(row!.recorded[2]).toBeNull(); // compare-and-swap refused: nothing written
    const states = await t.db.query<{ id: string; consecutive_transient_failures: number }>(
      `select id, consecutive_transient_failures from public.integrations`,
    );
    const byId = new Map(states.map((s) => [s.id, s.consecutive_transient_failures]));
    expect(byId.get(ids[0]!)).toBe(1);
    expect(byId.get(ids[1]!)).toBe(0); // its whole write rolled back, not half of it
    expect(byId.get(ids[2]!)).toBe(0);
    const logs = await t.db.query<{ integration_id: string }>(`select integration_id from public.token_refresh_logs`);
    expect(logs.map((l) => l.integration_id)).toEqual([ids[0]]);
  });
});
