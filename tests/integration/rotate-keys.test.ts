import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { randomBytes } from 'node:crypto';
import { createTestDatabase, postgresAnswers, type TestDatabase } from '../support/database';
import { insertIntegration, insertOrganization, insertUser } from '../support/fixtures';
import type { Db, Row } from '../../lib/db/client';
import { KeyRing, tokenContext, type EncryptionKey } from '../../lib/crypto/key-ring';
import { rotateKeys } from '../../lib/crypto/rotate-keys';
import { runCli } from '../../lib/cli/run';
import { createWebhookEndpoint, webhookEndpointInputSchema } from '../../lib/notify/webhook-endpoints';
import { webhookSecretContext } from '../../lib/crypto/key-ring';

const hasPostgres = await postgresAnswers();

const key = (id: string): EncryptionKey => ({ id, key: randomBytes(32) });

interface TokenRow extends Row {
  id: string;
  access_token_encrypted: string;
  refresh_token_encrypted: string | null;
  token_key_id: string;
  token_version: number;
}

async function tokenRows(t: TestDatabase): Promise<Map<string, TokenRow>> {
  const rows = await t.db.query<TokenRow>(
    `select id, access_token_encrypted, refresh_token_encrypted, token_key_id, token_version from public.integrations`,
  );
  return new Map(rows.map((row) => [row.id, row]));
}

/** The same database, with a hook that runs after each statement (and sees its text). */
function withHook(db: Db, after: (text: string) => Promise<void>): Db {
  return {
    engine: db.engine,
    get roundTrips() {
      return db.roundTrips;
    },
    async query<T extends Row = Row>(text: string, params?: readonly unknown[]) {
      const rows = await db.query<T>(text, params);
      await after(text);
      return rows;
    },
    exec: (text) => db.exec(text),
    transaction: (fn) => db.transaction(fn),
    close: () => db.close(),
  };
}

const isSelect = (text: string) => /^\s*select\b/i.test(text);
const isUpdate = (text: string) => /^\s*update\b/i.test(text);

