import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { databaseFailure, describeDatabaseError, isDatabaseUnreachable } from '../../lib/db/errors';
import { withCron } from '../../lib/cron/with-cron';
import { RefreshPassInterruptedError, type InterruptedPassSummary } from '../../lib/refresh/run-pass';

const coded = (code: string, message = 'failed') => Object.assign(new Error(message), { code });

describe('what a database error says', () => {
  it('calls an unreachable or restarting server unavailable', () => {
    for (const code of ['ECONNREFUSED', 'ECONNRESET', 'CONNECTION_CLOSED', 'CONNECT_TIMEOUT', '57P01', '08006', '53300', '57014', '25P03']) {
      expect(databaseFailure(coded(code)), code).toBe('unavailable');
      expect(isDatabaseUnreachable(coded(code)), code).toBe(true);
    }
  });

  it('calls lock timeouts, deadlocks and serialization failures contention', () => {
    for (const code of ['55P03', '40P01', '40001']) expect(databaseFailure(coded(code)), code).toBe('contention');
  });

  it('calls a statement the server answered and refused refused', () => {
    for (const code of ['23505', '22P02', '42883', 'P0001']) {
      expect(databaseFailure(coded(code)), code).toBe('refused');
      expect(isDatabaseUnreachable(coded(code)), code).toBe(false);
    }
  });

  it('treats an error without any code as unavailable (retry) but not as proof of an outage', () => {
    expect(databaseFailure(new Error('socket hang'))).toBe('unavailable');
    expect(isDatabaseUnreachable(new Error('socket hang'))).toBe(false);
    expect(databaseFailure(new Error('wrapped', { cause: coded('23505') }))).toBe('refused');
  });

  it('never prints a password from a connection string', () => {
    const text = describeDatabaseError(coded('ECONNREFUSED', 'connect to postgres://app:s3cret@db.example.com:5432/x failed'));
    expect(text).not.toContain('s3cret');
    expect(text).toContain('ECONNREFUSED');
  });
});

describe('a cron job that lost its database', () => {
  const secret = 'a-cron-secret-of-some-length';
  const call = (error: unknown) =>
    withCron('test', z.strictObject({}), async () => Promise.reject(error), { secret: () => secret })(
      new Request('http://app.test/api/cron/test', { headers: { authorization: `Bearer ${secret}` } }),
    );

  it('answers 503 with the interrupted pass summary, counts kept', async () => {
    const summary: InterruptedPassSummary = {
      ok: false,
      error: 'database_unreachable',
      message: 'The database was unreachable during this refresh pass (ECONNREFUSED).',
      runId: 'run_x',
      startedAt: new Date(0).toISOString(),
      durationMs: 10,
      claimed: 40,
      refreshed: 30,
      skipped: 0,
      transientFailures: 0,
      authFailures: 0,
      configFailures: 0,
      disconnected: 0,
      notificationsCreated: 0,
      emailsQueued: 0,
      budgetExhausted: false,
      released: 10,
      writeFailures: 0,
      lostInFlight: 0,
      leasesLost: 0,
    };
    const response = await call(new RefreshPassInterruptedError(summary));
    expect(response.status).toBe(503);
    expect(response.headers.get('retry-after')).toBe('60');
    expect(await response.json()).toEqual(summary);
  });

  it('answers 503 saying the database was unreachable, not only the socket error', async () => {
    const response = await call(coded('ECONNREFUSED', 'connect ECONNREFUSED 127.0.0.1:5432'));
    expect(response.status).toBe(503);
    const body = (await response.json()) as { error: string; message: string };
    expect(body.error).toBe('database_unreachable');
    expect(body.message).toMatch(/^The database was unreachable \(connect ECONNREFUSED 127\.0\.0\.1:5432\)/);
  });
});
