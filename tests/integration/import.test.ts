import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../support/database';
import { insertUser, testKeyRing } from '../support/fixtures';
import type { Db, Queryable, Row } from '../../lib/db/client';
import { KeyRing, tokenContext } from '../../lib/crypto/key-ring';
import { loadProviderRegistry } from '../../lib/providers/registry';
import { ImportValidationError, validateImportFile, type ImportProblem } from '../../lib/import/validate';
import { importConnections, type ImportResult } from '../../lib/import/import-connections';

const providers = loadProviderRegistry({ env: {} });
const known = new Set(providers.ids());
const NOW = new Date('2026-03-01T12:00:00.000Z');

async function runImport(db: Db, keyRing: KeyRing, data: unknown, options: { batchSize?: number; actor?: string } = {}): Promise<ImportResult> {
  return importConnections(db, validateImportFile(data, known), { keyRing, providers, now: () => NOW, ...options });
}

/** The ImportValidationError a call throws, or a failure when it does not throw one. */
async function refusal(fn: () => unknown): Promise<ImportValidationError> {
  try {
    await fn();
  } catch (error) {
    if (error instanceof ImportValidationError) return error;
    throw error;
  }
  throw new Error('expected the import to be refused');
}

async function counts(db: Queryable): Promise<Record<string, number>> {
  const [row] = await db.query<{ integrations: number; users: number; organizations: number; members: number; audit: number }>(
    `select (select count(*)::int from public.integrations) as integrations,
            (select count(*)::int from auth.users) as users,
            (select count(*)::int from public.organizations) as organizations,
            (select count(*)::int from public.organization_members) as members,
            (select count(*)::int from public.audit_log) as audit`,
  );
  return row!;
}

const good = (overrides: Record<string, unknown> = {}) => ({
  user_email: 'someone@example.com',
  provider: 'google',
  access_token: 'ya29.good-access-token',
  ...overrides,
});

