import type { z } from 'zod';
import { readJsonBody } from '../http/read-body';
import type { OrganizationRole } from '../db/organization-members';
import type { SessionUser } from './session';
import { isSameOrigin } from './same-origin';
import { rateLimited, type RateLimitDeps } from './rate-limit-response';
import type { AppLimitName } from '../kv/limits';

/**
 * The one wrapper every route a signed-in user calls goes through: the session resolved (401
 * without one), the same-origin check on mutations made with a cookie session (403; bearer
 * clients are exempt, a browser cannot forge their header), params, query and JSON body parsed
 * with zod (400 naming the field; bodies read by lib/http/read-body.ts, 413 over its limit), the
 * organization role a route needs (404 for a non-member, so an organization's existence does not
 * leak; 403 for a member without the role), typed errors mapped to statuses, an app limit
 * keyed on the user (`limit`: lib/auth/rate-limit-response.ts, its headers on every answer
 * after sign-in, 429 past it), and `Cache-Control: no-store` on every answer. Never a stack,
 * never a token.
 */

/** 400 naming the field: thrown by a handler for input zod could not judge (e.g. a URL's destination). */
export class UserInputError extends Error {
  constructor(readonly field: string | null, message: string) {
    super(message);
    this.name = 'UserInputError';
  }
}

/** 404 `{ error: 'Not found', field }`: the thing the field names is not there, or not the user's. */
export class NotFoundError extends Error {
  constructor(readonly field: string | null = null) {
    super('Not found');
    this.name = 'NotFoundError';
  }
}

/** 'member': any member of the organization; 'manager': its owners and admins. */
export type RequiredRole = 'member' | 'manager';

const ROLES: Record<RequiredRole, readonly OrganizationRole[]> = {
  member: ['owner', 'admin', 'member'],
  manager: ['owner', 'admin'],
};

export interface WithUserDeps {
  resolveUser(request: Request): Promise<SessionUser | null>;
  /** The user's role in the organization, null when not a member (run as the user: RLS decides). */
  organizationRole(userId: string, organizationId: string): Promise<OrganizationRole | null>;
  /** A status and JSON body for an error only the caller's layer knows (e.g. a limit), else null. */
  mapError?(error: unknown): { status: number; body: object; headers?: Record<string, string> } | null;
  /** The app limiter, for routes with a `limit`. */
  rateLimit?: RateLimitDeps<AppLimitName>;
}

type Schema = z.ZodType;
type Parsed<S> = S extends z.ZodType ? z.infer<S> : undefined;

export interface UserRouteSpec<P extends Schema | undefined, Q extends Schema | undefined, B extends Schema | undefined, A extends boolean> {
  params?: P;
  query?: Q;
  body?: B;
  /** Checked against the `orgId` route param; needs a `params` schema that yields it. */
  role?: RequiredRole;
  /** A member without the role gets 404 too, as a stranger does (the webhook routes' contract). */
  hideFromMembers?: boolean;
  /** Also answer without a session (sign-out): the handler's user is then null. */
  anonymous?: A;
  /**
   * Whom the route exists for (e.g. operators): anyone else gets 404 before anything else
   * answers (no 401, no cross-site 403, no body read), so the route's existence does not show.
   */
  visibleTo?: (user: SessionUser | null) => Promise<boolean>;
  /** An app limit (lib/kv/limits.ts APP_LIMITS name) keyed on the signed-in user; not with `anonymous`. */
  limit?: A extends true ? never : AppLimitName;
}

export interface UserRouteContext<P, Q, B, A extends boolean> {
  request: Request;
  user: A extends true ? SessionUser | null : SessionUser;
  params: P;
  query: Q;
  body: B;
}

type Handler<P, Q, B, A extends boolean> = (context: UserRouteContext<P, Q, B, A>) => Promise<Response | object>;

export type RouteHandler = (request: Request, context: { params: Promise<unknown> }) => Promise<Response>;

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

function json(status: number, body: unknown, headers: Record<string, string> = {}): Response {
  return Response.json(body, { status, headers: { 'cache-control': 'no-store', ...headers } });
}

function invalid(error: z.ZodError): Response {
  const issue = error.issues[0];
  return json(400, { error: 'Invalid input', field: issue?.path.join('.') || null, message: issue?.message ?? 'invalid' });
}

