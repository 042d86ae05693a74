import { afterEach, describe, expect, it, vi } from 'vitest';
import { z } from 'zod';
import { booleanParam, CronInputError, withCron } from '../../lib/cron/with-cron';
import { checkCronAuthorization } from '../../lib/auth/cron-secret';
import { DeliverPassInterruptedError } from '../../lib/notify/deliver';
import { ExpiryCheckInterruptedError } from '../../lib/refresh/check-expiring';

const SECRET = 'a-cron-secret-of-some-length';

function route(handler = async (): Promise<object> => ({ ok: true }), secret: string | null = SECRET) {
  let calls = 0;
  const get = withCron(
    'test',
    z.strictObject({ verbose: booleanParam }),
    async (context) => {
      calls += 1;
      return { ...(await handler()), verbose: context.query.verbose };
    },
    { secret: () => secret ?? undefined },
  );
  return { get, calls: () => calls };
}

const request = (headers: Record<string, string> = {}, url = 'http://app.test/api/cron/test', method = 'GET') =>
  new Request(url, { method, headers });

describe('checkCronAuthorization', () => {
  it('fails closed when no secret is configured, even for "Bearer undefined"', () => {
    expect(checkCronAuthorization('Bearer undefined', undefined)).toBe('unconfigured');
    expect(checkCronAuthorization(null, undefined)).toBe('unconfigured');
  });

  it('accepts only the exact bearer secret', () => {
    expect(checkCronAuthorization(`Bearer ${SECRET}`, SECRET)).toBe('ok');
    expect(checkCronAuthorization(`Bearer ${SECRET}x`, SECRET)).toBe('unauthorized');
    expect(checkCronAuthorization(SECRET, SECRET)).toBe('unauthorized');
    expect(checkCronAuthorization('Bearer undefined', SECRET)).toBe('unauthorized');
    expect(checkCronAuthorization(null, SECRET)).toBe('unauthorized');
  });
});

describe('withCron', () => {
  it('answers 401 without doing any work when the bearer is missing, wrong or "Bearer undefined"', async () => {
    const { get, calls } = route();
    for (const headers of [{} as Record<string, string>, { authorization: 'Bearer nope' }, { authorization: 'Bearer undefined' }, { authorization: SECRET }]) {
      const response = await get(request(headers));
      expect(response.status).toBe(401);
      expect(await response.json()).toEqual({ error: 'Unauthorized' });
    }
    expect(calls()).toBe(0);
  });

  it('answers 500 and does nothing when CRON_SECRET is unset', async () => {
    const { get, calls } = route(undefined, null);
    const response = await get(request({ authorization: 'Bearer undefined' }));
    expect(response.status).toBe(500);
    expect((await response.json()).error).toMatch(/CRON_SECRET is not configured/);
    expect(calls()).toBe(0);
  });

  it('runs the job and answers its JSON summary with the right secret', async () => {
    const { get, calls } = route();
    const response = await get(request({ authorization: `Bearer ${SECRET}` }, 'http://app.test/api/cron/test?verbose=true'));
    expect(response.status).toBe(200);
    expect(response.headers.get('cache-control')).toBe('no-store');
    expect(await response.json()).toEqual({ ok: true, verbose: true });
    expect(calls()).toBe(1);
  });

  it('refuses other methods with 405', async () => {
    const { get, calls } = route();
    const response = await get(request({ authorization: `Bearer ${SECRET}` }, undefined, 'POST'));
    expect(response.status).toBe(405);
    expect(response.headers.get('allow')).toBe('GET');
    expect(calls()).toBe(0);
  });

  it('answers 400 naming the field for bad query input', async () => {
    const { get, calls } = route();
    const bad = await get(request({ authorization: `Bearer ${SECRET}` }, 'http://app.test/api/cron/test?verbose=maybe'));
    expect(bad.status).toBe(400);
    expect(await bad.json()).toMatchObject({ error: 'Invalid query', field: 'verbose' });
    const unknown = await get(request({ authorization: `Bearer ${SECRET}` }, 'http://app.test/api/cron/test?force=1'));
    expect(unknown.status).toBe(400);
    expect(calls()).toBe(0);
  });

  it('maps a failing job to 500 without a stack or the error text', async () => {
    const { get } = route(async () => {
      throw new Error('connection to db.internal:5432 refused with password hunter2');
    });
    const response = await get(request({ authorization: `Bearer ${SECRET}` }));
    expect(response.status).toBe(500);
    const text = await response.text();
    expect(JSON.parse(text)).toEqual({ error: 'Internal error', job: 'test' });
    expect(text).not.toMatch(/hunter2|at .*\.ts/);
  });

  it('maps an input error thrown by the job to 400 with the field', async () => {
    const { get } = route(async () => {
      throw new CronInputError('provider', 'unknown provider');
    });
    const response = await get(request({ authorization: `Bearer ${SECRET}` }));
    expect(response.status).toBe(400);
    expect(await response.json()).toMatchObject({ field: 'provider' });
  });
});