describe('importing a well-formed file', () => {
  let t: TestDatabase;
  const ring = testKeyRing();
  let result: ImportResult;
  const file = [
    {
      user_email: 'alice@example.com',
      provider: 'google',
      access_token: 'ya29.alice-google-access',
      refresh_token: '1//alice-google-refresh',
      expires_in: 3600,
      scopes: ['openid', 'email'],
      account_label: 'alice@gmail.com',
      organization: 'Acme',
    },
    { user_email: 'bob@example.com', provider: 'slack', access_token: 'xoxb-bob-slack-access', organization: 'Acme' },
    {
      user_email: 'Alice@Example.com',
      provider: 'hubspot',
      access_token: 'hubspot-alice-access',
      refresh_token: 'hubspot-alice-refresh',
      expires_at: '2026-03-01T12:30:00Z',
      refresh_token_expires_at: '2026-09-01T00:00:00Z',
      organization: 'Globex',
    },
    { user_email: 'carol@example.com', provider: 'google', access_token: 'ya29.carol-access', refresh_token: '1//carol-refresh' },
    { user_email: 'carol@example.com', provider: 'notion', access_token: 'secret_carol_notion' },
    { user_email: 'dave@example.com', provider: 'github', access_token: 'ghu_dave', expires_at: '2026-03-02T00:00:00+02:00' },
  ];

  interface IntegrationRow extends Row {
    id: string;
    user_id: string;
    organization_id: string | null;
    provider: string;
    account_label: string | null;
    status: string;
    access_token_encrypted: string;
    refresh_token_encrypted: string | null;
    token_key_id: string;
    scopes: string[];
    expires_at: Date | null;
    refresh_token_expires_at: Date | null;
  }
  let rows: IntegrationRow[];
  let userIds: Map<string, string>;
  let orgIds: Map<string, string>;

  beforeAll(async () => {
    t = await createTestDatabase();
    result = await runImport(t.db, ring, file, { actor: 'test:import' });
    const found = await t.db.query<IntegrationRow>(`select * from public.integrations where id = any($1::uuid[])`, [result.ids]);
    rows = result.ids.map((id) => found.find((row) => row.id === id)!);
    const users = await t.db.query<{ id: string; email: string }>(`select id, email from auth.users`);
    userIds = new Map(users.map((user) => [user.email, user.id]));
    const orgs = await t.db.query<{ id: string; name: string }>(`select id, name from public.organizations`);
    orgIds = new Map(orgs.map((org) => [org.name, org.id]));
  });
  afterAll(async () => t?.drop());

  it('returns the count and one id per entry, in file order, and every row is readable', async () => {
    expect(result.imported).toBe(file.length);
    expect(result.ids).toHaveLength(file.length);
    expect(new Set(result.ids).size).toBe(file.length);
    expect(rows.every(Boolean)).toBe(true);
    expect(rows.map((row) => row.provider)).toEqual(file.map((entry) => entry.provider));
    expect(rows.every((row) => row.status === 'connected')).toBe(true);
  });

  it('stores tokens only encrypted, bound to their row and field, under the active key', async () => {
    file.forEach((entry, index) => {
      const row = rows[index]!;
      expect(row.token_key_id).toBe(ring.activeKeyId);
      expect(KeyRing.keyIdOf(row.access_token_encrypted)).toBe(ring.activeKeyId);
      expect(row.access_token_encrypted).not.toContain(entry.access_token);
      expect(ring.decrypt(row.access_token_encrypted, tokenContext.access(row.id))).toBe(entry.access_token);
      if (entry.refresh_token) {
        expect(row.refresh_token_encrypted).not.toContain(entry.refresh_token);
        expect(ring.decrypt(row.refresh_token_encrypted!, tokenContext.refresh(row.id))).toBe(entry.refresh_token);
      } else {
        expect(row.refresh_token_encrypted).toBeNull();
      }
    });
    // Bound to the row: another row's context does not open it.
    expect(() => ring.decrypt(rows[0]!.access_token_encrypted, tokenContext.access(rows[1]!.id))).toThrow();
  });

  it('creates each user once, by lower-cased email, in the users table it owns', async () => {
    expect([...userIds.keys()].sort()).toEqual(['alice@example.com', 'bob@example.com', 'carol@example.com', 'dave@example.com']);
    expect(rows[0]!.user_id).toBe(userIds.get('alice@example.com'));
    expect(rows[2]!.user_id).toBe(userIds.get('alice@example.com'));
    expect(rows[1]!.user_id).toBe(userIds.get('bob@example.com'));
    expect(rows[3]!.user_id).toBe(userIds.get('carol@example.com'));
    expect(rows[4]!.user_id).toBe(userIds.get('carol@example.com'));
    expect(rows[5]!.user_id).toBe(userIds.get('dave@example.com'));
  });

  it('creates a shared organization once and makes each of its users an owner who manages integrations', async () => {
    expect([...orgIds.keys()].sort()).toEqual(['Acme', 'Globex']);
    expect(rows.map((row) => row.organization_id)).toEqual([
      orgIds.get('Acme'),
      orgIds.get('Acme'),
      orgIds.get('Globex'),
      null,
      null,
      null,
    ]);
    const members = await t.db.query<{ name: string; email: string; role: string; can_manage_integrations: boolean }>(
      `select o.name, u.email, m.role, m.can_manage_integrations
       from public.organization_members m
       join public.organizations o on o.id = m.organization_id
       join auth.users u on u.id = m.user_id
       order by o.name, u.email`,
    );
    expect(members).toEqual([
      { name: 'Acme', email: 'alice@example.com', role: 'owner', can_manage_integrations: true },
      { name: 'Acme', email: 'bob@example.com', role: 'owner', can_manage_integrations: true },
      { name: 'Globex', email: 'alice@example.com', role: 'owner', can_manage_integrations: true },
    ]);
  });

  it('keeps scopes and account labels, and defaults them to none', async () => {
    expect(rows[0]!.scopes).toEqual(['openid', 'email']);
    expect(rows[0]!.account_label).toBe('alice@gmail.com');
    expect(rows[4]!.scopes).toEqual([]);
    expect(rows[4]!.account_label).toBeNull();
  });

  it('computes expires_in from the injected clock and keeps expires_at and refresh_token_expires_at as given', async () => {
    expect(rows[0]!.expires_at!.toISOString()).toBe('2026-03-01T13:00:00.000Z');
    expect(rows[2]!.expires_at!.toISOString()).toBe('2026-03-01T12:30:00.000Z');
    expect(rows[2]!.refresh_token_expires_at!.toISOString()).toBe('2026-09-01T00:00:00.000Z');
    expect(rows[5]!.expires_at!.toISOString()).toBe('2026-03-01T22:00:00.000Z');
    expect(rows[0]!.refresh_token_expires_at).toBeNull();
  });

  it('without an expiry, treats a token as due now when its provider has a lifetime, and as not expiring when not', async () => {
    expect(providers.get('google')!.accessToken.lifetimeSeconds).not.toBeNull();
    expect(providers.get('slack')!.accessToken.lifetimeSeconds).toBeNull();
    expect(providers.get('notion')!.accessToken.lifetimeSeconds).toBeNull();
    expect(rows[3]!.expires_at!.toISOString()).toBe(NOW.toISOString()); // google
    expect(rows[1]!.expires_at).toBeNull(); // slack
    expect(rows[4]!.expires_at).toBeNull(); // notion
  });

  it('writes an audit log entry per organization with the counts and the actor', async () => {
    const audit = await t.db.query<{ organization_id: string | null; actor: string; action: string; metadata: { count: number } }>(
      `select organization_id, actor, action, metadata from public.audit_log order by organization_id nulls last`,
    );
    expect(audit.every((row) => row.action === 'integrations.imported' && row.actor === 'test:import')).toBe(true);
    const byOrg = new Map(audit.map((row) => [row.organization_id, row.metadata.count]));
    expect(byOrg).toEqual(new Map([[orgIds.get('Acme')!, 2], [orgIds.get('Globex')!, 1], [null, 3]]));
  });

  it('finds an existing user whose email differs only in case instead of creating a second one', async () => {
    const erin = await insertUser(t.db, 'Erin@Example.com');
    const second = await runImport(t.db, ring, [good({ user_email: 'erin@example.com', organization: 'Acme' })]);
    const [row] = await t.db.query<{ user_id: string; organization_id: string }>(
      `select user_id, organization_id from public.integrations where id = $1`,
      [second.ids[0]],
    );
    expect(row!.user_id).toBe(erin);
    const [{ same }] = (await t.db.query<{ same: number }>(
      `select count(*)::int as same from auth.users where lower(email) = 'erin@example.com'`,
    )) as [{ same: number }];
    expect(same).toBe(1);
    // An organization that already exists is joined, not duplicated.
    expect(row!.organization_id).toBe(orgIds.get('Acme'));
    const [{ acme }] = (await t.db.query<{ acme: number }>(
      `select count(*)::int as acme from public.organizations where name = 'Acme'`,
    )) as [{ acme: number }];
    expect(acme).toBe(1);
  });
});