describe.skipIf(!hasPostgres)('rotating encryption keys', () => {
  describe('with rows under old keys', () => {
    let t: TestDatabase;
    const [newKey, oldKey, olderKey] = [key('new'), key('old'), key('older')];
    const ring = new KeyRing([newKey, oldKey, olderKey]);
    const plaintexts = new Map<string, { access: string; refresh: string | null }>();
    let alreadyNew: string;

    beforeAll(async () => {
      t = await createTestDatabase({ engine: 'postgres' });
      const user = await insertUser(t.db, 'rotate@example.com');
      const seal = async (sealer: KeyRing, i: number, refresh: boolean) => {
        const access = `access-${sealer.activeKeyId}-${i}`;
        const refreshToken = refresh ? `refresh-${sealer.activeKeyId}-${i}` : null;
        const id = await insertIntegration(t.db, sealer, { userId: user, accessToken: access, refreshToken });
        plaintexts.set(id, { access, refresh: refreshToken });
        return id;
      };
      for (let i = 0; i < 7; i += 1) await seal(new KeyRing([oldKey]), i, i % 3 !== 0);
      for (let i = 0; i < 3; i += 1) await seal(new KeyRing([olderKey]), i, true);
      alreadyNew = await seal(new KeyRing([newKey]), 0, true);
    });
    afterAll(async () => t?.drop());

    it('re-encrypts every row under the active key, in batches, keeping the plaintexts', async () => {
      const before = await tokenRows(t);
      const statements: string[] = [];
      const result = await rotateKeys(
        withHook(t.db, async (text) => {
          statements.push(text);
        }),
        ring,
        { batchSize: 3 },
      );
      expect(result).toEqual({ activeKeyId: 'new', rotated: 10, webhookSecretsRotated: 0, changedConcurrently: 0, failed: [] });
      // Ten rows three at a time: four batches, each one update.
      expect(statements.filter(isUpdate)).toHaveLength(4);

      const after = await tokenRows(t);
      const onlyNew = new KeyRing([newKey]);
      for (const [id, row] of after) {
        expect(row.token_key_id).toBe('new');
        expect(KeyRing.keyIdOf(row.access_token_encrypted)).toBe('new');
        expect(onlyNew.decrypt(row.access_token_encrypted, tokenContext.access(id))).toBe(plaintexts.get(id)!.access);
        const refresh = plaintexts.get(id)!.refresh;
        if (refresh === null) {
          expect(row.refresh_token_encrypted).toBeNull();
        } else {
          expect(KeyRing.keyIdOf(row.refresh_token_encrypted!)).toBe('new');
          expect(onlyNew.decrypt(row.refresh_token_encrypted!, tokenContext.refresh(id))).toBe(refresh);
        }
        if (id !== alreadyNew) expect(row.access_token_encrypted).not.toBe(before.get(id)!.access_token_encrypted);
      }
      // A row already under the active key is not touched.
      expect(after.get(alreadyNew)).toEqual(before.get(alreadyNew));
    });

    it('rotates nothing when run again', async () => {
      const before = await tokenRows(t);
      expect(await rotateKeys(t.db, ring, { batchSize: 3 })).toEqual({
        activeKeyId: 'new',
        rotated: 0,
        webhookSecretsRotated: 0,
        changedConcurrently: 0,
        failed: [],
      });
      expect(await tokenRows(t)).toEqual(before);
    });
  });

  describe('with rows it cannot open', () => {
    let t: TestDatabase;
    const [newKey, oldKey] = [key('new'), key('old')];
    const ring = new KeyRing([newKey, oldKey]);
    const ids: string[] = [];
    let tampered: string;
    let lost: string;

    beforeAll(async () => {
      t = await createTestDatabase({ engine: 'postgres' });
      const user = await insertUser(t.db, 'broken@example.com');
      const oldRing = new KeyRing([oldKey]);
      for (let i = 0; i < 4; i += 1) ids.push(await insertIntegration(t.db, oldRing, { userId: user, accessToken: `SECRET-access-${i}` }));
      // Sealed with a key that is no longer in the ring.
      lost = await insertIntegration(t.db, new KeyRing([key('lost')]), { userId: user, accessToken: 'SECRET-lost' });
      // Only the refresh token is damaged: the access token must not be rewritten alone.
      tampered = ids[1]!;
      const [row] = await t.db.query<{ refresh_token_encrypted: string }>(
        `select refresh_token_encrypted from public.integrations where id = $1`,
        [tampered],
      );
      const parts = row!.refresh_token_encrypted.split('.');
      const body = Buffer.from(parts[3]!, 'base64url');
      body[0] = body[0]! ^ 0xff;
      parts[3] = body.toString('base64url');
      await t.db.query(`update public.integrations set refresh_token_encrypted = $2 where id = $1`, [tampered, parts.join('.')]);
    });
    afterAll(async () => t?.drop());

    it('reports a tampered row and a row under an unknown key by id, leaves them as they are, and rotates the rest', async () => {
      const before = await tokenRows(t);
      const result = await rotateKeys(t.db, ring, { batchSize: 2 });
      expect(result.rotated).toBe(3);
      expect(result.changedConcurrently).toBe(0);
      expect(result.failed).toHaveLength(2);
      expect(result.failed).toEqual(
        expect.arrayContaining([
          { integrationId: tampered, reason: expect.stringMatching(/failed authentication/) },
          { integrationId: lost, reason: expect.stringMatching(/sealed with key "lost"/) },
        ]),
      );
      expect(JSON.stringify(result)).not.toContain('SECRET');

      const after = await tokenRows(t);
      expect(after.get(tampered)).toEqual(before.get(tampered));
      expect(after.get(lost)).toEqual(before.get(lost));
      for (const id of ids.filter((id) => id !== tampered)) {
        expect(after.get(id)!.token_key_id).toBe('new');
        expect(ring.decrypt(after.get(id)!.access_token_encrypted, tokenContext.access(id))).toMatch(/^SECRET-access-/);
      }
    });
  });

  describe('while a refresh writes new tokens', () => {
    let t: TestDatabase;
    const [newKey, oldKey] = [key('new'), key('old')];
    const ring = new KeyRing([newKey, oldKey]);
    const ids: string[] = [];

    beforeAll(async () => {
      t = await createTestDatabase({ engine: 'postgres' });
      const user = await insertUser(t.db, 'racing@example.com');
      for (let i = 0; i < 5; i += 1) {
        ids.push(await insertIntegration(t.db, new KeyRing([oldKey]), { userId: user, accessToken: `access-${i}`, refreshToken: `refresh-${i}` }));
      }
    });
    afterAll(async () => t?.drop());

    it('does not overwrite tokens whose version changed between its read and its write', async () => {
      const victim = ids[2]!;
      let raced = false;
      // Right after rotation reads its first batch, a refresh stores new tokens for one row
      // (as the refresh engine does: sealed with the active key, token_version bumped).
      const racing = withHook(t.db, async (text) => {
        if (raced || !isSelect(text)) return;
        raced = true;
        await t.db.query(
          `update public.integrations
           set access_token_encrypted = $2, refresh_token_encrypted = $3, token_key_id = $4, token_version = token_version + 1
           where id = $1`,
          [
            victim,
            ring.encrypt('access-from-refresh', tokenContext.access(victim)),
            ring.encrypt('refresh-from-refresh', tokenContext.refresh(victim)),
            ring.activeKeyId,
          ],
        );
      });
      const result = await rotateKeys(racing, ring, { batchSize: 10 });
      expect(raced).toBe(true);
      expect(result).toEqual({ activeKeyId: 'new', rotated: 4, webhookSecretsRotated: 0, changedConcurrently: 1, failed: [] });

      const after = await tokenRows(t);
      expect(after.get(victim)!.token_version).toBe(2);
      expect(ring.decrypt(after.get(victim)!.access_token_encrypted, tokenContext.access(victim))).toBe('access-from-refresh');
      expect(ring.decrypt(after.get(victim)!.refresh_token_encrypted!, tokenContext.refresh(victim))).toBe('refresh-from-refresh');
      for (const [index, id] of ids.entries()) {
        if (id === victim) continue;
        expect(after.get(id)!.token_key_id).toBe('new');
        expect(ring.decrypt(after.get(id)!.access_token_encrypted, tokenContext.access(id))).toBe(`access-${index}`);
      }
    });
  });

  describe('from the CLI', () => {
    let t: TestDatabase;
    const [newKey, oldKey] = [key('new'), key('old')];
    const asEnv = (...keys: EncryptionKey[]) => keys.map((k) => `${k.id}:${k.key.toString('base64')}`).join(',');

    beforeAll(async () => {
      t = await createTestDatabase({ engine: 'postgres' });
      const user = await insertUser(t.db, 'cli-rotate@example.com');
      for (let i = 0; i < 6; i += 1) await insertIntegration(t.db, new KeyRing([oldKey]), { userId: user });
    });
    afterAll(async () => t?.drop());

    const run = async (keys: string) => {
      let stdout = '';
      let stderr = '';
      const code = await runCli(['rotate-keys', '--json'], {
        stdout: (text) => (stdout += text),
        stderr: (text) => (stderr += text),
        env: { DATABASE_URL: t.url!, TOKEN_ENCRYPTION_KEYS: keys, NODE_ENV: 'test' },
      });
      expect(stdout.trimEnd().split('\n')).toHaveLength(1);
      return { code, doc: JSON.parse(stdout) as Record<string, unknown>, stderr };
    };

    it('re-encrypts under the new first key after TOKEN_ENCRYPTION_KEYS becomes new,old', async () => {
      const first = await run(asEnv(newKey, oldKey));
      expect(first.code).toBe(0);
      expect(first.doc).toEqual({ ok: true, activeKeyId: 'new', rotated: 6, webhookSecretsRotated: 0, changedConcurrently: 0, failed: [] });
      const [row] = await t.db.query<{ keys: string[] }>(`select array_agg(distinct token_key_id) as keys from public.integrations`);
      expect(row!.keys).toEqual(['new']);

      const again = await run(asEnv(newKey, oldKey));
      expect(again.doc).toMatchObject({ ok: true, rotated: 0 });
    });

    it('exits 1 with ok false and the ids when some rows cannot be opened', async () => {
      const [user] = await t.db.query<{ id: string }>(`select id from auth.users limit 1`);
      const lost = await insertIntegration(t.db, new KeyRing([key('lost')]), { userId: user!.id });
      const result = await run(asEnv(newKey, oldKey));
      expect(result.code).toBe(1);
      expect(result.doc).toEqual({
        ok: false,
        activeKeyId: 'new',
        rotated: 0,
        webhookSecretsRotated: 0,
        changedConcurrently: 0,
        failed: [{ integrationId: lost, reason: expect.stringContaining('"lost"') }],
      });
    });
  });
});

