/**
 * Where a person reconnects an integration. The host app usually owns the OAuth connect
 * flow, so RECONNECT_URL_TEMPLATE may point there (`{integration_id}` and `{provider}` are
 * filled in); by default it is Tokenwarden's own page for the connection.
 */
export function reconnectUrl(
  settings: { appUrl: string; reconnectUrlTemplate?: string | null },
  integration: { id: string; provider: string },
): string {
  if (!settings.reconnectUrlTemplate) return `${settings.appUrl}/integrations/${integration.id}/reconnect`;
  return settings.reconnectUrlTemplate
    .replaceAll('{integration_id}', encodeURIComponent(integration.id))
    .replaceAll('{provider}', encodeURIComponent(integration.provider));
}
