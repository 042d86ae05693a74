import type { Queryable } from './client';

/**
 * connect_sessions: one row per started authorization (docs/contracts.md §4). Found by the
 * SHA-256 of `state` (never the state itself), taken once, refused after expires_at, removed
 * by the cleanup job a day after it ended.
 */

export interface NewConnectSession {
  id: string;
  stateHash: string;
  userId: string;
  organizationId: string | null;
  integrationId: string | null;
  provider: string;
  codeVerifierEncrypted: string;
  nonce: string | null;
  returnTo: string;
  browserBindingHash: string;
  metadata: Record<string, string>;
  lifetimeSeconds: number;
}

export interface ConnectSessionRow {
  id: string;
  user_id: string;
  organization_id: string | null;
  integration_id: string | null;
  provider: string;
  code_verifier_encrypted: string;
  nonce: string | null;
  return_to: string;
  browser_binding_hash: string;
  metadata: Record<string, string>;
  /** On the database's clock, when it was taken. */
  expired: boolean;
  [key: string]: unknown;
}

export async function insertConnectSession(db: Queryable, session: NewConnectSession): Promise<void> {
  await db.query(
    `insert into public.connect_sessions
       (id, state_hash, user_id, organization_id, integration_id, provider, code_verifier_encrypted, nonce,
        return_to, browser_binding_hash, metadata, expires_at)
     values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11::jsonb, now() + make_interval(secs => $12::int))`,
    [
      session.id,
      session.stateHash,
      session.userId,
      session.organizationId,
      session.integrationId,
      session.provider,
      session.codeVerifierEncrypted,
      session.nonce,
      session.returnTo,
      session.browserBindingHash,
      JSON.stringify(session.metadata),
      session.lifetimeSeconds,
    ],
  );
}

export type TakenSession = { kind: 'taken'; session: ConnectSessionRow } | { kind: 'unknown' } | { kind: 'used' };

/**
 * Takes the session of a state hash, atomically and once: of two callbacks racing with one
 * state, one gets the row and the other `used`. An expired row is taken too (and says so),
 * so that it cannot be tried again.
 */
export async function takeConnectSession(db: Queryable, stateHash: string): Promise<TakenSession> {
  const [row] = await db.query<ConnectSessionRow>(
    `update public.connect_sessions set used_at = now()
     where state_hash = $1 and used_at is null
     returning id, user_id, organization_id, integration_id, provider, code_verifier_encrypted, nonce, return_to,
               browser_binding_hash, metadata, expires_at <= now() as expired`,
    [stateHash],
  );
  if (row) return { kind: 'taken', session: row };
  const [known] = await db.query(`select 1 from public.connect_sessions where state_hash = $1`, [stateHash]);
  return known ? { kind: 'used' } : { kind: 'unknown' };
}

/** Sessions that ended (expired or used) before `cutoff`; in batches, as the other retention deletes. */
export async function deleteEndedConnectSessions(db: Queryable, cutoff: string, batch: number): Promise<number> {
  let total = 0;
  for (;;) {
    const rows = await db.query<{ id: string }>(
      `delete from public.connect_sessions where id in (
         select id from public.connect_sessions
         where created_at < $1::timestamptz and (used_at is not null or expires_at < $1::timestamptz)
         limit $2)
       returning id`,
      [cutoff, batch],
    );
    total += rows.length;
    if (rows.length < batch) return total;
  }
}
