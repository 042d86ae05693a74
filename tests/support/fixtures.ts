import { randomBytes, randomUUID } from 'node:crypto';
import type { Queryable } from '../../lib/db/client';
import { KeyRing, tokenContext } from '../../lib/crypto/key-ring';

export const testKeyRing = (id = 'test') => new KeyRing([{ id, key: randomBytes(32) }]);

export async function insertUser(db: Queryable, email: string): Promise<string> {
  const [row] = await db.query<{ id: string }>(`insert into auth.users (email) values ($1) returning id`, [email]);
  return row!.id;
}

export async function insertOrganization(
  db: Queryable,
  name: string,
  members: { userId: string; role: 'owner' | 'admin' | 'member'; canManage?: boolean }[],
): Promise<string> {
  const [org] = await db.query<{ id: string }>(`insert into public.organizations (name) values ($1) returning id`, [name]);
  for (const member of members) {
    await db.query(
      `insert into public.organization_members (organization_id, user_id, role, can_manage_integrations)
       values ($1, $2, $3, $4)`,
      [org!.id, member.userId, member.role, member.canManage ?? false],
    );
  }
  return org!.id;
}

export async function insertIntegration(
  db: Queryable,
  keyRing: KeyRing,
  values: { userId: string; provider?: string; organizationId?: string | null; expiresAt?: Date | null; accessToken?: string; refreshToken?: string | null },
): Promise<string> {
  const id = randomUUID();
  await db.query(
    `insert into public.integrations
       (id, user_id, organization_id, provider, account_label, access_token_encrypted, refresh_token_encrypted, token_key_id, expires_at, refresh_due_at)
     values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $9)`,
    [
      id,
      values.userId,
      values.organizationId ?? null,
      values.provider ?? 'google',
      `${values.provider ?? 'google'} account`,
      keyRing.encrypt(values.accessToken ?? `access-${id}`, tokenContext.access(id)),
      values.refreshToken === null ? null : keyRing.encrypt(values.refreshToken ?? `refresh-${id}`, tokenContext.refresh(id)),
      keyRing.activeKeyId,
      values.expiresAt === undefined ? new Date(Date.now() + 3600_000).toISOString() : values.expiresAt?.toISOString() ?? null,
    ],
  );
  return id;
}

export async function insertNotification(db: Queryable, userId: string, integrationId: string, provider: string): Promise<string> {
  const [row] = await db.query<{ id: string }>(
    `insert into public.notifications (user_id, integration_id, type, severity, title, message, metadata)
     values ($1, $2, 'integration_warning', 'warning', 'Trouble', 'We''re having trouble', jsonb_build_object('provider', $3::text))
     returning id`,
    [userId, integrationId, provider],
  );
  return row!.id;
}
