import { notFound } from 'next/navigation';
import { getEnv } from '@/lib/env';
import { getDb } from '@/lib/db';
import { isOperator } from '@/lib/auth/operators';
import { NotFoundError, type RouteHandler } from '@/lib/auth/with-user';
import { getCurrentUser, type CurrentUser } from '../../_server/current-user';
import { withUser } from '../../_server/with-user';

/** Every admin page starts here: 404 for anyone who is not a verified operator, signed out included, so the console's existence does not show. */
export async function requireOperator(): Promise<CurrentUser> {
  const user = await getCurrentUser();
  if (!user) notFound();
  if (!(await isOperator(await getDb(), user.id, getEnv().OPERATOR_EMAILS))) notFound();
  return user;
}

/** For the admin routes (withUser `anonymous`): true only for a verified operator. */
export async function isOperatorUser(user: { id: string } | null): Promise<boolean> {
  return user !== null && (await isOperator(await getDb(), user.id, getEnv().OPERATOR_EMAILS));
}

const operatorGate = withUser({ anonymous: true }, async ({ user }) => {
  if (!(await isOperatorUser(user))) throw new NotFoundError();
  return { operator: true };
});

/**
 * An admin route: 404 for anyone but an operator before anything else answers, so neither
 * withUser's cross-site 403 nor Next's 405 for another method tells a stranger the route
 * exists. The gate sees the request as a GET (no same-origin check, no body read); the route
 * itself then runs its own checks (same-origin included) for the operator.
 */
export function operatorOnly(route: RouteHandler): RouteHandler {
  return async (request, context) => {
    const gate = await operatorGate(new Request(request.url, { method: 'GET', headers: request.headers }), context);
    if (gate.status !== 200) return gate;
    return route(request, context);
  };
}

/** Methods an admin route does not have: 404 to a stranger (operatorOnly), 405 to an operator. */
export const methodNotAllowed = operatorOnly(async () => Response.json({ error: 'Method not allowed' }, { status: 405, headers: { allow: 'POST' } }));
