import type { Db } from '../db/client';
import { KeyRing, TokenDecryptionError, tokenContext } from './key-ring';
import { webhookSecretContext } from './key-ring';

export interface RotateKeysResult {
  activeKeyId: string;
  rotated: number;
  /** Webhook signing secrets re-sealed (they are sealed with the same key ring). */
  webhookSecretsRotated: number;
  /** Rows rewritten by a refresh while we worked (they carry the active key already). */
  changedConcurrently: number;
  failed: { integrationId: string; reason: string }[];
}

interface Row {
  id: string;
  /** Null once a disconnect erased it. */
  access_token_encrypted: string | null;
  refresh_token_encrypted: string | null;
  token_version: number;
  [key: string]: unknown;
}

/**
 * Re-encrypts every stored token that is not under the active key, in batches. Each batch
 * is one update that compares the token version, so tokens a refresh wrote meanwhile are
 * never overwritten with older ones. A row that cannot be opened (tampered, unknown key) is
 * reported and left as it is; the rest go on.
 */
export async function rotateKeys(db: Db, keyRing: KeyRing, options: { batchSize?: number } = {}): Promise<RotateKeysResult> {
  const batchSize = options.batchSize ?? 500;
  const result: RotateKeysResult = { activeKeyId: keyRing.activeKeyId, rotated: 0, webhookSecretsRotated: 0, changedConcurrently: 0, failed: [] };
  let after = '00000000-0000-0000-0000-000000000000';
  for (;;) {
    const rows = await db.query<Row>(
      `select id, access_token_encrypted, refresh_token_encrypted, token_version
       from public.integrations
       where token_key_id <> $1 and id > $2
         -- A disconnected connection's tokens are erased: nothing to re-seal.
         and (access_token_encrypted is not null or refresh_token_encrypted is not null)
       order by id
       limit $3`,
      [keyRing.activeKeyId, after, batchSize],
    );
    if (rows.length === 0) break;
    after = rows[rows.length - 1]!.id;

    const updates: { id: string; version: number; access: string | null; refresh: string | null }[] = [];
    // Each token re-sealed under the active key; an erased one (null) stays null.
    const reseal = (sealed: string | null, context: string) => (sealed === null ? null : keyRing.encrypt(keyRing.decrypt(sealed, context), context));
    for (const row of rows) {
      try {
        updates.push({
          id: row.id,
          version: row.token_version,
          access: reseal(row.access_token_encrypted, tokenContext.access(row.id)),
          refresh: reseal(row.refresh_token_encrypted, tokenContext.refresh(row.id)),
        });
      } catch (error) {
        if (!(error instanceof TokenDecryptionError)) throw error;
        result.failed.push({ integrationId: row.id, reason: error.message });
      }
    }
    if (updates.length === 0) continue;
    const written = await db.query<{ id: string }>(
      `update public.integrations i
       set access_token_encrypted = x.access, refresh_token_encrypted = x.refresh, token_key_id = $2
       from jsonb_to_recordset($1::jsonb) as x(id uuid, version bigint, access text, refresh text)
       where i.id = x.id and i.token_version = x.version
       returning i.id`,
      [JSON.stringify(updates), keyRing.activeKeyId],
    );
    result.rotated += written.length;
    result.changedConcurrently += updates.length - written.length;
  }

  // Webhook signing secrets: few, re-sealed one by one; a secret that changed meanwhile is left.
  const endpoints = await db.query<{ id: string; secret_encrypted: string }>(
    `select id, secret_encrypted from public.webhook_endpoints where secret_key_id <> $1`,
    [keyRing.activeKeyId],
  );
  for (const endpoint of endpoints) {
    try {
      const secret = keyRing.decrypt(endpoint.secret_encrypted, webhookSecretContext(endpoint.id));
      const rows = await db.query(
        `update public.webhook_endpoints set secret_encrypted = $2, secret_key_id = $3
         where id = $1 and secret_encrypted = $4 returning id`,
        [endpoint.id, keyRing.encrypt(secret, webhookSecretContext(endpoint.id)), keyRing.activeKeyId, endpoint.secret_encrypted],
      );
      result.webhookSecretsRotated += rows.length;
    } catch (error) {
      if (!(error instanceof TokenDecryptionError)) throw error;
      result.failed.push({ integrationId: `webhook_endpoint:${endpoint.id}`, reason: error.message });
    }
  }
  return result;
}