describe('rotating the webhook signing secrets with the tokens', () => {
  it('re-seals every endpoint secret under the active key, so the old key can be removed', async () => {
    const t = await createTestDatabase();
    try {
      const oldKey = { id: 'old', key: randomBytes(32) };
      const newKey = { id: 'new', key: randomBytes(32) };
      const owner = await insertUser(t.db, 'owner@example.com');
      const org = await insertOrganization(t.db, 'Hooks Inc', [{ userId: owner, role: 'owner' }]);
      const created = await createWebhookEndpoint(
        t.db,
        new KeyRing([oldKey]),
        org,
        webhookEndpointInputSchema.parse({ url: 'https://hooks.example.com/tw' }),
        { actor: 'test:rotate-keys' },
      );
      const result = await rotateKeys(t.db, new KeyRing([newKey, oldKey]));
      expect(result.webhookSecretsRotated).toBe(1);
      const [row] = await t.db.query<{ secret_encrypted: string; secret_key_id: string }>(
        `select secret_encrypted, secret_key_id from public.webhook_endpoints where id = $1`,
        [created.id],
      );
      expect(row!.secret_key_id).toBe('new');
      expect(new KeyRing([newKey]).decrypt(row!.secret_encrypted, webhookSecretContext(created.id))).toBe(created.secret);
    } finally {
      await t.drop();
    }
  });
});
