import { z } from 'zod';
import { EnvError, getEnv } from '../env';
import { checkCronAuthorization, configuredCronSecret } from '../auth/cron-secret';
import { JobInterruptedError, describeDatabaseError, isDatabaseUnreachable } from '../db/errors';

/**
 * The one wrapper every cron route uses: GET only, the bearer secret checked in constant
 * time (500 and no work when CRON_SECRET is unset, 401 when missing or wrong), query
 * parameters validated, errors mapped to statuses without stacks or secrets, and one JSON
 * summary as the answer.
 *
 * The caller is authenticated before anything else is looked at: the secret is read on its
 * own, and the rest of the configuration is validated only for a caller who presented it,
 * so an unauthenticated request never learns what is misconfigured.
 */

export class CronInputError extends Error {
  constructor(readonly field: string, message: string) {
    super(message);
    this.name = 'CronInputError';
  }
}

export interface CronContext<Q> {
  request: Request;
  query: Q;
}

const NO_STORE = { 'cache-control': 'no-store' };

function json(status: number, body: unknown, headers: Record<string, string> = {}): Response {
  return Response.json(body, { status, headers: { ...NO_STORE, ...headers } });
}

export function withCron<S extends z.ZodType<Record<string, unknown>>>(
  name: string,
  querySchema: S,
  handler: (context: CronContext<z.infer<S>>) => Promise<object>,
  options: { secret?: () => string | undefined; configuration?: () => unknown } = {},
): (request: Request) => Promise<Response> {
  const readSecret = options.secret ?? configuredCronSecret;
  const checkConfiguration = options.configuration ?? getEnv;
  return async (request) => {
    if (request.method !== 'GET') {
      return json(405, { error: 'Method not allowed', allowed: ['GET'] }, { allow: 'GET' });
    }
    let secret: string | undefined;
    try {
      secret = readSecret();
    } catch (error) {
      // Not yet authenticated: logged for operators, never described to the caller.
      console.error(`[cron:${name}] cannot read CRON_SECRET: ${error instanceof Error ? error.message : String(error)}`);
      return json(500, { error: 'Internal error', job: name });
    }
    const auth = checkCronAuthorization(request.headers.get('authorization'), secret);
    if (auth === 'unconfigured') {
      console.error(`[cron:${name}] refused: CRON_SECRET is not set`);
      return json(500, { error: 'CRON_SECRET is not configured; cron routes are disabled' });
    }
    if (auth === 'unauthorized') return json(401, { error: 'Unauthorized' });
    try {
      checkConfiguration();
    } catch (error) {
      return failure(name, error);
    }

    const params = Object.fromEntries(new URL(request.url).searchParams);
    const parsed = querySchema.safeParse(params);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      return json(400, { error: 'Invalid query', field: issue?.path.join('.') || null, message: issue?.message });
    }
    try {
      return json(200, await handler({ request, query: parsed.data }));
    } catch (error) {
      return failure(name, error);
    }
  };
}

function failure(name: string, error: unknown): Response {
  if (error instanceof CronInputError) return json(400, { error: 'Invalid input', field: error.field, message: error.message });
  if (error instanceof EnvError) {
    console.error(`[cron:${name}] ${error.message}`);
    return json(500, { error: 'Invalid configuration', message: error.message });
  }
  if (error instanceof JobInterruptedError) {
    console.error(`[cron:${name}] ${error.message}`);
    return json(503, error.summary, { 'retry-after': '60' });
  }
  if (isDatabaseUnreachable(error)) {
    const message = `The database was unreachable (${describeDatabaseError(error)}); nothing was lost, the next run retries.`;
    console.error(`[cron:${name}] ${message}`);
    return json(503, { ok: false, error: 'database_unreachable', job: name, message }, { 'retry-after': '60' });
  }
  console.error(`[cron:${name}] failed: ${error instanceof Error ? `${error.name}: ${error.message}` : String(error)}`);
  return json(500, { error: 'Internal error', job: name });
}

/** `?flag=true|false|1|0`, absent: false. */
export const booleanParam = z
  .enum(['true', 'false', '1', '0'], { message: 'must be true or false' })
  .optional()
  .transform((value) => value === 'true' || value === '1');
