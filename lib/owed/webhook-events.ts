import { createHash } from 'node:crypto';
import type { NotificationType } from './messages';
import type { ExpirySeverity } from './expiry';

/**
 * The events host apps receive (docs/contracts.md §7), in the Standard Webhooks payload shape
 * `{ type, timestamp, data }`. The message id is derived from the business event, so a
 * retried delivery carries the same `webhook-id` and receivers can deduplicate.
 */

export const WEBHOOK_EVENT_TYPES = [
  'integration.connected',
  'integration.disconnected',
  'integration.restored',
  'integration.expiring',
] as const;
export type WebhookEventType = (typeof WEBHOOK_EVENT_TYPES)[number];

/**
 * An event owed to host apps alone, with no notification or email: a new connection
 * (`integration.connected`), or one its user disconnected (`integration.disconnected`; the
 * person who pressed the button needs no message about it).
 */
export interface OwedEvent {
  eventType: WebhookEventType;
  /** The business event, e.g. `connected/<integration>`: one delivery per endpoint and event. */
  eventKey: string;
  reconnectUrl: string;
}

const EVENT_FOR_NOTIFICATION: Partial<Record<NotificationType, WebhookEventType>> = {
  integration_disconnected: 'integration.disconnected',
  integration_restored: 'integration.restored',
  integration_token_expiring: 'integration.expiring',
};

export interface WebhookEvent {
  event_type: WebhookEventType;
  event_id: string;
  payload: {
    type: WebhookEventType;
    timestamp: string;
    data: {
      integration_id: string;
      organization_id: string | null;
      user_id: string;
      provider: string;
      provider_name: string;
      account_label: string | null;
      status: string;
      reason: string | null;
      reconnect_url: string;
      expires_at?: string | null;
      /** The expiry step (`integration.expiring` only): `warning`, `urgent` or `critical`. */
      severity?: ExpirySeverity;
    };
  };
}

interface EventInput {
  eventKey: string;
  occurredAt: Date;
  integration: {
    id: string;
    organizationId: string | null;
    userId: string;
    provider: string;
    providerName: string;
    accountLabel: string | null;
  };
  status: string;
  reason: string | null;
  reconnectUrl: string;
  expiresAt?: Date | null;
  severity?: ExpirySeverity;
}

/** The webhook a notification type owes host apps, if any. */
export function webhookEventFor(type: NotificationType, input: EventInput): WebhookEvent | null {
  const eventType = EVENT_FOR_NOTIFICATION[type];
  return eventType ? webhookEvent(eventType, input) : null;
}

export function webhookEvent(eventType: WebhookEventType, input: EventInput): WebhookEvent {
  return {
    event_type: eventType,
    event_id: `msg_${createHash('sha256').update(input.eventKey).digest('base64url').slice(0, 27)}`,
    payload: {
      type: eventType,
      timestamp: input.occurredAt.toISOString(),
      data: {
        integration_id: input.integration.id,
        organization_id: input.integration.organizationId,
        user_id: input.integration.userId,
        provider: input.integration.provider,
        provider_name: input.integration.providerName,
        account_label: input.integration.accountLabel,
        status: input.status,
        reason: input.reason,
        reconnect_url: input.reconnectUrl,
        ...(input.expiresAt !== undefined ? { expires_at: input.expiresAt?.toISOString() ?? null } : {}),
        ...(input.severity ? { severity: input.severity } : {}),
      },
    },
  };
}
