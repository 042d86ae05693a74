import { describe, expect, it } from 'vitest';
import { randomBytes } from 'node:crypto';
import { EnvError, parseEnv } from '../../lib/env';

const key = () => randomBytes(32).toString('base64');

function problemsOf(source: Record<string, string | undefined>): string[] {
  try {
    parseEnv(source);
  } catch (error) {
    if (error instanceof EnvError) return error.problems;
    throw error;
  }
  throw new Error('expected parseEnv to refuse this environment');
}

describe('parseEnv', () => {
  it('applies the documented defaults to an empty development environment', () => {
    const env = parseEnv({});
    expect(env).toMatchObject({
      NODE_ENV: 'development',
      APP_URL: 'http://localhost:3000',
      REFRESH_THRESHOLD_MINUTES: 10,
      OPERATOR_EMAILS: [],
    });
    expect(env.DATABASE_URL).toBeUndefined();
    expect(env.CRON_SECRET).toBeUndefined();
    expect(env.TOKEN_ENCRYPTION_KEYS).toBeUndefined();
    expect(env.REFRESH_CONCURRENCY).toBeGreaterThan(0);
    expect(env.REFRESH_TIME_BUDGET_SECONDS).toBeGreaterThan(0);
  });

  it('parses a full production configuration', () => {
    const env = parseEnv({
      NODE_ENV: 'production',
      DATABASE_URL: 'postgresql://postgres.ref:pw@aws-0-eu-central-1.pooler.supabase.com:6543/postgres',
      CRON_SECRET: 'a-long-enough-cron-secret',
      TOKEN_ENCRYPTION_KEYS: `k2:${key()}, k1:${key()}`,
      RESEND_API_KEY: 're_123',
      EMAIL_FROM: 'Tokenwarden <alerts@example.com>',
      OPERATOR_EMAILS: 'ops@example.com, oncall@example.com',
      APP_URL: 'https://app.example.com/',
      REFRESH_THRESHOLD_MINUTES: '15',
      REFRESH_CONCURRENCY: '25',
      REFRESH_TIME_BUDGET_SECONDS: '200',
    });
    expect(env.TOKEN_ENCRYPTION_KEYS?.map((k) => k.id)).toEqual(['k2', 'k1']);
    expect(env.TOKEN_ENCRYPTION_KEYS?.[0]?.key).toHaveLength(32);
    expect(env.OPERATOR_EMAILS).toEqual(['ops@example.com', 'oncall@example.com']);
    expect(env.APP_URL).toBe('https://app.example.com');
    expect(env.REFRESH_THRESHOLD_MINUTES).toBe(15);
    expect(env.REFRESH_CONCURRENCY).toBe(25);
  });

  it('refuses to start in production without encryption keys', () => {
    expect(problemsOf({ NODE_ENV: 'production' })).toEqual([expect.stringMatching(/^TOKEN_ENCRYPTION_KEYS: required/)]);
  });

  it('names the variable and the problem for each wrong value', () => {
    const problems = problemsOf({
      DATABASE_URL: 'mysql://localhost/db',
      REFRESH_THRESHOLD_MINUTES: 'ten',
      REFRESH_CONCURRENCY: '0',
      OPERATOR_EMAILS: 'ops@example.com,not-an-email',
      APP_URL: 'localhost:3000',
      CRON_SECRET: 'short',
    });
    expect(problems).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^DATABASE_URL: must be an absolute URL/),
        expect.stringMatching(/^REFRESH_THRESHOLD_MINUTES: must be a whole number/),
        expect.stringMatching(/^REFRESH_CONCURRENCY: must be a whole number/),
        expect.stringMatching(/^OPERATOR_EMAILS: "not-an-email" is not an email address/),
        expect.stringMatching(/^APP_URL: must be an absolute URL/),
        expect.stringMatching(/^CRON_SECRET: must be at least 16 characters/),
      ]),
    );
  });

  it('refuses malformed encryption keys without echoing key material', () => {
    const short = Buffer.alloc(16, 7).toString('base64');
    const problems = problemsOf({ TOKEN_ENCRYPTION_KEYS: `k1:${short}` });
    expect(problems).toEqual([expect.stringMatching(/^TOKEN_ENCRYPTION_KEYS: key "k1" must be 32 bytes/)]);
    expect(problems.join('\n')).not.toContain(short);
    expect(problemsOf({ TOKEN_ENCRYPTION_KEYS: key() })[0]).toMatch(/entry 1 must look like keyId:base64key/);
    const duplicate = key();
    expect(problemsOf({ TOKEN_ENCRYPTION_KEYS: `a:${duplicate},a:${key()}` })[0]).toMatch(/key id "a" appears twice/);
  });

  it('requires EMAIL_FROM with RESEND_API_KEY and both KV variables together', () => {
    expect(problemsOf({ RESEND_API_KEY: 're_x' })).toEqual([expect.stringMatching(/^EMAIL_FROM: required/)]);
    expect(problemsOf({ KV_REST_API_URL: 'https://kv.example.com' })).toEqual([
      expect.stringMatching(/KV_REST_API_URL and KV_REST_API_TOKEN: set both or neither/),
    ]);
  });

  it('treats empty strings as unset', () => {
    const env = parseEnv({ DATABASE_URL: '', CRON_SECRET: '  ', REFRESH_THRESHOLD_MINUTES: '' });
    expect(env.DATABASE_URL).toBeUndefined();
    expect(env.CRON_SECRET).toBeUndefined();
    expect(env.REFRESH_THRESHOLD_MINUTES).toBe(10);
  });
});
