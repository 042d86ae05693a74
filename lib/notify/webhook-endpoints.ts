import { randomBytes, randomUUID } from 'node:crypto';
import { z } from 'zod';
import type { Db, Queryable } from '../db/client';
import { recordAudit, type AuditActor } from '../db/audit-log';
import type { KeyRing } from '../crypto/key-ring';
import { WEBHOOK_EVENT_TYPES } from '../owed/webhook-events';
import { webhookSecretContext } from '../crypto/key-ring';
import { isLoopbackHost, isPrivateAddress } from '../net/addresses';

/**
 * Webhook endpoints of an organization. The signing secret (Standard Webhooks `whsec_`
 * form) is shown once, at creation, and stored sealed with the key ring. Creating and
 * deleting one writes an audit_log row in the same transaction.
 */

export const webhookEndpointInputSchema = z.strictObject({
  url: z
    // abort: the refinements below parse the URL and would throw on a malformed one.
    .url({ message: 'must be an absolute URL', abort: true })
    .refine((value) => {
      const url = new URL(value);
      return url.protocol === 'https:' || (url.protocol === 'http:' && isLoopbackHost(url.hostname));
    }, 'must use https (plain http only to this machine)')
    .refine((value) => !new URL(value).username && !new URL(value).password, 'must not contain credentials'),
  events: z
    .array(z.enum(WEBHOOK_EVENT_TYPES, { message: `must be one of ${WEBHOOK_EVENT_TYPES.join(', ')}` }))
    .min(1, 'must name at least one event')
    .default([...WEBHOOK_EVENT_TYPES])
    .transform((events) => [...new Set(events)]),
  description: z.string().trim().max(200, 'must be at most 200 characters').optional(),
});

export type WebhookEndpointInput = z.input<typeof webhookEndpointInputSchema>;

/** An endpoint may not name a loopback or private address outright (deliveries would be refused). */
export function productionDestinationProblem(url: string): string | null {
  const { hostname } = new URL(url);
  if (isLoopbackHost(hostname) || isPrivateAddress(hostname)) return 'must not point at a loopback or private address';
  return null;
}

export interface CreatedWebhookEndpoint {
  id: string;
  organization_id: string;
  url: string;
  events: string[];
  description: string | null;
  enabled: boolean;
  /** Shown once: the receiver verifies signatures with it. */
  secret: string;
}

/**
 * What the audit log keeps of an endpoint: where it points and what it hears. Never the
 * signing secret, and of the URL only its origin: receivers often put a token of their own
 * in the path or query, and the audit log outlives the endpoint.
 */
function auditedEndpoint(url: string, events: string[]): Record<string, unknown> {
  return { origin: new URL(url).origin, events };
}

/**
 * Endpoints one organization may have. Each event is one request per endpoint, and each
 * endpoint may hold one of the deliver job's slots at a time: the cap keeps one
 * organization from crowding out the others.
 */
export const MAX_WEBHOOK_ENDPOINTS_PER_ORGANIZATION = 10;

/** The organization already has MAX_WEBHOOK_ENDPOINTS_PER_ORGANIZATION endpoints. */
export class WebhookEndpointLimitError extends Error {
  readonly limit = MAX_WEBHOOK_ENDPOINTS_PER_ORGANIZATION;
  constructor() {
    super(`an organization can have at most ${MAX_WEBHOOK_ENDPOINTS_PER_ORGANIZATION} webhook endpoints; delete one first`);
    this.name = 'WebhookEndpointLimitError';
  }
}

export async function createWebhookEndpoint(
  db: Db,
  keyRing: KeyRing,
  organizationId: string,
  input: z.output<typeof webhookEndpointInputSchema>,
  by: AuditActor,
): Promise<CreatedWebhookEndpoint> {
  const id = randomUUID();
  const secret = `whsec_${randomBytes(32).toString('base64')}`;
  await db.transaction(async (tx) => {
    // The organization's row lock makes concurrent additions count one after the other.
    await tx.query(`select id from public.organizations where id = $1 for update`, [organizationId]);
    const [row] = await tx.query<{ n: number }>(`select count(*)::int as n from public.webhook_endpoints where organization_id = $1`, [organizationId]);
    if ((row?.n ?? 0) >= MAX_WEBHOOK_ENDPOINTS_PER_ORGANIZATION) throw new WebhookEndpointLimitError();
    await tx.query(
      `insert into public.webhook_endpoints (id, organization_id, url, secret_encrypted, secret_key_id, events, description)
       values ($1, $2, $3, $4, $5, array(select jsonb_array_elements_text($6::jsonb)), $7)`,
      [id, organizationId, input.url, keyRing.encrypt(secret, webhookSecretContext(id)), keyRing.activeKeyId, JSON.stringify(input.events), input.description ?? null],
    );
    await recordAudit(tx, [
      { ...by, organizationId, action: 'webhook_endpoint.created', targetType: 'webhook_endpoint', targetId: id, metadata: auditedEndpoint(input.url, input.events) },
    ]);
  });
  return { id, organization_id: organizationId, url: input.url, events: input.events, description: input.description ?? null, enabled: true, secret };
}

export interface WebhookEndpointView {
  id: string;
  url: string;
  events: string[];
  enabled: boolean;
  description: string | null;
  created_at: Date;
  [key: string]: unknown;
}

/** The organization's endpoints, never their secrets. */
export function listWebhookEndpoints(db: Queryable, organizationId: string): Promise<WebhookEndpointView[]> {
  return db.query<WebhookEndpointView>(
    `select id, url, events, enabled, description, created_at from public.webhook_endpoints
     where organization_id = $1 order by created_at`,
    [organizationId],
  );
}

export async function deleteWebhookEndpoint(db: Db, organizationId: string, id: string, by: AuditActor): Promise<boolean> {
  return db.transaction(async (tx) => {
    const [deleted] = await tx.query<{ url: string; events: string[] }>(
      `delete from public.webhook_endpoints where id = $1 and organization_id = $2 returning url, events`,
      [id, organizationId],
    );
    if (!deleted) return false;
    await recordAudit(tx, [
      { ...by, organizationId, action: 'webhook_endpoint.deleted', targetType: 'webhook_endpoint', targetId: id, metadata: auditedEndpoint(deleted.url, deleted.events) },
    ]);
    return true;
  });
}
