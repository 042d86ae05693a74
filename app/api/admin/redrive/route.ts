import { z } from 'zod';
import { getDb } from '@/lib/db';
import { recordAudit, userActor } from '@/lib/db/audit-log';
import { NotFoundError, UserInputError } from '@/lib/auth/with-user';
import { readJsonBody } from '@/lib/http/read-body';
import { redrive } from '@/lib/notify/redrive';
import { withUser } from '@/app/_server/with-user';
import { isOperatorUser } from '@/app/admin/_components/require-operator';

export const dynamic = 'force-dynamic';

const body = z
  .object({
    kind: z.enum(['email', 'webhook', 'all']),
    /** One row's id; absent: every failed email / dead delivery of the kind. */
    id: z.uuid().optional(),
  })
  .strict();

/** The console's Retry: failed emails / dead webhook deliveries back in the queue (lib/notify/redrive.ts), audited. 404 for anyone but an operator. */
export const POST = withUser({ anonymous: true, visibleTo: isOperatorUser }, async ({ request, user }) => {
  if (!user || !(await isOperatorUser(user))) throw new NotFoundError();
  const read = await readJsonBody(request);
  if (!read.ok) return read.response;
  const parsed = body.safeParse(read.value);
  if (!parsed.success) throw new UserInputError(parsed.error.issues[0]?.path.join('.') || null, parsed.error.issues[0]?.message ?? 'invalid');
  const { kind, id } = parsed.data;
  if (kind === 'all' && id) throw new UserInputError('id', 'one row needs its kind (email or webhook)');
  const db = await getDb();
  const result = await redrive(db, { emails: kind !== 'webhook', webhooks: kind !== 'email', since: null, now: new Date(), id: id ?? null });
  await recordAudit(db, [
    { ...userActor(user.id), organizationId: null, action: 'delivery.redriven', targetType: kind, targetId: id ?? null, metadata: { ...result } },
  ]);
  return { ok: true, ...result };
});

/**
 * Other methods: 404 to anyone but an operator, as for POST (Next's own 405 would tell a
 * stranger the route exists); 405 to an operator.
 */
const notAllowed = async () => Response.json({ error: 'Method not allowed' }, { status: 405, headers: { allow: 'POST' } });
export const GET = withUser({ anonymous: true, visibleTo: isOperatorUser }, notAllowed);
export const PUT = withUser({ anonymous: true, visibleTo: isOperatorUser }, notAllowed);
export const PATCH = withUser({ anonymous: true, visibleTo: isOperatorUser }, notAllowed);
export const DELETE = withUser({ anonymous: true, visibleTo: isOperatorUser }, notAllowed);
