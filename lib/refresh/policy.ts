import type { Outcome } from './outcome';
import { REFRESH_POLICY } from './policy-numbers';
import { disconnectedMessage, rateLimitMessage, restoredMessage, warningMessage, type OwedMessage } from '../owed/messages';

export type { NotificationType, OwedMessage } from '../owed/messages';

/**
 * The failure policy of docs/contracts.md §5 as a pure state machine: an outcome and a connection's
 * counters in, the next state and the messages owed out. Recipients and delivery are not
 * its business; it names the event, the wording and the deduplication key.
 */

export type IntegrationStatus = 'connected' | 'needs_reauthorization' | 'disconnected';

export interface PolicyInput {
  outcome: Outcome;
  integration: {
    id: string;
    status: IntegrationStatus;
    consecutiveFailures: number;
    consecutiveTransientFailures: number;
    /** The token version read at claim time: names the failure streak in dedupe keys. */
    tokenVersion: number;
  };
  provider: { id: string; name: string };
  /** Where a person reconnects this integration. */
  reconnectUrl: string;
  now: Date;
  /** The previous attempt was abandoned after calling the provider (a crashed worker). */
  lostInFlight?: boolean;
}

export interface NextState {
  status: IntegrationStatus;
  consecutiveFailures: number;
  consecutiveTransientFailures: number;
  lastFailureAt: Date | null | 'unchanged';
  lastErrorCode: string | null;
  lastError: string | null;
  disconnectReason: string | null;
}

export interface PolicyDecision {
  /** null: leave the integration as it is (configuration failures are not the user's). */
  state: NextState | null;
  messages: OwedMessage[];
}

export function decide(input: PolicyInput): PolicyDecision {
  const { outcome, integration, provider, reconnectUrl, now } = input;
  const name = provider.name;
  const about = { name, reconnectUrl, streak: `${integration.id}/${integration.tokenVersion}` };

  switch (outcome.type) {
    case 'refreshed': {
      const messages = integration.status === 'connected' ? [] : [restoredMessage(about)];
      return {
        state: {
          status: 'connected',
          consecutiveFailures: 0,
          consecutiveTransientFailures: 0,
          lastFailureAt: 'unchanged',
          lastErrorCode: null,
          lastError: null,
          disconnectReason: null,
        },
        messages,
      };
    }

    case 'transient': {
      // A provider's bad hour never disconnects anyone. The auth streak is left as it is:
      // a timeout says nothing about whether the grant is still good.
      const transient = integration.consecutiveTransientFailures + 1;
      const messages =
        transient === REFRESH_POLICY.transientFailuresToNotify ? [rateLimitMessage(about, integration.consecutiveFailures)] : [];
      return {
        state: {
          status: integration.status,
          consecutiveFailures: integration.consecutiveFailures,
          consecutiveTransientFailures: transient,
          lastFailureAt: now,
          lastErrorCode: outcome.code,
          lastError: outcome.message,
          disconnectReason: null,
        },
        messages,
      };
    }

    case 'auth': {
      const failures = integration.consecutiveFailures + 1;
      const dead = failures >= REFRESH_POLICY.authFailuresToReauthorize;
      const reason = `${name} refused to renew access ${failures} times in a row (${outcome.code}).`;
      const messages: OwedMessage[] = [];
      if (failures === REFRESH_POLICY.authFailuresToWarn) messages.push(warningMessage(about));
      if (dead) messages.push(disconnectedMessage(about, reason));
      return {
        state: {
          status: dead ? 'needs_reauthorization' : integration.status,
          consecutiveFailures: failures,
          consecutiveTransientFailures: 0,
          lastFailureAt: now,
          lastErrorCode: outcome.code,
          lastError: outcome.message,
          disconnectReason: dead ? reason : null,
        },
        messages,
      };
    }

    case 'invalid_grant': {
      const reason = input.lostInFlight
        ? `${name} rotated this connection's refresh token during an attempt that was interrupted before the new token was saved, ` +
          `so the token was lost in flight (${outcome.code}). Reconnect to resume.`
        : outcome.code === 'no_refresh_token'
          ? `${name} gave this connection no refresh token and its access token has expired. Reconnect to resume.`
          : `${name} no longer accepts this connection's refresh token (${outcome.code}): access was revoked or expired. Reconnect to resume.`;
      return {
        state: {
          status: 'needs_reauthorization',
          consecutiveFailures: integration.consecutiveFailures + 1,
          consecutiveTransientFailures: 0,
          lastFailureAt: now,
          lastErrorCode: input.lostInFlight ? 'refresh_token_lost_in_flight' : outcome.code,
          lastError: outcome.message,
          disconnectReason: reason,
        },
        messages: [disconnectedMessage(about, reason)],
      };
    }

    case 'config':
      // The app's problem, not the user's: no counter, no status, no user message.
      return { state: null, messages: [] };
  }
}
