import { refreshNow } from '../refresh/refresh-now';
import type { RefreshDeps } from '../refresh/refresh-one';
import { findConnectionState, type ConnectionState } from '../db/integrations';
import { recordAudit, type AuditActor } from '../db/audit-log';
import { reconnectUrl } from '../owed/reconnect-url';

/**
 * "Refresh now" (`POST /api/integrations/{id}/refresh`, docs/contracts.md §3): a refresh at
 * once through the engine, under the cron's claim (lib/refresh/refresh-now.ts), logged with
 * trigger `manual`, audited as `integration.refreshed`. The caller has checked who may.
 * Answers the outcome and the connection's state after it, never a token.
 */

export interface ManualRefreshAnswer {
  status: 200 | 404 | 409;
  body: Record<string, unknown>;
}

function stateOf(row: ConnectionState) {
  return {
    status: row.status,
    expires_at: row.expires_at?.toISOString() ?? null,
    last_refreshed_at: row.last_refreshed_at?.toISOString() ?? null,
  };
}

export async function manualRefresh(deps: RefreshDeps, input: { integrationId: string; actor: AuditActor }): Promise<ManualRefreshAnswer> {
  const { integrationId } = input;
  const result = await refreshNow(deps, integrationId, { trigger: 'manual' });
  const row = await findConnectionState(deps.db, integrationId);
  if (!row) return { status: 404, body: { error: 'Not found' } };
  const reconnect = { reconnect_url: reconnectUrl(deps, { id: row.id, provider: row.provider }) };
  if (!result) {
    // Not claimed: the claim takes connected rows only, or another worker holds this one now.
    if (row.status === 'needs_reauthorization') {
      return { status: 409, body: { error: 'reconnect_required', message: 'This connection needs the user to reconnect it.', ...stateOf(row), ...reconnect } };
    }
    if (row.status === 'disconnected') {
      return { status: 409, body: { error: 'disconnected', message: 'This connection was disconnected; connect it again.', ...stateOf(row), ...reconnect } };
    }
    return { status: 409, body: { error: 'refresh_in_progress', message: 'A refresh of this connection is running now; try again in a moment.', ...stateOf(row) } };
  }
  await recordAudit(deps.db, [
    {
      ...input.actor,
      organizationId: row.organization_id,
      action: 'integration.refreshed',
      targetType: 'integration',
      targetId: integrationId,
      metadata: { provider: row.provider, outcome: result.outcome, ...(result.errorCode ? { error_code: result.errorCode } : {}) },
    },
  ]);
  const body = {
    outcome: result.outcome,
    ...(result.errorCode ? { errorCode: result.errorCode } : {}),
    ...stateOf(row),
  };
  if (result.reconnectRequired) return { status: 409, body: { error: 'reconnect_required', message: 'The provider refused the grant; the user must reconnect.', ...body, ...reconnect } };
  return { status: 200, body };
}
