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
    email: false,
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
