import type { Queryable } from '../db/client';
import { REFRESH_POLICY } from './policy-numbers';

/**
 * Claiming due integrations: one statement takes a batch with FOR UPDATE SKIP LOCKED and
 * stamps a lease (owner + expiry) on it. Overlapping passes and on-demand refreshes skip
 * each other's rows; a crashed worker's lease expires and the row is taken again.
 *
 * Leases are stamped and compared with the database's clock (`now()`), never a caller's:
 * two instances whose clocks disagree cannot take over each other's live lease. Due times
 * and the retry gap use the caller's clock (`now`), which tests inject.
 */

export interface ClaimedIntegration {
  id: string;
  user_id: string;
  organization_id: string | null;
  provider: string;
  account_label: string | null;
  status: 'connected' | 'needs_reauthorization' | 'disconnected';
  /**
   * Only connected rows are claimed, and a connected row always holds one (the
   * integrations_tokens_unless_disconnected check); a disconnect erases both columns.
   */
  access_token_encrypted: string | null;
  refresh_token_encrypted: string | null;
  token_version: number;
  expires_at: Date | null;
  consecutive_failures: number;
  consecutive_transient_failures: number;
  metadata: Record<string, unknown>;
  /**
   * An earlier attempt reached the provider and its result was never recorded (a worker
   * died, or the database was lost, between the call and the write): a rotated refresh
   * token may have been lost in flight. False when a crashed attempt never called.
   */
  unrecorded_call: boolean;
  [key: string]: unknown;
}

export interface ClaimOptions {
  owner: string;
  now: Date;
  limit: number;
  leaseSeconds: number;
  thresholdMinutes: number;
  /** Claim connected integrations whether or not they are due. */
  force?: boolean;
  provider?: string | null;
  integrationId?: string | null;
  /** Scheduled claims skip rows attempted this recently; forced claims do not. */
  retryGapSeconds?: number;
  /** Only rows whose access token expires within this many seconds (on-demand refreshes). */
  expiringWithinSeconds?: number | null;
}


export async function claimDue(db: Queryable, options: ClaimOptions): Promise<ClaimedIntegration[]> {
  return db.query<ClaimedIntegration>(
    `with due as (
       select i.id, i.provider_called_at is not null as unrecorded_call
       from public.integrations i
       where i.status = 'connected'
         and ($1::boolean or i.refresh_due_at <= $2::timestamptz + make_interval(mins => $3::int))
         and (i.lease_expires_at is null or i.lease_expires_at < now())
         and i.lease_owner is distinct from $7
         and ($1::boolean or i.last_attempt_at is null
              or i.last_attempt_at <= $2::timestamptz - make_interval(secs => $9::int))
         and ($10::int is null or i.expires_at < $2::timestamptz + make_interval(secs => $10::int))
         and ($4::text is null or i.provider = $4::text)
         and ($5::uuid is null or i.id = $5::uuid)
       order by i.refresh_due_at nulls last
       limit $6
       for update of i skip locked
     )
     update public.integrations i
     set lease_owner = $7, lease_expires_at = now() + make_interval(secs => $8::int),
         last_attempt_at = $2::timestamptz
     from due
     where i.id = due.id
     returning i.id, i.user_id,
               i.organization_id, i.provider, i.account_label, i.status, i.access_token_encrypted,
               i.refresh_token_encrypted, i.token_version, i.expires_at, i.consecutive_failures,
               i.consecutive_transient_failures, i.metadata, due.unrecorded_call`,
    [
      options.force ?? false,
      options.now.toISOString(),
      options.thresholdMinutes,
      options.provider ?? null,
      options.integrationId ?? null,
      options.limit,
      options.owner,
      options.leaseSeconds,
      options.retryGapSeconds ?? REFRESH_POLICY.retryGapSeconds,
      options.expiringWithinSeconds ?? null,
    ],
  );
}

/**
 * Marks these rows as called, right before their provider calls, and renews their leases
 * from the database's clock. Returns the ids this owner still holds; for any other id the
 * lease is gone (it expired and someone else may have claimed the row), and the caller must
 * not call the provider, or the same refresh token would be sent twice. The mark
 * (provider_called_at) stays until a result is recorded, so a crash after the call is told
 * apart from a crash before it.
 */
export async function markProviderCalls(db: Queryable, input: { ids: string[]; owner: string; leaseSeconds: number }): Promise<Set<string>> {
  if (input.ids.length === 0) return new Set();
  const rows = await db.query<{ id: string }>(
    `update public.integrations
     set provider_called_at = coalesce(provider_called_at, now()),
         lease_expires_at = now() + make_interval(secs => $3::int)
     where id in (select value::uuid from jsonb_array_elements_text($1::jsonb))
       and lease_owner = $2 and lease_expires_at is not null and lease_expires_at > now()
     returning id`,
    [JSON.stringify(input.ids), input.owner, input.leaseSeconds],
  );
  return new Set(rows.map((row) => row.id));
}

/** Gives back leases this owner took but did not work on (the pass ran out of time). */
export async function releaseLeases(db: Queryable, owner: string, ids: string[]): Promise<void> {
  if (ids.length === 0) return;
  await db.query(
    `update public.integrations set lease_expires_at = null, last_attempt_at = null
     where lease_owner = $1 and id in (select value::uuid from jsonb_array_elements_text($2::jsonb))`,
    [owner, JSON.stringify(ids)],
  );
}

/**
 * How many connected integrations a scheduled claim would take now: what a pass left behind.
 * Same filter as claimDue, retry gap included: a row this pass just attempted (and that
 * failed, so it is still due) is not left behind.
 */
export async function countDue(db: Queryable, now: Date, thresholdMinutes: number): Promise<number> {
  const [row] = await db.query<{ due: number }>(
    `select count(*)::int as due from public.integrations
     where status = 'connected' and refresh_due_at <= $1::timestamptz + make_interval(mins => $2::int)
       and (lease_expires_at is null or lease_expires_at < now())
       and (last_attempt_at is null or last_attempt_at <= $1::timestamptz - make_interval(secs => $3::int))`,
    [now.toISOString(), thresholdMinutes, REFRESH_POLICY.retryGapSeconds],
  );
  return row?.due ?? 0;
}