/** The handler's answer with no-store set, whatever kind of Response it built. */
function noStore(response: Response): Response {
  try {
    response.headers.set('cache-control', 'no-store');
    return response;
  } catch (error) {
    if (!(error instanceof TypeError)) throw error;
    // Immutable headers (Response.redirect): copy them onto a response we own.
    const headers = new Headers(response.headers);
    headers.set('cache-control', 'no-store');
    return new Response(response.body, { status: response.status, statusText: response.statusText, headers });
  }
}

export function createWithUser(deps: () => Promise<WithUserDeps> | WithUserDeps) {
  return function withUser<
    P extends Schema | undefined = undefined,
    Q extends Schema | undefined = undefined,
    B extends Schema | undefined = undefined,
    A extends boolean = false,
  >(spec: UserRouteSpec<P, Q, B, A>, handler: Handler<Parsed<P>, Parsed<Q>, Parsed<B>, A>): RouteHandler {
    return async (request, context) => {
      let resolved: WithUserDeps | undefined;
      try {
        resolved = await deps();
        const user = await resolved.resolveUser(request);
        if (spec.visibleTo && !(await spec.visibleTo(user))) return json(404, { error: 'Not found' });
        if (!user && !spec.anonymous) return json(401, { error: 'Unauthorized', message: 'Sign in first' });
        if (!SAFE_METHODS.has(request.method) && user?.via !== 'supabase_bearer' && !isSameOrigin(request)) {
          return json(403, { error: 'Cross-site request refused' });
        }
        const bound: WithUserDeps = resolved;
        const answer = async (): Promise<Response> => {
          try {
            let params: unknown;
            if (spec.params) {
              const parsed = spec.params.safeParse(await context.params);
              if (!parsed.success) return invalid(parsed.error);
              params = parsed.data;
            }
            let query: unknown;
            if (spec.query) {
              const parsed = spec.query.safeParse(Object.fromEntries(new URL(request.url).searchParams));
              if (!parsed.success) return invalid(parsed.error);
              query = parsed.data;
            }
            if (spec.role) {
              const orgId = (params as { orgId?: unknown } | undefined)?.orgId;
              if (typeof orgId !== 'string') throw new Error('withUser: a role needs an orgId param');
              const role = user ? await bound.organizationRole(user.id, orgId) : null;
              if (!role) return json(404, { error: 'Not found' });
              if (!ROLES[spec.role].includes(role)) {
                if (spec.hideFromMembers) return json(404, { error: 'Not found' });
                return json(403, { error: 'Forbidden', message: `Needs the ${spec.role} role in this organization` });
              }
            }
            let body: unknown;
            if (spec.body) {
              const read = await readJsonBody(request);
              if (!read.ok) return noStore(read.response);
              const parsed = spec.body.safeParse(read.value);
              if (!parsed.success) return invalid(parsed.error);
              body = parsed.data;
            }
            const answered = await handler({ request, user, params, query, body } as UserRouteContext<Parsed<P>, Parsed<Q>, Parsed<B>, A>);
            return answered instanceof Response ? noStore(answered) : json(200, answered);
          } catch (error) {
            return failure(error, bound);
          }
        };
        if (!spec.limit) return await answer();
        if (!user || !bound.rateLimit) throw new Error('withUser: a limit needs a signed-in user and rateLimit deps');
        return await rateLimited(bound.rateLimit, spec.limit, `user:${user.id}`, answer);
      } catch (error) {
        return failure(error, resolved);
      }
    };
  };
}

function failure(error: unknown, deps: WithUserDeps | undefined): Response {
  if (error instanceof UserInputError) return json(400, { error: 'Invalid input', field: error.field, message: error.message });
  if (error instanceof NotFoundError) return json(404, error.field ? { error: 'Not found', field: error.field } : { error: 'Not found' });
  const mapped = deps?.mapError?.(error);
  if (mapped) return json(mapped.status, mapped.body, mapped.headers);
  // Name and message only: a stack or a driver's detail could carry a token or a query.
  console.error(`[user-route] failed: ${error instanceof Error ? `${error.name}: ${error.message}` : String(error)}`);
  return json(500, { error: 'Internal error' });
}
