/**
 * What a state change owes people, and its wording: the one owner of every sentence users
 * read about a connection. The refresh policy (lib/refresh/policy.ts) and the expiry check
 * decide which message is owed; lib/owed/owed-rows.ts turns it into notification, email and
 * webhook rows; lib/notify delivers them. Nothing here reads the database or the clock.
 */

export type NotificationType =
  | 'integration_warning'
  | 'integration_disconnected'
  | 'integration_rate_limit'
  | 'integration_restored'
  | 'integration_token_expiring'
  | 'integration_token_refreshed';

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
  /** When the connection stops working (expiry warnings), or until when it now works (a renewal). */
  expiresAt?: Date;
  /** The expiry step (expiry warnings only): `metadata->>'severity'` and the webhook's `severity`. */
  step?: ExpirySeverity;
}

import { expiryPhrase, expiryStep, type ExpirySeverity } from './expiry';

/** What every message about one connection's failure streak needs. */
interface About {
  /** The provider's display name. */
  name: string;
  reconnectUrl: string;
  /** `<integration>/<token_version>`: names the streak in event keys. */
  streak: string;
}

export function restoredMessage({ name, reconnectUrl, streak }: About): OwedMessage {
  return {
    type: 'integration_restored',
    severity: 'success',
    title: `${name} reconnected`,
    message: `${name} is connected again.`,
    actionUrl: reconnectUrl,
    eventKey: `restored/${streak}`,
    email: true,
  };
}

/** `authFailures`: the auth streak's length, since an auth failure ends a transient streak without a new token version. */
export function rateLimitMessage({ name, reconnectUrl, streak }: About, authFailures: number): OwedMessage {
  return {
    type: 'integration_rate_limit',
    severity: 'warning',
    title: `${name} is rate limiting`,
    message: `${name} is temporarily rate limiting requests. We'll automatically retry.`,
    actionUrl: reconnectUrl,
    eventKey: `rate-limit/${streak}/${authFailures}`,
    email: false,
  };
}

export function warningMessage({ name, reconnectUrl, streak }: About): OwedMessage {
  return {
    type: 'integration_warning',
    severity: 'warning',
    title: `Trouble connecting to ${name}`,
    message: `We're having trouble connecting to ${name}. Please check your connection.`,
    actionUrl: reconnectUrl,
    eventKey: `auth-warning/${streak}`,
    // Owed by email to everyone; only those who opted in get a row (queue_owed_messages
    // reads notification_preferences, in the transaction that records the failure).
    email: true,
  };
}

export function disconnectedMessage({ name, reconnectUrl, streak }: About, reason: string): OwedMessage {
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
 * The warning owed at an expiry step (lib/owed/expiry.ts, EXPIRY_STEPS) for a connection
 * that ends on `end` and that nothing can renew: once per connection, end date and step;
 * by email from `urgent` on.
 */
export function expiringMessage(input: {
  integrationId: string;
  providerName: string;
  end: Date;
  now: Date;
  reconnectUrl: string;
}): OwedMessage {
  const name = input.providerName;
  const msLeft = input.end.getTime() - input.now.getTime();
  const step = expiryStep(msLeft / 3_600_000);
  const when = expiryPhrase(msLeft);
  const date = input.end.toISOString().slice(0, 10);
  return {
    type: 'integration_token_expiring',
    severity: step.name === 'critical' ? 'critical' : 'warning',
    title: `${name} connection expires ${when}`,
    message: `Your ${name} connection expires ${when} and cannot be renewed automatically. Reconnect before ${date} to keep your workflows running.`,
    actionUrl: input.reconnectUrl,
    eventKey: `expiring/${input.integrationId}/${date}/${step.key}`,
    email: step.email,
    expiresAt: input.end,
    step: step.name,
  };
}

/**
 * In-app only, once per renewal: the expiry check renewed a long-lived token (Meta's
 * exchange, Instagram's refresh), which now lasts until `expiresAt`.
 */
export function refreshedMessage(input: { integrationId: string; providerName: string; expiresAt: Date; reconnectUrl: string }): OwedMessage {
  const date = input.expiresAt.toISOString().slice(0, 10);
  return {
    type: 'integration_token_refreshed',
    severity: 'success',
    title: `${input.providerName} connection renewed`,
    message: `Your ${input.providerName} connection was renewed automatically and now lasts until ${date}.`,
    actionUrl: input.reconnectUrl,
    eventKey: `refreshed/${input.integrationId}/${input.expiresAt.toISOString()}`,
    email: false,
    expiresAt: input.expiresAt,
  };
}
