import { describe, expect, it } from 'vitest';
import { EnvError, parseEnv } from '../../lib/env';
import { localSignInAllowed, remoteDatabaseHosts } from '../../lib/local-auth';

function problemsOf(source: Record<string, string | undefined>): string[] {
  try {
    parseEnv(source);
  } catch (error) {
    if (error instanceof EnvError) return error.problems;
    throw error;
  }
  throw new Error('expected parseEnv to refuse this environment');
}

const POOLER = 'postgresql://postgres.ref:secret-pw@aws-0-eu-central-1.pooler.supabase.com:6543/postgres';

describe('TOKENWARDEN_LOCAL_AUTH', () => {
  it.each([
    ['the embedded database', {}],
    ['a loopback address', { DATABASE_URL: 'postgres://postgres@127.0.0.1:5432/tw' }],
    ['localhost', { DATABASE_URL: 'postgresql://me:pw@localhost/tw' }],
    ['IPv6 loopback', { DATABASE_URL: 'postgres://postgres@[::1]:5432/tw' }],
    ['a unix socket through PGHOST', { DATABASE_URL: 'postgres:///tw', PGHOST: '/var/run/postgresql' }],
    ['no host and no PGHOST (localhost)', { DATABASE_URL: 'postgres:///tw' }],
  ])('allows the local sign-in with 1 against %s', (_where, source) => {
    expect(localSignInAllowed(parseEnv({ ...source, TOKENWARDEN_LOCAL_AUTH: '1' }))).toBe(true);
  });

  it.each([{}, { NODE_ENV: 'development' }, { NODE_ENV: 'test' }, { TOKENWARDEN_LOCAL_AUTH: '0' }, { TOKENWARDEN_LOCAL_AUTH: '' }])(
    'keeps it off unless the flag is 1, whatever NODE_ENV says (%o)',
    (source) => {
      expect(localSignInAllowed(parseEnv(source))).toBe(false);
    },
  );

  it.each([
    ['VERCEL', { VERCEL: '1' }, /VERCEL is set/],
    ['VERCEL_ENV', { VERCEL_ENV: 'preview' }, /VERCEL_ENV is set/],
    ['SUPABASE_URL', { SUPABASE_URL: 'https://ref.supabase.co', SUPABASE_ANON_KEY: 'anon' }, /SUPABASE_URL is set/],
    ['NEXT_PUBLIC_SUPABASE_URL', { NEXT_PUBLIC_SUPABASE_URL: 'https://ref.supabase.co', NEXT_PUBLIC_SUPABASE_ANON_KEY: 'anon' }, /SUPABASE_URL is set/],
    ['DATABASE_URL on another machine', { DATABASE_URL: POOLER }, /DATABASE_URL is not on this machine \(aws-0-eu-central-1\.pooler\.supabase\.com\)/],
    ['one remote host of several', { DATABASE_URL: 'postgres://u@127.0.0.1,db.example.com/tw' }, /not on this machine \(db\.example\.com\)/],
    ['PGHOST elsewhere when the URL names no host', { DATABASE_URL: 'postgres:///tw', PGHOST: 'db.example.com' }, /not on this machine \(db\.example\.com\)/],
    ['a host parameter elsewhere', { DATABASE_URL: 'postgres://u@localhost/tw?host=10.0.0.5' }, /not on this machine \(10\.0\.0\.5\)/],
  ])('refuses to start with the flag under %s, naming the variable and the signal', (_signal, source, named) => {
    const problems = problemsOf({ ...source, TOKENWARDEN_LOCAL_AUTH: '1' });
    expect(problems).toEqual([expect.stringMatching(/^TOKENWARDEN_LOCAL_AUTH: refused because /)]);
    expect(problems[0]).toMatch(named);
    expect(problems.join('\n')).not.toContain('secret-pw');
    // The same signal without the flag is an ordinary deployment.
    expect(localSignInAllowed(parseEnv(source))).toBe(false);
  });

  it('names every signal at once', () => {
    expect(problemsOf({ TOKENWARDEN_LOCAL_AUTH: '1', VERCEL: '1', VERCEL_ENV: 'production', DATABASE_URL: POOLER })[0]).toMatch(
      /VERCEL is set and VERCEL_ENV is set and DATABASE_URL is not on this machine/,
    );
  });

  it('refuses a value other than 1 or 0', () => {
    expect(problemsOf({ TOKENWARDEN_LOCAL_AUTH: 'yes' })).toEqual([expect.stringMatching(/^TOKENWARDEN_LOCAL_AUTH: must be 1/)]);
  });

  it('counts unix socket directories and loopback hosts as this machine, and nothing else', () => {
    expect(remoteDatabaseHosts({ DATABASE_URL: 'postgres://u@127.0.0.2/tw', PGHOST: undefined })).toEqual([]);
    expect(remoteDatabaseHosts({ DATABASE_URL: 'postgres://u@%2Fvar%2Frun%2Fpostgresql/tw', PGHOST: undefined })).toEqual([]);
    expect(remoteDatabaseHosts({ DATABASE_URL: 'postgres://u@0.0.0.0/tw', PGHOST: undefined })).toEqual(['0.0.0.0']);
    expect(remoteDatabaseHosts({ DATABASE_URL: 'postgres://u@192.168.1.10/tw', PGHOST: undefined })).toEqual(['192.168.1.10']);
    expect(remoteDatabaseHosts({ DATABASE_URL: 'postgres://u@localhost.example.com/tw', PGHOST: undefined })).toEqual(['localhost.example.com']);
    expect(remoteDatabaseHosts({ DATABASE_URL: undefined, PGHOST: 'db.example.com' })).toEqual([]);
  });
});
