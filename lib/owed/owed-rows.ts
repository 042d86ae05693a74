import type { OwedMessage } from './messages';
import { webhookEvent, webhookEventFor, type OwedEvent, type WebhookEvent } from './webhook-events';

/**
 * Turns the messages a state change owes into the rows that carry them: a notification per
 * recipient, an email per recipient with an address (for messages owed by email), and one
 * webhook event for the organization's endpoints. The refresh recorder and the expiry check
 * both write these with public.owe_messages, in the same statement as their own change.
 */

interface Recipient {
  user_id: string;
  email: string;
}

export interface OwedRows {
  notifications: object[];
  emails: object[];
  webhooks: WebhookEvent[];
}

export function owedRows(input: {
  integration: { id: string; userId: string; organizationId: string | null; provider: string; accountLabel: string | null };
  providerName: string;
  messages: OwedMessage[];
  /** Events owed to host apps only (no notification, no email). */
  events?: OwedEvent[];
  recipients: Recipient[];
  now: Date;
  /** The connection's status after the change, and why it disconnected (webhooks, emails). */
  status: string;
  reason: string | null;
  errorCode?: string | null;
}): OwedRows {
  const { integration, providerName, recipients } = input;
  const common = { provider: integration.provider, provider_name: providerName, account_label: integration.accountLabel };
  const notifications = input.messages.flatMap((message) =>
    recipients.map((recipient) => ({
      user_id: recipient.user_id,
      organization_id: integration.organizationId,
      type: message.type,
      severity: message.severity,
      title: message.title,
      message: message.message,
      action_url: message.actionUrl,
      dedupe_key: message.eventKey,
      metadata: {
        ...common,
        integration_id: integration.id,
        ...(input.errorCode !== undefined ? { error_code: input.errorCode } : {}),
        ...(message.expiresAt ? { expires_at: message.expiresAt.toISOString() } : {}),
        ...(message.step ? { severity: message.step } : {}),
      },
    })),
  );
  const emails = input.messages
    .filter((message) => message.email)
    .flatMap((message) =>
      recipients
        .filter((recipient) => recipient.email)
        .map((recipient) => ({
          to_email: recipient.email,
          template: message.type,
          idempotency_key: `${message.eventKey}/${recipient.user_id}`,
          user_id: recipient.user_id,
          payload: {
            ...common,
            title: message.title,
            message: message.message,
            reason: input.reason,
            action_url: message.actionUrl,
            ...(message.expiresAt ? { expires_at: message.expiresAt.toISOString() } : {}),
          },
        })),
    );
  const webhooks = integration.organizationId
    ? input.messages.flatMap((message) => {
        const event = webhookEventFor(message.type, {
          eventKey: message.eventKey,
          occurredAt: input.now,
          integration: { ...integration, providerName },
          status: input.status,
          reason: input.reason,
          reconnectUrl: message.actionUrl,
          ...(message.expiresAt ? { expiresAt: message.expiresAt } : {}),
          ...(message.step ? { severity: message.step } : {}),
        });
        return event ? [event] : [];
      })
    : [];
  if (integration.organizationId) {
    for (const owed of input.events ?? []) {
      webhooks.push(
        webhookEvent(owed.eventType, {
          eventKey: owed.eventKey,
          occurredAt: input.now,
          integration: { ...integration, providerName },
          status: input.status,
          reason: input.reason,
          reconnectUrl: owed.reconnectUrl,
        }),
      );
    }
  }
  return { notifications, emails, webhooks };
}
