import type { Queryable } from './client';

export type OrganizationRole = 'owner' | 'admin' | 'member';

/** The user's role in the organization, or null when they are not a member of it (or it does not exist). */
export async function organizationRole(db: Queryable, organizationId: string, userId: string): Promise<OrganizationRole | null> {
  const [row] = await db.query<{ role: OrganizationRole }>(
    `select role from public.organization_members where organization_id = $1 and user_id = $2`,
    [organizationId, userId],
  );
  return row?.role ?? null;
}
