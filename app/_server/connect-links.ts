/**
 * Links that start the connect flow (GET /connect/{provider}, docs/contracts.md §3). The route
 * checks who may and where `return_to` may go; these only spell the query.
 */
export function reconnectHref(provider: string, integrationId: string, returnTo: string): string {
  return `/connect/${encodeURIComponent(provider)}?${new URLSearchParams({ integration: integrationId, return_to: returnTo })}`;
}

export function connectHref(provider: string, options: { organization?: string; returnTo?: string } = {}): string {
  const query = new URLSearchParams();
  if (options.organization) query.set('organization', options.organization);
  if (options.returnTo) query.set('return_to', options.returnTo);
  const search = query.toString();
  return `/connect/${encodeURIComponent(provider)}${search ? `?${search}` : ''}`;
}
