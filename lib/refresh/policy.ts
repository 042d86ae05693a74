import type { Outcome } from './outcome';
import { REFRESH_POLICY } from './policy-numbers';

/**
 * The failure policy of CONTRACTS §5 as a pure state machine: an outcome and a connection's
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

export type NotificationType =
  | 'integration_warning'
  | 'integration_disconnected'
  | 'integration_rate_limit'
  | 'integration_restored'
  | 'integration_token_expiring';

export interface OwedMessage {
  type: NotificationType;
  severity: 'info' | 'success' | 'warning' | 'error' | 'critical';
  title: string;
  message: string;
  actionUrl: string;
  /** The business event, e.g. `disconnect/<integration>/<version>`: one message per event. */
  eventKey: string;
  /** Also owed as an email (template named after the type). */
  email: boolean;
  /** When the connection stops working (expiry warnings only). */
  expiresAt?: Date;
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
  const streak = `${integration.id}/${integration.tokenVersion}`;

  switch (outcome.type) {
    case 'refreshed': {
      const messages: OwedMessage[] =
        integration.status === 'connected'
          ? []
          : [
              {
                type: 'integration_restored',
                severity: 'success',
                title: `${name} reconnected`,
                message: `${name} is connected again.`,
                actionUrl: reconnectUrl,
                eventKey: `restored/${streak}`,
                email: true,
              },
            ];
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
      const messages: OwedMessage[] =
        transient === REFRESH_POLICY.transientFailuresToNotify
          ? [
              {
                type: 'integration_rate_limit',
                severity: 'warning',
                title: `${name} is rate limiting`,
                message: `${name} is temporarily rate limiting requests. We'll automatically retry.`,
                actionUrl: reconnectUrl,
                // An auth failure ends a transient streak without a new token version.
                eventKey: `rate-limit/${streak}/${integration.consecutiveFailures}`,
                email: false,
              },
            ]
          : [];
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
      if (failures === REFRESH_POLICY.authFailuresToWarn) {
        messages.push({
          type: 'integration_warning',
          severity: 'warning',
          title: `Trouble connecting to ${name}`,
          message: `We're having trouble connecting to ${name}. Please check your connection.`,
          actionUrl: reconnectUrl,
          eventKey: `auth-warning/${streak}`,
          email: false,
        });
      }
      if (dead) messages.push(disconnected(name, reason, reconnectUrl, streak));
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
        messages: [disconnected(name, reason, reconnectUrl, streak)],
      };
    }

    case 'config':
      // The app's problem, not the user's: no counter, no status, no user message.
      return { state: null, messages: [] };
  }
}

function disconnected(name: string, reason: string, reconnectUrl: string, streak: string): OwedMessage {
  return {
    type: 'integration_disconnected',
    severity: 'error',
    title: `${name} disconnected`,
    message: `${name} disconnected. Your workflows are paused. Reconnect now. ${reason}`,
    actionUrl: reconnectUrl,
    eventKey: `disconnect/${streak}`,
    email: true,
  };
}

/**
 * The daily check's warning for a connection that ends on `end` and that nothing can renew:
 * in-app and by email, once per connection and end date.
 */
export function expiringMessage(input: {
  integrationId: string;
  providerName: string;
  end: Date;
  now: Date;
  reconnectUrl: string;
}): OwedMessage {
  const name = input.providerName;
  const days = Math.max(0, Math.floor((input.end.getTime() - input.now.getTime()) / 86_400_000));
  const when = days === 0 ? 'within a day' : `in ${days} day${days === 1 ? '' : 's'}`;
  const date = input.end.toISOString().slice(0, 10);
  return {
    type: 'integration_token_expiring',
    severity: days < 1 ? 'critical' : 'warning',
    title: `${name} connection expires ${when}`,
    message: `Your ${name} connection expires ${when} and cannot be renewed automatically. Reconnect before ${date} to keep your workflows running.`,
    actionUrl: input.reconnectUrl,
    eventKey: `expiring/${input.integrationId}/${date}`,
    email: true,
    expiresAt: input.end,
  };
}
