import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, postgresAnswers, type TestDatabase } from '../support/database';

const engines = ['postgres', 'pglite'] as const;

describe.each(engines)('the %s client', (engine) => {
  let t: TestDatabase | undefined;
  beforeAll(async () => {
    if (engine === 'postgres' && !(await postgresAnswers())) return;
    t = await createTestDatabase({ engine, migrated: false });
  });
  afterAll(async () => t?.drop());

  it('binds JSON text and objects to jsonb parameters the same way', async ({ skip }) => {
    if (!t) skip('no PostgreSQL server here');
    const [fromText] = await t!.db.query<{ a: string; kind: string }>(
      `select $1::jsonb ->> 'a' as a, jsonb_typeof($1::jsonb) as kind`,
      [JSON.stringify({ a: 'x' })],
    );
    expect(fromText).toEqual({ a: 'x', kind: 'object' });
    const [fromObject] = await t!.db.query<{ n: number }>(`select jsonb_array_length($1::jsonb)::int as n`, [[1, 2, 3]]);
    expect(fromObject?.n).toBe(3);
  });

  it('returns jsonb columns as objects, int8 as numbers and timestamptz as dates', async ({ skip }) => {
    if (!t) skip('no PostgreSQL server here');
    const [row] = await t!.db.query<{ j: unknown; big: unknown; at: unknown }>(
      `select '{"k":[1,2]}'::jsonb as j, 9007199254740::int8 as big, '2026-11-25T10:00:00Z'::timestamptz as at`,
    );
    expect(row?.j).toEqual({ k: [1, 2] });
    expect(row?.big).toBe(9007199254740);
    expect(row?.at).toBeInstanceOf(Date);
    expect((row?.at as Date).toISOString()).toBe('2026-11-25T10:00:00.000Z');
  });

  it('rolls a failed transaction back whole', async ({ skip }) => {
    if (!t) skip('no PostgreSQL server here');
    await t!.db.exec(`create table if not exists tx_probe (id int primary key)`);
    await expect(
      t!.db.transaction(async (tx) => {
        await tx.query(`insert into tx_probe values (1)`);
        await tx.query(`insert into tx_probe values (1)`);
      }),
    ).rejects.toThrow();
    expect(await t!.db.query(`select * from tx_probe`)).toEqual([]);
  });

  it('counts round trips', async ({ skip }) => {
    if (!t) skip('no PostgreSQL server here');
    const before = t!.db.roundTrips;
    await t!.db.query(`select 1`);
    await t!.db.query(`select 2`);
    expect(t!.db.roundTrips - before).toBe(2);
  });
});
