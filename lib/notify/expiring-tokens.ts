import type { Queryable } from '../db/client';
import type { ProviderRegistry } from '../providers/registry';
import { reconnectUrl } from '../owed/reconnect-url';
import { connectionEnd, expiryPhrase, severityFor, type ExpirySeverity } from '../owed/expiry';

export type { ExpirySeverity } from '../owed/expiry';

/**
 * The expiring-tokens view for dashboards (docs/contracts.md §3): an organization's connected
 * integrations that stop working within `days` unless someone acts. That is when the
 * refresh token ends, or, for a token the 5-minute refresh cannot renew (no refresh token,
 * or a long-lived token renewed by exchange), when the access token ends. Ordinary
 * refreshable tokens that expire hourly are not "expiring".
 */

export interface ExpiringToken {
  integration_id: string;
  platform: string;
  platform_name: string;
  username: string | null;
  expires_at: string;
  expires_at_human: string;
  days_until_expiry: number;
  hours_until_expiry: number;
  severity: ExpirySeverity;
  has_refresh_token: boolean;
  reconnect_url: string;
}

export interface ExpiringTokensResponse {
  expiring_tokens: ExpiringToken[];
  total_count: number;
  critical_count: number;
  urgent_count: number;
  warning_count: number;
}

interface Row {
  id: string;
  provider: string;
  account_label: string | null;
  expires_at: Date | null;
  refresh_token_expires_at: Date | null;
  has_refresh_token: boolean;
  [key: string]: unknown;
}

/** Run with the service connection after checking membership (the refresh-token column is not granted to users). */
export async function expiringTokens(
  db: Queryable,
  input: { /** null: every organization (the operator console). */ organizationId: string | null; days: number; limit?: number; now: Date; providers: ProviderRegistry; appUrl: string; reconnectUrlTemplate?: string | null },
): Promise<ExpiringTokensResponse> {
  const rows = await db.query<Row>(
    `select id, provider, account_label, expires_at, refresh_token_expires_at,
            refresh_token_encrypted is not null as has_refresh_token
     from public.integrations
     where ($1::uuid is null or organization_id = $1::uuid) and status = 'connected'
       and (expires_at between $2::timestamptz and $2::timestamptz + make_interval(days => $3::int)
            or refresh_token_expires_at between $2::timestamptz and $2::timestamptz + make_interval(days => $3::int))
     order by least(expires_at, refresh_token_expires_at) nulls last, id
     limit $4::int`,
    [input.organizationId, input.now.toISOString(), input.days, input.limit ?? null],
  );
  const tokens: ExpiringToken[] = [];
  for (const row of rows) {
    const provider = input.providers.get(row.provider);
    const end = connectionEnd(row, input.providers, input.now, input.days);
    if (!end) continue;
    const msLeft = end.getTime() - input.now.getTime();
    const hoursLeft = msLeft / 3_600_000;
    tokens.push({
      integration_id: row.id,
      platform: row.provider,
      platform_name: provider?.name ?? row.provider,
      username: row.account_label,
      expires_at: end.toISOString(),
      expires_at_human: expiryPhrase(msLeft),
      days_until_expiry: Math.floor(hoursLeft / 24),
      hours_until_expiry: Math.floor(hoursLeft),
      severity: severityFor(hoursLeft),
      has_refresh_token: row.has_refresh_token,
      reconnect_url: reconnectUrl({ appUrl: input.appUrl, reconnectUrlTemplate: input.reconnectUrlTemplate }, { id: row.id, provider: row.provider }),
    });
  }
  tokens.sort((a, b) => a.expires_at.localeCompare(b.expires_at));
  const count = (severity: ExpirySeverity) => tokens.filter((token) => token.severity === severity).length;
  return {
    expiring_tokens: tokens,
    total_count: tokens.length,
    critical_count: count('critical'),
    urgent_count: count('urgent'),
    warning_count: count('warning'),
  };
}