describe('refusing a malformed file', () => {
  type Case = [string, unknown, { field: string | null; message: RegExp }];
  const cases: Case[] = [
    ['an entry that is not an object', 'alice@example.com', { field: null, message: /must be an object/ }],
    ['an entry that is null', null, { field: null, message: /must be an object/ }],
    ['a missing user_email', { provider: 'google', access_token: 'tok' }, { field: 'user_email', message: /is required/ }],
    ['an invalid email', good({ user_email: 'not-an-email' }), { field: 'user_email', message: /must be an email address/ }],
    ['a missing provider', { user_email: 'a@example.com', access_token: 'tok' }, { field: 'provider', message: /is required/ }],
    ['an unknown provider', good({ provider: 'myspace' }), { field: 'provider', message: /unknown provider "myspace" \(known: .*google/ }],
    ['an empty access_token', good({ access_token: '' }), { field: 'access_token', message: /must not be empty/ }],
    ['a missing access_token', { user_email: 'a@example.com', provider: 'google' }, { field: 'access_token', message: /is required/ }],
    ['an empty refresh_token', good({ refresh_token: '' }), { field: 'refresh_token', message: /must not be empty when given/ }],
    [
      'both expires_at and expires_in',
      good({ expires_at: '2026-03-01T13:00:00Z', expires_in: 3600 }),
      { field: 'expires_in', message: /give expires_at or expires_in, not both/ },
    ],
    ['an expires_at that is not ISO-8601', good({ expires_at: '03/01/2026 13:00' }), { field: 'expires_at', message: /must be an ISO-8601 date-time/ }],
    ['an expires_at date without a time', good({ expires_at: '2026-03-01' }), { field: 'expires_at', message: /must be an ISO-8601 date-time/ }],
    ['a negative expires_in', good({ expires_in: -60 }), { field: 'expires_in', message: /must be greater than 0/ }],
    ['a zero expires_in', good({ expires_in: 0 }), { field: 'expires_in', message: /must be greater than 0/ }],
    ['a fractional expires_in', good({ expires_in: 1.5 }), { field: 'expires_in', message: /must be a whole number of seconds/ }],
    ['an expires_in given as a string', good({ expires_in: '3600' }), { field: 'expires_in', message: /must be a number of seconds/ }],
    [
      'an invalid refresh_token_expires_at',
      good({ refresh_token_expires_at: 'next year' }),
      { field: 'refresh_token_expires_at', message: /must be an ISO-8601 date-time/ },
    ],
    ['scopes that are not an array', good({ scopes: 'openid email' }), { field: 'scopes', message: /must be an array of strings/ }],
    ['scopes containing a non-string', good({ scopes: ['openid', 42] }), { field: 'scopes[1]', message: /expected string/ }],
    ['an unknown field', good({ refresh_tokn: '1//typo-refresh' }), { field: 'refresh_tokn', message: /unknown field/ }],
    ['a blank organization', good({ organization: '   ' }), { field: 'organization', message: /must not be blank when given/ }],
    ['a blank account_label', good({ account_label: '' }), { field: 'account_label', message: /must not be blank when given/ }],
  ];

  it.each(cases)('refuses %s, naming the entry and the field', (_name, entry, expected) => {
    // The bad entry is the second one: the index named must be its own, not the first's.
    const error = (() => {
      try {
        validateImportFile([good(), entry, good()], known);
      } catch (caught) {
        return caught;
      }
      return undefined;
    })();
    expect(error).toBeInstanceOf(ImportValidationError);
    const { problems, message } = error as ImportValidationError;
    expect(problems).toEqual([{ index: 1, field: expected.field, message: expect.stringMatching(expected.message) }]);
    const where = expected.field === null ? 'entry 1:' : `entry 1, field "${expected.field}":`;
    expect(message).toContain(where);
    expect(message).toMatch(expected.message);
    expect(message).toMatch(/nothing was imported/);
  });

  it('refuses a file that is not an array, as a whole', () => {
    for (const data of [{ user_email: 'a@example.com' }, 'text', 42, null]) {
      const error = (() => {
        try {
          validateImportFile(data, known);
        } catch (caught) {
          return caught as ImportValidationError;
        }
        throw new Error('expected a refusal');
      })();
      expect(error).toBeInstanceOf(ImportValidationError);
      expect(error.problems).toEqual([{ index: null, field: null, message: 'must be a JSON array of connections' }]);
      expect(error.message).toContain('file: must be a JSON array of connections');
    }
  });

  it('reports an unknown provider beside the other problems of the same entry', async () => {
    const error = await refusal(() => validateImportFile([good({ provider: 'myspace', expires_in: 'soon' })], known));
    expect(error.problems.map((problem) => problem.field).sort()).toEqual(['expires_in', 'provider']);
  });

  describe('with several bad entries', () => {
    let t: TestDatabase;
    const ring = testKeyRing();
    beforeAll(async () => {
      t = await createTestDatabase();
    });
    afterAll(async () => t?.drop());

    it('reports every bad entry and writes nothing', async () => {
      const before = await counts(t.db);
      const file = [
        good({ user_email: 'ok@example.com', organization: 'Acme' }),
        good({ user_email: 'broken' }),
        good({ user_email: 'ok2@example.com' }),
        good({ provider: 'myspace' }),
        good({ expires_in: -1, refresh_tokn: 'x' }),
        7,
      ];
      const error = await refusal(() => runImport(t.db, ring, file));
      const where = (problem: ImportProblem) => `${problem.index}:${problem.field}`;
      expect(error.problems.map(where).sort()).toEqual(['1:user_email', '3:provider', '4:expires_in', '4:refresh_tokn', '5:null']);
      expect(error.message).toMatch(/\(5 problems\)/);
      for (const line of ['entry 1, field "user_email"', 'entry 3, field "provider"', 'entry 4, field "expires_in"', 'entry 4, field "refresh_tokn"', 'entry 5: must be an object']) {
        expect(error.message).toContain(line);
      }
      expect(await counts(t.db)).toEqual(before);
      expect(before).toEqual({ integrations: 0, users: 0, organizations: 0, members: 0, audit: 0 });
    });

    it('never puts a token from the file into its messages', async () => {
      const secrets = ['SECRET-access-111', 'SECRET-refresh-222', 'SECRET-typo-333', 'SECRET-access-444', 'SECRET-access-555'];
      const file = [
        good({ access_token: secrets[0], refresh_token: secrets[1], expires_in: 'tomorrow' }),
        good({ access_token: secrets[3], refresh_tokn: secrets[2], provider: 'myspace' }),
        { user_email: secrets[4], provider: 'google', access_token: secrets[4] },
        good({ access_token: 42, refresh_token: ['SECRET-in-array-666'] }),
      ];
      const error = await refusal(() => runImport(t.db, ring, file));
      const shown = `${error.message}\n${JSON.stringify(error.problems)}`;
      for (const secret of [...secrets, 'SECRET-in-array-666']) expect(shown).not.toContain(secret);
      expect(shown).not.toContain('SECRET');
    });
  });
});

describe('nothing is half-imported when the database refuses', () => {
  it('refuses unknown emails on a users table it does not own, naming the entries, and writes nothing', async () => {
    const t = await createTestDatabase();
    try {
      const ring = testKeyRing();
      // Supabase Auth's users table: Tokenwarden must not create users in it.
      await t.db.exec(`comment on table auth.users is null`);
      await insertUser(t.db, 'known@example.com');
      const file = [
        good({ user_email: 'known@example.com', organization: 'Acme', access_token: 'SECRET-known-1' }),
        good({ user_email: 'stranger@example.com', organization: 'Acme', access_token: 'SECRET-stranger-2' }),
        good({ user_email: 'Known@Example.com', access_token: 'SECRET-known-3' }),
        good({ user_email: 'nobody@example.com', refresh_token: 'SECRET-nobody-4' }),
      ];
      const error = await refusal(() => runImport(t.db, ring, file));
      expect(error.problems).toEqual([
        { index: 1, field: 'user_email', message: expect.stringMatching(/no user with this email/) },
        { index: 3, field: 'user_email', message: expect.stringMatching(/no user with this email/) },
      ]);
      expect(error.message).toContain('entry 1, field "user_email"');
      expect(error.message).toContain('entry 3, field "user_email"');
      expect(error.message).not.toContain('SECRET');
      expect(await counts(t.db)).toEqual({ integrations: 0, users: 1, organizations: 0, members: 0, audit: 0 });

      // The same table with only known users: imported, and no user created.
      const ok = await runImport(t.db, ring, [file[0], file[2]]);
      expect(ok.imported).toBe(2);
      expect(await counts(t.db)).toMatchObject({ integrations: 2, users: 1, organizations: 1 });
    } finally {
      await t.drop();
    }
  });

  it('rolls back the batches already written when a later batch fails', async () => {
    const t = await createTestDatabase();
    try {
      const ring = testKeyRing();
      // A constraint only this database has, which the third entry breaks.
      await t.db.exec(
        `alter table public.integrations add constraint test_no_poison check (account_label is distinct from 'poison')`,
      );
      const file = [
        good({ user_email: 'a@example.com', organization: 'Acme', access_token: 'SECRET-a' }),
        good({ user_email: 'b@example.com', organization: 'Acme', access_token: 'SECRET-b' }),
        good({ user_email: 'c@example.com', account_label: 'poison', access_token: 'SECRET-c', refresh_token: 'SECRET-c-refresh' }),
        good({ user_email: 'd@example.com', organization: 'Globex', access_token: 'SECRET-d' }),
        good({ user_email: 'e@example.com', access_token: 'SECRET-e' }),
      ];
      // Record the statements the transaction completed, to show the failure came mid-way.
      const completed: string[] = [];
      const recording: Db = {
        engine: t.db.engine,
        get roundTrips() {
          return t.db.roundTrips;
        },
        query: (text, params) => t.db.query(text, params),
        exec: (text) => t.db.exec(text),
        close: () => t.db.close(),
        transaction: (fn) =>
          t.db.transaction((tx) =>
            fn({
              async query<T extends Row = Row>(text: string, params?: readonly unknown[]) {
                const rows = await tx.query<T>(text, params);
                completed.push(text.trim().split(/\s+/).slice(0, 3).join(' '));
                return rows;
              },
              exec: (text) => tx.exec(text),
            }),
          ),
      };
      const error: unknown = await runImport(recording, ring, file, { batchSize: 2 }).then(
        () => undefined,
        (caught: unknown) => caught,
      );
      expect(error).toBeInstanceOf(Error);
      expect((error as Error).message).toMatch(/test_no_poison/);
      expect(String(error)).not.toContain('SECRET');
      expect(completed.filter((text) => text === 'insert into public.integrations')).toHaveLength(1);
      expect(await counts(t.db)).toEqual({ integrations: 0, users: 0, organizations: 0, members: 0, audit: 0 });
    } finally {
      await t.drop();
    }
  });
});

describe('a large import', () => {
  let t: TestDatabase;
  beforeAll(async () => {
    t = await createTestDatabase();
  });
  afterAll(async () => t?.drop());

  it('imports 10,000 connections in one go', async () => {
    const ring = testKeyRing();
    const providerIds = ['google', 'slack', 'hubspot', 'github', 'microsoft'];
    const file = Array.from({ length: 10_000 }, (_, i) => ({
      user_email: `user${i % 2000}@example.com`,
      provider: providerIds[i % providerIds.length]!,
      access_token: `access-${i}`,
      ...(i % 3 === 0 ? {} : { refresh_token: `refresh-${i}` }),
      ...(i % 2 === 0 ? { expires_in: 3600 } : {}),
      scopes: ['read', 'write'],
      ...(i % 10 === 0 ? { organization: `Org ${i % 50}` } : {}),
    }));
    const started = performance.now();
    const result = await runImport(t.db, ring, file);
    const elapsed = performance.now() - started;
    console.log(`imported 10,000 connections in ${elapsed.toFixed(0)} ms (validation included)`);
    expect(result.imported).toBe(10_000);
    expect(new Set(result.ids).size).toBe(10_000);
    const [row] = await t.db.query<{ integrations: number; users: number; organizations: number }>(
      `select (select count(*)::int from public.integrations) as integrations,
              (select count(*)::int from auth.users) as users,
              (select count(*)::int from public.organizations) as organizations`,
    );
    expect(row).toEqual({ integrations: 10_000, users: 2000, organizations: 5 });
    const [last] = await t.db.query<{ access_token_encrypted: string }>(
      `select access_token_encrypted from public.integrations where id = $1`,
      [result.ids[9999]],
    );
    expect(ring.decrypt(last!.access_token_encrypted, tokenContext.access(result.ids[9999]!))).toBe('access-9999');
  }, 120_000);
});
