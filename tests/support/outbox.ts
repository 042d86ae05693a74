import { randomUUID } from 'node:crypto';
import type { Db } from '../../lib/db/client';
import type { KeyRing } from '../../lib/crypto/key-ring';
import { userActor } from '../../lib/db/audit-log';
import { createWebhookEndpoint, webhookEndpointInputSchema } from '../../lib/notify/webhook-endpoints';
import { webhookEventFor } from '../../lib/owed/webhook-events';
import { insertIntegration, insertOrganization, insertUser } from './fixtures';

/**
 * Messages owed the way the engine owes them (queue_owed_messages, the SQL the refresh
 * recorder and the expiry check call), for the deliver job's tests.
 */

const APP_URL = 'https://app.example.com';

/** One integration_disconnected email for a fresh user and integration (so the 24-hour throttle never applies). */
export async function oweEmail(db: Db, keyRing: KeyRing, now: Date): Promise<{ id: string; idempotencyKey: string; integrationId: string }> {
  const email = `user-${randomUUID()}@example.com`;
  const userId = await insertUser(db, email);
  const integrationId = await insertIntegration(db, keyRing, { userId, provider: 'google' });
  const idempotencyKey = `integration_disconnected/${integrationId}/${randomUUID()}/${userId}`;
  const payload = {
    provider: 'google',
    provider_name: 'Google',
    account_label: 'google account',
    title: 'Google disconnected',
    message: 'Google disconnected. Your workflows are paused. Reconnect now.',
    reason: "Google no longer accepts this connection's refresh token (invalid_grant).",
    action_url: `${APP_URL}/integrations/${integrationId}/reconnect`,
  };
  await db.query(`select public.queue_owed_messages($1, $2, $3::jsonb, '[]'::jsonb)`, [
    integrationId,
    now.toISOString(),
    JSON.stringify([{ to_email: email, template: 'integration_disconnected', idempotency_key: idempotencyKey, user_id: userId, payload }]),
  ]);
  const [row] = await db.query<{ id: string }>(`select id from public.email_outbox where idempotency_key = $1`, [idempotencyKey]);
  if (!row) throw new Error('the email was not queued');
  return { id: row.id, idempotencyKey, integrationId };
}

export interface OrganizationWithEndpoint {
  orgId: string;
  ownerId: string;
  endpointId: string;
  integrationId: string;
}

/** An organization with one endpoint subscribed to every event, and one integration of it. */
export async function organizationWithEndpoint(db: Db, keyRing: KeyRing, url: string): Promise<OrganizationWithEndpoint> {
  const ownerId = await insertUser(db, `owner-${randomUUID()}@example.com`);
  const orgId = await insertOrganization(db, `Org ${randomUUID()}`, [{ userId: ownerId, role: 'owner' }]);
  const endpoint = await createWebhookEndpoint(db, keyRing, orgId, webhookEndpointInputSchema.parse({ url }), userActor(ownerId));
  const integrationId = await insertIntegration(db, keyRing, { userId: ownerId, provider: 'google', organizationId: orgId });
  return { orgId, ownerId, endpointId: endpoint.id, integrationId };
}

/** An integration.disconnected event of the organization's integration, one delivery per endpoint, due at `now`. */
export async function oweWebhook(db: Db, org: OrganizationWithEndpoint, now: Date): Promise<{ eventId: string }> {
  const event = webhookEventFor('integration_disconnected', {
    eventKey: `disconnect/${org.integrationId}/${randomUUID()}`,
    occurredAt: now,
    integration: { id: org.integrationId, organizationId: org.orgId, userId: org.ownerId, provider: 'google', providerName: 'Google', accountLabel: null },
    status: 'needs_reauthorization',
    reason: 'invalid_grant',
    reconnectUrl: `${APP_URL}/integrations/${org.integrationId}/reconnect`,
  });
  if (!event) throw new Error('integration_disconnected has a webhook event');
  const [row] = await db.query<{ queued: { webhooks: number } }>(
    `select public.queue_owed_messages($1::uuid, $2::timestamptz, '[]'::jsonb, $3::jsonb) as queued`,
    [org.integrationId, now.toISOString(), JSON.stringify([event])],
  );
  if (!row || row.queued.webhooks < 1) throw new Error('no delivery was queued');
  return { eventId: event.event_id };
}