describe('withCron before the caller is authenticated', () => {
  afterEach(() => {
    vi.unstubAllEnvs();
    vi.resetModules();
  });

  /** A cron route over the real process configuration: a fresh module, so getEnv parses the stubbed environment. */
  async function routeOverProcessEnv(env: Record<string, string | undefined>) {
    for (const [name, value] of Object.entries(env)) vi.stubEnv(name, value);
    vi.resetModules();
    const { withCron: fresh } = await import('../../lib/cron/with-cron');
    let calls = 0;
    const get = fresh('test', z.strictObject({}), async () => {
      calls += 1;
      return { ok: true };
    });
    return { get, calls: () => calls };
  }

  it('says nothing about an invalid configuration to a caller without the right secret', async () => {
    const { get, calls } = await routeOverProcessEnv({ CRON_SECRET: SECRET, REFRESH_CONCURRENCY: 'lots' });
    for (const headers of [{} as Record<string, string>, { authorization: 'Bearer wrong' }, { authorization: 'Bearer undefined' }]) {
      const response = await get(request(headers));
      expect(response.status).toBe(401);
      const text = await response.text();
      expect(JSON.parse(text)).toEqual({ error: 'Unauthorized' });
      expect(text).not.toMatch(/REFRESH_CONCURRENCY|configuration/i);
    }
    expect(calls()).toBe(0);
  });

  it('answers only the generic 500 when CRON_SECRET is unset, whatever else is wrong', async () => {
    const { get, calls } = await routeOverProcessEnv({ CRON_SECRET: undefined, REFRESH_CONCURRENCY: 'lots', DATABASE_URL: 'mysql://nope' });
    const response = await get(request({ authorization: 'Bearer undefined' }));
    expect(response.status).toBe(500);
    const text = await response.text();
    expect(JSON.parse(text)).toEqual({ error: 'CRON_SECRET is not configured; cron routes are disabled' });
    expect(text).not.toMatch(/REFRESH_CONCURRENCY|DATABASE_URL/);
    expect(calls()).toBe(0);
  });

  it('tells the authorized caller what is misconfigured, and runs nothing', async () => {
    const { get, calls } = await routeOverProcessEnv({ CRON_SECRET: SECRET, REFRESH_CONCURRENCY: 'lots' });
    const response = await get(request({ authorization: `Bearer ${SECRET}` }));
    expect(response.status).toBe(500);
    const body = await response.json();
    expect(body.error).toBe('Invalid configuration');
    expect(body.message).toMatch(/REFRESH_CONCURRENCY: must be a whole number/);
    expect(JSON.stringify(body)).not.toContain(SECRET);
    expect(calls()).toBe(0);
  });

  it('authenticates against CRON_SECRET before finding it too short', async () => {
    const { get } = await routeOverProcessEnv({ CRON_SECRET: 'short' });
    const stranger = await get(request({ authorization: 'Bearer guess' }));
    expect(stranger.status).toBe(401);
    const holder = await get(request({ authorization: 'Bearer short' }));
    expect(holder.status).toBe(500);
    expect((await holder.json()).message).toMatch(/CRON_SECRET: must be at least 16 characters/);
  });
});

describe('withCron when the database went away mid-job', () => {
  const deliverSummary = {
    runId: 'deliver_x',
    startedAt: '2026-11-25T09:00:00.000Z',
    durationMs: 12,
    emails: { claimed: 1, sent: 0, retrying: 0, failed: 0, skipped: 0 },
    webhooks: { claimed: 0, sent: 0, retrying: 0, dead: 0 },
    budgetExhausted: false,
    emailBudgetExhausted: false,
    webhookBudgetExhausted: false,
    writeFailures: 1,
  };
  const checkSummary = {
    startedAt: '2026-11-25T09:00:00.000Z',
    durationMs: 12,
    days: 7,
    checked: 3,
    autoRefreshed: 1,
    refreshFailed: 0,
    warned: 1,
    notificationsCreated: 1,
    emailsQueued: 1,
    webhooksQueued: 0,
    budgetExhausted: false,
    remaining: 2,
    errors: 1,
  };

  it.each([
    ['deliver', new DeliverPassInterruptedError({ ...deliverSummary, ok: false, error: 'database_unreachable', message: 'gone' })],
    ['check-expiring', new ExpiryCheckInterruptedError({ ...checkSummary, ok: false, error: 'database_unreachable', message: 'gone' })],
  ])('answers 503 with the %s summary, counts included', async (_name, error) => {
    const { get } = route(async () => {
      throw error;
    });
    const response = await get(request({ authorization: `Bearer ${SECRET}` }));
    expect(response.status).toBe(503);
    expect(response.headers.get('retry-after')).toBe('60');
    expect(await response.json()).toEqual(error.summary);
  });
});
