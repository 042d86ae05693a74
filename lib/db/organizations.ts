import type { Queryable } from './client';

export interface ManagedOrganization {
  id: string;
  name: string;
  [key: string]: unknown;
}

/**
 * The organizations in which the current user may connect integrations: owners, admins and
 * members with can_manage_integrations (public.can_manage_org_integrations, the rule the
 * connect route applies). Run it inside `asUser`.
 */
export function listManagedOrganizations(tx: Queryable): Promise<ManagedOrganization[]> {
  return tx.query<ManagedOrganization>(
    `select id, name from public.organizations where public.can_manage_org_integrations(id) order by name, id`,
  );
}
