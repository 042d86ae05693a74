import type { Db } from '../db/client';
import { KeyRing, TokenDecryptionError, tokenContext } from '../crypto/key-ring';
import type { ProviderRegistry } from '../providers/registry';
import { recordAudit, type AuditActor } from '../db/audit-log';
import { eraseTokensAndDisconnect, findDisconnectTarget, oweIntegrationRows, type DisconnectTarget } from '../db/integrations';
import { owedRows } from '../owed/owed-rows';
import { reconnectUrl } from '../owed/reconnect-url';
import { REVOCATION_TIMEOUT_MS, revokeAtProvider, type RevocationResult } from './revoke';

/**
 * Disconnect (docs/contracts.md §3): revoke the grant at the provider where it has a
 * revocation endpoint, then, in one transaction, erase both tokens, mark the connection
 * `disconnected` with who did it, owe `integration.disconnected` to the organization's
 * endpoints and write the audit row. A revocation that fails is recorded in the audit row and
 * the answer; the local disconnect happens all the same (the user asked for the tokens to be
 * gone, and they are). Disconnecting a disconnected connection changes nothing.
 */

export interface DisconnectDeps {
  db: Db;
  keyRing: KeyRing;
  providers: ProviderRegistry;
  fetch: typeof fetch;
  now: () => Date;
  appUrl: string;
  reconnectUrlTemplate?: string | null;
  /** Per revocation call; default REVOCATION_TIMEOUT_MS. */
  revocationTimeoutMs?: number;
}

export interface DisconnectInput {
  integrationId: string;
  actor: AuditActor;
  /** Named in the reason: 'Disconnected by <email>'. */
  actorEmail: string | null;
  /** Replaces the reason (the host API names itself). */
  reason?: string;
}

export interface DisconnectResult {
  ok: true;
  integration_id: string;
  status: 'disconnected';
  revoked: boolean | null;
  revocation_error?: string;
  /** It was disconnected already: nothing was called or changed. */
  already_disconnected?: true;
}

/** No such integration (it may have been deleted since the caller's check). */
export class IntegrationNotFoundError extends Error {
  constructor(readonly integrationId: string) {
    super('No such integration');
    this.name = 'IntegrationNotFoundError';
  }
}

/**
 * How many times a refresh that rotates the tokens between our read and our erase sends us
 * back to revoke the new ones; after that the erase happens anyway (revoking a refresh token
 * ends the grant at RFC 7009 providers, so the rotated successor dies with it).
 */
const MAX_ROUNDS = 3;

export async function disconnectIntegration(deps: DisconnectDeps, input: DisconnectInput): Promise<DisconnectResult> {
  const reason = input.reason ?? `Disconnected by ${input.actorEmail ?? input.actor.actor}`;
  for (let round = 1; ; round += 1) {
    const target = await findDisconnectTarget(deps.db, input.integrationId);
    if (!target) throw new IntegrationNotFoundError(input.integrationId);
    if (target.status === 'disconnected' && target.access_token_encrypted === null && target.refresh_token_encrypted === null) {
      return { ok: true, integration_id: target.id, status: 'disconnected', revoked: null, already_disconnected: true };
    }

    const revocation = await revoke(deps, target);
    const lastRound = round >= MAX_ROUNDS;
    const written = await deps.db.transaction(async (tx) => {
      const erased =
        (await eraseTokensAndDisconnect(tx, { integrationId: target.id, expectedVersion: target.token_version, reason })) ??
        // The last round erases whatever is there now, at the version it finds.
        (lastRound ? await eraseTokensAndDisconnect(tx, { integrationId: target.id, expectedVersion: null, reason }) : null);
      if (!erased) return null;
      const now = deps.now();
      const providerName = deps.providers.get(target.provider)?.name ?? target.provider;
      const rows = owedRows({
        integration: {
          id: target.id,
          userId: target.user_id,
          organizationId: target.organization_id,
          provider: target.provider,
          accountLabel: target.account_label,
        },
        providerName,
        // The person who pressed the button needs no message; host apps get the event.
        messages: [],
        events: [
          {
            eventType: 'integration.disconnected',
            eventKey: `disconnected/${target.id}/${erased.token_version}`,
            reconnectUrl: reconnectUrl(deps, target),
          },
        ],
        recipients: [],
        now,
        status: 'disconnected',
        reason,
      });
      await oweIntegrationRows(tx, { integrationId: target.id, now, rows });
      await recordAudit(tx, [
        {
          ...input.actor,
          organizationId: target.organization_id,
          action: 'integration.disconnected',
          targetType: 'integration',
          targetId: target.id,
          metadata: {
            provider: target.provider,
            revoked: revocation.revoked,
            revocation_error: revocation.revoked === false ? revocation.error : null,
            ...(revocation.revoked === false && revocation.httpStatus !== undefined ? { revocation_http_status: revocation.httpStatus } : {}),
          },
        },
      ]);
      return erased;
    });
    // A refresh rotated the tokens meanwhile (revoke the new ones too), or another disconnect
    // got there first (the next read says so).
    if (!written) continue;

    return {
      ok: true,
      integration_id: target.id,
      status: 'disconnected',
      revoked: revocation.revoked,
      ...(revocation.revoked === false ? { revocation_error: revocation.error } : {}),
    };
  }
}

/** The provider's revocation with the connection's tokens, each opened on its own. */
async function revoke(deps: DisconnectDeps, target: DisconnectTarget): Promise<RevocationResult> {
  const provider = deps.providers.get(target.provider);
  if (!provider) return { revoked: false, error: 'unknown_provider' };
  if (!provider.revocation) return { revoked: null };
  let undecryptable = false;
  const open = (sealed: string | null, context: string): string | null => {
    if (sealed === null) return null;
    try {
      return deps.keyRing.decrypt(sealed, context);
    } catch (error) {
      if (!(error instanceof TokenDecryptionError)) throw error;
      undecryptable = true; // this row's token cannot be sent; the erase goes on
      return null;
    }
  };
  const accessToken = open(target.access_token_encrypted, tokenContext.access(target.id));
  const refreshToken = open(target.refresh_token_encrypted, tokenContext.refresh(target.id));
  if (accessToken === null && refreshToken === null) {
    return { revoked: false, error: undecryptable ? 'token_undecryptable' : 'no_token' };
  }
  return revokeAtProvider(
    { provider, accessToken, refreshToken, parameters: target.metadata },
    { fetch: deps.fetch, timeoutMs: deps.revocationTimeoutMs ?? REVOCATION_TIMEOUT_MS },
  );
}
