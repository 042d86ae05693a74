import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isOperator } from '../../lib/auth/operators';
import { migrate } from '../../lib/db/migrate';
import { createTestDatabase, postgresAnswers, type TestDatabase } from '../support/database';
import { insertUser } from '../support/fixtures';

describe('operators by verified identity', () => {
  let t: TestDatabase;
  const ids: Record<string, string> = {};

  beforeAll(async () => {
    t = await createTestDatabase();
    for (const name of ['confirmed', 'unconfirmed', 'vouched', 'other-role', 'unlisted']) {
      ids[name] = await insertUser(t.db, `${name}@example.com`);
    }
    await t.db.query(`update auth.users set email_confirmed_at = now() where id in ($1, $2)`, [ids.confirmed, ids.unlisted]);
    await t.db.query(`update auth.users set raw_app_meta_data = '{"provider": "email", "tokenwarden_role": "operator"}' where id = $1`, [ids.vouched]);
    await t.db.query(`update auth.users set raw_app_meta_data = '{"tokenwarden_role": "admin", "role": "operator"}' where id = $1`, [ids['other-role']]);
  });
  afterAll(async () => t?.drop());

  const LIST = ['Confirmed@Example.com', 'unconfirmed@example.com', 'VOUCHED@example.com', 'other-role@example.com'];

  it('counts a listed address once it is confirmed, compared without regard to letter case', async () => {
    expect(await isOperator(t.db, ids.confirmed!, LIST)).toBe(true);
  });

  it('counts a listed address that app_metadata vouches for', async () => {
    expect(await isOperator(t.db, ids.vouched!, LIST)).toBe(true);
  });

  it('refuses a listed address that is neither confirmed nor vouched for', async () => {
    expect(await isOperator(t.db, ids.unconfirmed!, LIST)).toBe(false);
    expect(await isOperator(t.db, ids['other-role']!, LIST)).toBe(false);
  });

  it('refuses a confirmed address that is not listed, and everyone when the list is empty', async () => {
    expect(await isOperator(t.db, ids.unlisted!, LIST)).toBe(false);
    expect(await isOperator(t.db, ids.confirmed!, [])).toBe(false);
    expect(await isOperator(t.db, '00000000-0000-4000-8000-000000000000', LIST)).toBe(false);
  });
});

describe('the hardening migration on Supabase', () => {
  let t: TestDatabase | undefined;
  afterAll(async () => t?.drop());

  it("leaves an auth.users that already has Supabase's columns exactly as it was", async ({ skip }) => {
    if (!(await postgresAnswers())) skip('no PostgreSQL server here');
    t = await createTestDatabase({ engine: 'postgres', migrated: false });
    // Supabase's own table (in part), present before the migrations run.
    await t.db.exec(`create schema auth;
      create table auth.users (id uuid primary key default gen_random_uuid(), email varchar(255),
        email_confirmed_at timestamptz, raw_app_meta_data jsonb, raw_user_meta_data jsonb, created_at timestamptz);`);
    const columns = () =>
      t!.db.query<{ attname: string; type: string }>(
        `select attname, format_type(atttypid, atttypmod) as type from pg_attribute
         where attrelid = 'auth.users'::regclass and attnum > 0 and not attisdropped order by attnum`,
      );
    const before = await columns();
    await migrate(t.db);
    expect(await columns()).toEqual(before);
    const [owned] = await t.db.query<{ comment: string | null }>(`select obj_description('auth.users'::regclass, 'pg_class') as comment`);
    expect(owned!.comment).toBeNull();
  });
});
