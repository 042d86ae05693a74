import { randomUUID } from 'node:crypto';
import { tokenContext } from '../crypto/key-ring';
import { recordAudit, userActor } from '../db/audit-log';
import type { ConnectSessionRow } from '../db/connect-sessions';
import {
  insertConnectLog,
  insertConnection,
  isLiveAccountTaken,
  loadRecipients,
  lockConnection,
  lockSameAccountConnection,
  oweIntegrationRows,
  reconnectInPlace,
  type ConnectTokens,
  type LockedConnection,
} from '../db/integrations';
import { restoredMessage } from '../owed/messages';
import { owedRows } from '../owed/owed-rows';
import { reconnectUrl as buildReconnectUrl } from '../owed/reconnect-url';
import type { ProviderAccount } from '../providers/account-identity';
import type { ResolvedProvider } from '../providers/schema';
import type { TokenSet } from '../refresh/outcome';
import { tokenTimes } from '../refresh/refresh-one';
import type { ConnectDeps } from './deps';
import { ConnectError } from './errors';

/**
 * The connect's writes, in one transaction: the connection (new, or the same one reconnected
 * in place), its log row (trigger `connect`), what it owes (a new connection: the
 * `integration.connected` webhook; a dead one back: `integration_restored` in-app, by email
 * and as `integration.restored`) through public.owe_messages, and the audit row. A refusal
 * (another account) throws before anything is written, and the transaction rolls back.
 */

export interface RecordedConnect {
  integrationId: string;
  outcome: 'connected' | 'restored';
}

/** An account as people read it: its label, with the id when they differ. */
export function accountName(label: string | null, id: string | null): string {
  if (label && id && label !== id) return `${label} (${id})`;
  return label ?? id ?? 'an unknown account';
}

export async function recordConnect(
  deps: ConnectDeps,
  input: { session: ConnectSessionRow; provider: ResolvedProvider; tokens: TokenSet; account: ProviderAccount | null; requestedScopes: string[]; durationMs: number },
): Promise<RecordedConnect> {
  try {
    return await recordOnce(deps, input);
  } catch (error) {
    if (!isLiveAccountTaken(error)) throw error;
    // Another connect of this account inserted its connection after this one looked: a new
    // connect looks again and lands on it. A reconnect of another connection cannot.
    if (input.session.integration_id) throw accountAlreadyConnected(input.provider, input.account);
  }
  try {
    return await recordOnce(deps, input);
  } catch (error) {
    if (isLiveAccountTaken(error)) throw accountAlreadyConnected(input.provider, input.account);
    throw error;
  }
}

function accountAlreadyConnected(provider: ResolvedProvider, account: ProviderAccount | null): ConnectError {
  const name = accountName(account?.label ?? null, account?.id ?? null);
  return new ConnectError(
    'account_already_connected',
    `${name} is already connected to ${provider.name} as another connection here. Nothing was changed: reconnect that connection instead.`,
  );
}

async function recordOnce(
  deps: ConnectDeps,
  input: { session: ConnectSessionRow; provider: ResolvedProvider; tokens: TokenSet; account: ProviderAccount | null; requestedScopes: string[]; durationMs: number },
): Promise<RecordedConnect> {
  const { session, provider, tokens, account } = input;
  const now = deps.now();
  const times = tokenTimes({ type: 'refreshed', tokens, httpStatus: 200 }, provider, now, deps.random);

  return deps.db.transaction(async (tx) => {
    let existing: LockedConnection | null = null;
    if (session.integration_id) {
      existing = await lockConnection(tx, session.integration_id);
      if (!existing) throw new ConnectError('not_found', 'The connection to reconnect no longer exists.');
      if (existing.provider_account_id && account && existing.provider_account_id !== account.id) {
        const was = accountName(existing.account_label, existing.provider_account_id);
        const now = accountName(account.label, account.id);
        throw new ConnectError(
          'wrong_account',
          `You signed in to ${provider.name} as ${now}, but this connection belongs to ${was}. Nothing was changed: sign in as ${was} to reconnect it, or connect ${now} as a new connection.`,
        );
      }
    } else if (account) {
      existing = await lockSameAccountConnection(tx, {
        provider: provider.id,
        providerAccountId: account.id,
        userId: session.user_id,
        organizationId: session.organization_id,
      });
    }

    const id = existing?.id ?? randomUUID();
    const sealed: ConnectTokens = {
      accessTokenEncrypted: deps.keyRing.encrypt(tokens.accessToken, tokenContext.access(id)),
      refreshTokenEncrypted: tokens.refreshToken ? deps.keyRing.encrypt(tokens.refreshToken, tokenContext.refresh(id)) : null,
      tokenKeyId: deps.keyRing.activeKeyId,
      scopes: tokens.scopes ?? input.requestedScopes,
      expiresAt: times.expiresAt?.toISOString() ?? null,
      refreshDueAt: times.refreshDueAt?.toISOString() ?? null,
      refreshTokenExpiresAt: times.refreshTokenExpiresAt?.toISOString() ?? null,
      providerAccountId: account?.id ?? null,
      accountLabel: account?.label ?? null,
    };
    const reconnectUrl = buildReconnectUrl({ appUrl: deps.appUrl, reconnectUrlTemplate: deps.reconnectUrlTemplate ?? null }, { id, provider: provider.id });
    const organizationId = existing ? existing.organization_id : session.organization_id;
    const userId = existing ? existing.user_id : session.user_id;

    let version: number;
    if (existing) {
      version = await reconnectInPlace(tx, id, sealed);
    } else {
      await insertConnection(tx, { id, userId, organizationId, provider: provider.id, metadata: session.metadata, ...sealed });
      version = 1;
    }
    await insertConnectLog(tx, id, provider.id, { durationMs: input.durationMs, metadata: { reconnect: existing !== null } });

    // A reconnect of a healthy connection is still a reconnect, and owes no "restored".
    const restored = existing !== null && existing.status !== 'connected';
    const owed = owedRows({
      integration: { id, userId, organizationId, provider: provider.id, accountLabel: account?.label ?? existing?.account_label ?? null },
      providerName: provider.name,
      messages: restored ? [restoredMessage({ name: provider.name, reconnectUrl, streak: `${id}/${version}` })] : [],
      events: existing ? [] : [{ eventType: 'integration.connected', eventKey: `connected/${id}`, reconnectUrl }],
      recipients: restored ? await loadRecipients(tx, id) : [],
      now,
      status: 'connected',
      reason: null,
    });
    await oweIntegrationRows(tx, { integrationId: id, now, rows: owed });
    await recordAudit(tx, [
      {
        ...userActor(session.user_id),
        organizationId,
        action: existing ? 'integration.reconnected' : 'integration.connected',
        targetType: 'integration',
        targetId: id,
        metadata: { provider: provider.id, ...(existing ? { previous_status: existing.status } : {}) },
      },
    ]);
    return { integrationId: id, outcome: existing ? 'restored' : 'connected' };
  });
}
