import { z } from 'zod';
import { getDb } from '@/lib/db';
import { recordAudit, userActor } from '@/lib/db/audit-log';
import { NotFoundError, UserInputError } from '@/lib/auth/with-user';
import { readJsonBody } from '@/lib/http/read-body';
import { getProviders, getRefreshDeps, passSettings } from '@/lib/runtime';
import { runRefreshPass } from '@/lib/refresh/run-pass';
import { withUser } from '@/app/_server/with-user';
import { isOperatorUser } from '@/app/admin/_components/require-operator';
import { operatorPassSettings } from '@/app/admin/_components/pass-settings';

export const dynamic = 'force-dynamic';
export const maxDuration = 60;

const body = z.object({ provider: z.string().min(1).max(64).optional(), force: z.boolean().optional() }).strict();

/**
 * The operator console's Trigger refresh: one pass, as `tokenwarden refresh [--provider P]
 * [--force]` runs it, answered with its summary and audited. 404 for anyone but an operator,
 * signed out included (checked before the body is read, so nothing about the route shows).
 */
export const POST = withUser({ anonymous: true, visibleTo: isOperatorUser }, async ({ request, user }) => {
  if (!user || !(await isOperatorUser(user))) throw new NotFoundError();
  const read = await readJsonBody(request);
  if (!read.ok) return read.response;
  const parsed = body.safeParse(read.value ?? {});
  if (!parsed.success) throw new UserInputError(parsed.error.issues[0]?.path.join('.') || null, parsed.error.issues[0]?.message ?? 'invalid');
  const { provider, force = false } = parsed.data;
  if (provider !== undefined && !getProviders().has(provider)) throw new UserInputError('provider', `unknown provider "${provider}"`);
  const summary = await runRefreshPass(await getRefreshDeps(), {
    trigger: force ? 'forced' : 'manual',
    force,
    provider: provider ?? null,
    integrationId: null,
    verbose: true,
    ...operatorPassSettings(passSettings(), maxDuration),
  });
  await recordAudit(await getDb(), [
    {
      ...userActor(user.id),
      organizationId: null,
      action: 'refresh_pass.triggered',
      targetType: 'refresh_pass',
      targetId: summary.runId,
      metadata: { provider: provider ?? null, force, claimed: summary.claimed, refreshed: summary.refreshed },
    },
  ]);
  return summary;
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
