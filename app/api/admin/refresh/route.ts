import { z } from 'zod';
import { getDb } from '@/lib/db';
import { recordAudit, userActor } from '@/lib/db/audit-log';
import { NotFoundError, UserInputError } from '@/lib/auth/with-user';
import { readJsonBody } from '@/lib/http/read-body';
import { getProviders, getRefreshDeps, passSettings } from '@/lib/runtime';
import { runRefreshPass } from '@/lib/refresh/run-pass';
import { withUser } from '@/app/_server/with-user';
import { isOperatorUser, methodNotAllowed, operatorOnly } from '@/app/admin/_components/require-operator';
import { operatorPassSettings } from '@/app/admin/_components/pass-settings';

export const dynamic = 'force-dynamic';
export const maxDuration = 60;

const body = z.object({ provider: z.string().min(1).max(64).optional(), force: z.boolean().optional() }).strict();

/**
 * The operator console's Trigger refresh: one pass, as `tokenwarden refresh [--provider P]
 * [--force]` runs it, answered with its summary and audited. 404 for anyone but an operator,
 * signed out included (checked before the body is read, so nothing about the route shows).
 */
export const POST = operatorOnly(withUser({ anonymous: true }, async ({ request, user }) => {
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
}));

export { methodNotAllowed as GET, methodNotAllowed as PUT, methodNotAllowed as PATCH, methodNotAllowed as DELETE };
