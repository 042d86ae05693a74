/**
 * The HTTP side of the app's own limits (docs/contracts.md §3), in one place: every limited
 * response carries `X-RateLimit-Limit`, `X-RateLimit-Remaining` and `X-RateLimit-Reset` (Unix
 * epoch seconds); a refusal is 429 with `Retry-After` (seconds) and
 * `{ error: 'Rate limit exceeded', message, retry_after, reset_at, limit }`, `retry_after`
 * equal to `Retry-After` and `reset_at` ISO-8601; a fail-closed limit whose store cannot be
 * reached is 503 `{ error: 'rate_limit_unavailable', message }`. withUser's `limit` option and
 * the routes outside withUser (local sign-in, connect start) all answer through `rateLimited`.
 *
 * The limiter is a collaborator with lib/kv/rate-limit.ts's shape (createAppLimiter), narrowed
 * here to the one method this module calls; its decision is lib/kv's LimitDecision.
 */

import type { LimitDecision } from '../kv/decision';

export type { LimitDecision };

/** lib/kv/rate-limit.ts's app limiter: throws when a fail-closed limit's store is unreachable. */
export interface AppLimiter<Name extends string = string> {
  check(name: Name, key: string): Promise<LimitDecision>;
}

export interface RateLimitDeps<Name extends string = string> {
  limiter: AppLimiter<Name>;
  /** Whether an error of `check` means the store could not be reached (lib/kv's KvUnavailableError). */
  isUnavailable(error: unknown): boolean;
}

/** The three headers of every limited response. */
export function rateLimitHeaders(decision: LimitDecision): Record<string, string> {
  return {
    'x-ratelimit-limit': String(decision.limit),
    'x-ratelimit-remaining': String(Math.max(0, decision.remaining)),
    'x-ratelimit-reset': String(Math.ceil(decision.resetAt.getTime() / 1000)),
  };
}

/** Whole seconds until a refused caller may try again: never 0, a client would retry at once. */
function retryAfterOf(decision: LimitDecision): number {
  return Math.max(1, Math.ceil(decision.retryAfterSeconds));
}

/** 429 with the §3 body, Retry-After and the limit headers. */
export function tooManyRequests(decision: LimitDecision): Response {
  const retryAfter = retryAfterOf(decision);
  return Response.json(
    {
      error: 'Rate limit exceeded',
      message: `Limit of ${decision.limit} reached; try again in ${retryAfter} second${retryAfter === 1 ? '' : 's'}.`,
      retry_after: retryAfter,
      reset_at: decision.resetAt.toISOString(),
      limit: decision.limit,
    },
    { status: 429, headers: { ...rateLimitHeaders(decision), 'retry-after': String(retryAfter), 'cache-control': 'no-store' } },
  );
}

/** 503 when a fail-closed limit cannot be checked: refusing is safer than an unlimited route. */
export function limitUnavailable(): Response {
  return Response.json(
    { error: 'rate_limit_unavailable', message: 'The rate limit store is unreachable, so this limited action is refused; try again shortly.' },
    { status: 503, headers: { 'retry-after': '30', 'cache-control': 'no-store' } },
  );
}

/** The response with extra headers, also for immutable ones (Response.redirect). */
export function withHeaders(response: Response, headers: Record<string, string>): Response {
  try {
    for (const [name, value] of Object.entries(headers)) response.headers.set(name, value);
    return response;
  } catch (error) {
    if (!(error instanceof TypeError)) throw error;
    const copy = new Headers(response.headers);
    for (const [name, value] of Object.entries(headers)) copy.set(name, value);
    return new Response(response.body, { status: response.status, statusText: response.statusText, headers: copy });
  }
}

/**
 * Checks the limit `name` for `key`, then runs the route: 429 or 503 without running it, else
 * its answer with the limit headers. An error `run` throws (withUser's own `run` maps its
 * errors; the routes outside it do not) is a 500 that still carries the headers, as §3 says of
 * every answer of a limited route; it logs the error's name and message only.
 */
export async function rateLimited<Name extends string>(
  deps: RateLimitDeps<Name>,
  name: Name,
  key: string,
  run: (headers: Record<string, string>) => Promise<Response>,
): Promise<Response> {
  let decision: LimitDecision;
  try {
    decision = await deps.limiter.check(name, key);
  } catch (error) {
    if (deps.isUnavailable(error)) {
      console.error(`[rate-limit] ${name}: store unreachable, refusing (fails closed)`);
      return limitUnavailable();
    }
    throw error;
  }
  if (!decision.allowed) return tooManyRequests(decision);
  const headers = rateLimitHeaders(decision);
  let response: Response;
  try {
    response = await run(headers);
  } catch (error) {
    console.error(`[rate-limit] ${name}: the route failed: ${error instanceof Error ? `${error.name}: ${error.message}` : String(error)}`);
    response = Response.json({ error: 'Internal error' }, { status: 500, headers: { 'cache-control': 'no-store' } });
  }
  return withHeaders(response, headers);
}
