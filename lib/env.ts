import { z } from 'zod';
import { localAuthRefusals } from './local-auth';

/**
 * Configuration (docs/contracts.md §2), parsed once with zod. A wrong value stops start-up with
 * a message naming the variable; secrets are never echoed back in that message.
 */

const optionalString = z
  .string()
  .transform((value) => value.trim())
  .transform((value) => (value === '' ? undefined : value))
  .optional();

/** A whole number from 1 to max; unset or empty gives the fallback. */
function positiveInt<F extends number | undefined>(fallback: F, max: number) {
  return z
    .string()
    .optional()
    .transform((value, ctx): number | F => {
      if (value === undefined || value.trim() === '') return fallback;
      const parsed = Number(value);
      if (!Number.isInteger(parsed) || parsed < 1 || parsed > max) {
        ctx.addIssue({ code: 'custom', message: `must be a whole number from 1 to ${max}` });
        return z.NEVER;
      }
      return parsed;
    });
}

const emailList = z
  .string()
  .optional()
  .transform((value, ctx) => {
    const items = (value ?? '')
      .split(',')
      .map((item) => item.trim())
      .filter(Boolean);
    for (const item of items) {
      if (!z.email().safeParse(item).success) {
        ctx.addIssue({ code: 'custom', message: `"${item}" is not an email address` });
        return z.NEVER;
      }
    }
    return items;
  });

export const encryptionKeySchema = z
  .string()
  .optional()
  .transform((value, ctx) => {
    if (value === undefined || value.trim() === '') return undefined;
    const keys: { id: string; key: Buffer }[] = [];
    const entries = value.split(',').map((entry) => entry.trim()).filter(Boolean);
    for (const [index, entry] of entries.entries()) {
      const separator = entry.indexOf(':');
      const id = separator > 0 ? entry.slice(0, separator) : '';
      if (!/^[A-Za-z0-9_-]{1,32}$/.test(id)) {
        ctx.addIssue({
          code: 'custom',
          message: `entry ${index + 1} must look like keyId:base64key with a key id of letters, digits, _ or - (at most 32)`,
        });
        return z.NEVER;
      }
      const encoded = entry.slice(separator + 1);
      const key = Buffer.from(encoded, 'base64');
      if (!/^[A-Za-z0-9+/]+={0,2}$/.test(encoded) || key.length !== 32) {
        ctx.addIssue({ code: 'custom', message: `key "${id}" must be 32 bytes, base64-encoded (openssl rand -base64 32)` });
        return z.NEVER;
      }
      if (keys.some((existing) => existing.id === id)) {
        ctx.addIssue({ code: 'custom', message: `key id "${id}" appears twice` });
        return z.NEVER;
      }
      keys.push({ id, key });
    }
    return keys.length > 0 ? keys : undefined;
  });

const absoluteUrl = (allowed: string[]) =>
  z
    .string()
    .optional()
    .transform((value, ctx) => {
      if (value === undefined || value.trim() === '') return undefined;
      try {
        const url = new URL(value.trim());
        if (!allowed.includes(url.protocol)) throw new Error(url.protocol);
        return url.toString().replace(/\/$/, '');
      } catch {
        ctx.addIssue({ code: 'custom', message: `must be an absolute URL (${allowed.join(' or ')})` });
        return z.NEVER;
      }
    });

