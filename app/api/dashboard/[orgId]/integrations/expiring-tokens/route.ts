import { z } from 'zod';
import { getDb } from '@/lib/db';
import { getEnv } from '@/lib/env';
import { asUser } from '@/lib/db/user-context';
import { getProviders } from '@/lib/runtime';
import { expiringTokens } from '@/lib/notify/expiring-tokens';
import { requireApiUser } from '@/app/_server/current-user';
import { badRequest } from '@/app/_server/responses';

export const dynamic = 'force-dynamic';

const params = z.object({ orgId: z.uuid('must be an organization id (uuid)') });
const query = z.strictObject({
  days: z.coerce.number().int('must be a whole number').min(1, 'must be at least 1').max(90, 'must be at most 90').default(7),
});

/** Connections of the organization that stop working soon unless someone acts (members only). */
export async function GET(request: Request, context: { params: Promise<{ orgId: string }> }) {
  const user = await requireApiUser(request, { mutation: false });
  if (user instanceof Response) return user;
  const parsedParams = params.safeParse(await context.params);
  if (!parsedParams.success) return badRequest(parsedParams.error);
  const parsedQuery = query.safeParse(Object.fromEntries(new URL(request.url).searchParams));
  if (!parsedQuery.success) return badRequest(parsedQuery.error);
  const db = await getDb();
  const orgId = parsedParams.data.orgId;
  // Membership through RLS, as the user; not a member looks exactly like no such organization.
  const [member] = await asUser(db, user.id, (tx) => tx.query(`select 1 from public.organizations where id = $1`, [orgId]));
  if (!member) return Response.json({ error: 'Not found' }, { status: 404 });
  const env = getEnv();
  const body = await expiringTokens(db, {
    organizationId: orgId,
    days: parsedQuery.data.days,
    now: new Date(),
    providers: getProviders(),
    appUrl: env.APP_URL,
    reconnectUrlTemplate: env.RECONNECT_URL_TEMPLATE,
  });
  return Response.json(body, { headers: { 'cache-control': 'no-store' } });
}