export const envSchema = z.object({
  NODE_ENV: z.enum(['development', 'production', 'test']).default('development'),
  DATABASE_URL: absoluteUrl(['postgres:', 'postgresql:']),
  /** postgres.js connects here when DATABASE_URL names no host; read to know where the database is. */
  PGHOST: optionalString,
  /** Set by Vercel on every deployment (Preview included): signals that this is not a developer's machine. */
  VERCEL: optionalString,
  VERCEL_ENV: optionalString,
  /** `1` allows the local sign-in (the demo sets it); refused on deployments and shared databases (lib/local-auth.ts). */
  TOKENWARDEN_LOCAL_AUTH: z
    .string()
    .optional()
    .transform((value, ctx) => {
      const flag = value?.trim() ?? '';
      if (flag === '' || flag === '0') return false;
      if (flag === '1') return true;
      ctx.addIssue({ code: 'custom', message: 'must be 1 (allow the local sign-in), 0 or unset' });
      return z.NEVER;
    }),
  /** Where the embedded database and generated dev secrets live. */
  TOKENWARDEN_DATA_DIR: optionalString,
  CRON_SECRET: optionalString.refine((value) => value === undefined || value.length >= 16, {
    message: 'must be at least 16 characters',
  }),
  TOKEN_ENCRYPTION_KEYS: encryptionKeySchema,
  RESEND_API_KEY: optionalString,
  EMAIL_FROM: optionalString,
  RESEND_BASE_URL: absoluteUrl(['http:', 'https:']),
  KV_REST_API_URL: absoluteUrl(['http:', 'https:']),
  KV_REST_API_TOKEN: optionalString,
  OPERATOR_EMAILS: emailList,
  /** Operators hear when a provider's refresh failure rate over the last hour passes this. */
  ALERT_FAILURE_RATE_PERCENT: positiveInt(10, 100),
  /** Resend's default limit is a few requests per second per team. */
  RESEND_MAX_PER_SECOND: positiveInt(2, 100),
  APP_URL: absoluteUrl(['http:', 'https:']).transform((value) => value ?? 'http://localhost:3000'),
  /** The host app's reconnect page, e.g. https://app.example.com/connections/{integration_id}/reconnect. */
  RECONNECT_URL_TEMPLATE: z
    .string()
    .optional()
    .transform((value, ctx) => {
      if (value === undefined || value.trim() === '') return undefined;
      try {
        const url = new URL(value.trim().replaceAll('{integration_id}', 'x').replaceAll('{provider}', 'x'));
        if (url.protocol !== 'https:' && url.protocol !== 'http:') throw new Error(url.protocol);
      } catch {
        ctx.addIssue({ code: 'custom', message: 'must be an absolute http(s) URL; {integration_id} and {provider} are filled in' });
        return z.NEVER;
      }
      return value.trim();
    }),
  TOKENWARDEN_PROVIDERS_FILE: optionalString,
  /** Supabase Auth for dashboard and API sign-in on a deployment (the project URL and anon key). */
  SUPABASE_URL: absoluteUrl(['http:', 'https:']),
  SUPABASE_ANON_KEY: optionalString,
  REFRESH_THRESHOLD_MINUTES: positiveInt(10, 24 * 60),
  REFRESH_CONCURRENCY: positiveInt(50, 500),
  REFRESH_TIME_BUDGET_SECONDS: positiveInt(240, 3600),
  /** At most this many refreshes in flight to one provider while another provider's work waits; unset: half of REFRESH_CONCURRENCY. */
  REFRESH_PROVIDER_CONCURRENCY: positiveInt(undefined, 500),
  /** Requests per minute per API key on /api/v1 (lib/kv/limits.ts, `api`). */
  API_RATE_LIMIT_PER_MINUTE: positiveInt(600, 1_000_000),
});

export type Env = z.infer<typeof envSchema>;

export class EnvError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n${problems.map((problem) => `  - ${problem}`).join('\n')}`);
    this.name = 'EnvError';
  }
}

/** Parses an environment; throws EnvError naming every bad variable. Pure: tests pass their own. */
export function parseEnv(source: Record<string, string | undefined>): Env {
  // Supabase's Next.js setup names these NEXT_PUBLIC_*; accept either spelling.
  const withFallbacks = {
    ...source,
    SUPABASE_URL: source.SUPABASE_URL ?? source.NEXT_PUBLIC_SUPABASE_URL,
    SUPABASE_ANON_KEY: source.SUPABASE_ANON_KEY ?? source.NEXT_PUBLIC_SUPABASE_ANON_KEY,
  };
  const result = envSchema.safeParse(withFallbacks);
  const problems: string[] = [];
  if (!result.success) {
    for (const issue of result.error.issues) {
      const name = issue.path.join('.') || '(environment)';
      problems.push(`${name}: ${issue.message}`);
    }
    throw new EnvError(problems);
  }
  const env = result.data;
  if (env.NODE_ENV === 'production' && !env.TOKEN_ENCRYPTION_KEYS) {
    problems.push('TOKEN_ENCRYPTION_KEYS: required when NODE_ENV=production (comma list of keyId:base64key)');
  }
  if (env.RESEND_API_KEY && !env.EMAIL_FROM) {
    problems.push('EMAIL_FROM: required when RESEND_API_KEY is set (e.g. "Tokenwarden <alerts@example.com>")');
  }
  if (Boolean(env.SUPABASE_URL) !== Boolean(env.SUPABASE_ANON_KEY)) {
    problems.push('SUPABASE_URL and SUPABASE_ANON_KEY: set both or neither');
  }
  if (Boolean(env.KV_REST_API_URL) !== Boolean(env.KV_REST_API_TOKEN)) {
    problems.push('KV_REST_API_URL and KV_REST_API_TOKEN: set both or neither');
  }
  const refusals = env.TOKENWARDEN_LOCAL_AUTH ? localAuthRefusals(env) : [];
  if (refusals.length > 0) {
    // Said at start, not found out later: the flag asks for something this place must not have.
    problems.push(
      `TOKENWARDEN_LOCAL_AUTH: refused because ${refusals.join(' and ')}; the local sign-in lets anyone act as any user, ` +
        'so it runs only outside deployments against a database on this machine (unset TOKENWARDEN_LOCAL_AUTH here)',
    );
  }
  if (problems.length > 0) throw new EnvError(problems);
  return env;
}

let cached: Env | undefined;

/** The process configuration, parsed on first use and then kept. */
export function getEnv(): Env {
  cached ??= parseEnv(process.env);
  return cached;
}
