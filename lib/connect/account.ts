import { accountFrom, type AccountEvidence, type ProviderAccount } from '../providers/account-identity';
import type { ResolvedProvider } from '../providers/schema';
import { fillTemplate } from '../refresh/provider-call';
import { ConnectError } from './errors';

/**
 * Which account the new grant belongs to (provider_account_id and a label), read where the
 * profile says (`account`). For `userinfo` that is an authenticated GET with the new access
 * token. null: the provider does not say (the connection then has no provider_account_id).
 */
export async function grantAccount(
  provider: ResolvedProvider,
  evidence: Omit<AccountEvidence, 'userinfo'>,
  input: { accessToken: string; parameters: Record<string, unknown>; fetch: typeof fetch; timeoutMs: number },
): Promise<ProviderAccount | null> {
  const identity = provider.account;
  if (!identity) return null;
  let userinfo: unknown = null;
  if (identity.source === 'userinfo') userinfo = await fetchUserinfo(provider, identity.url, input);
  const account = accountFrom(identity, { ...evidence, userinfo });
  if (!account) throw new ConnectError('account_unknown', `${provider.name} did not say which account was signed in, so the connection was not saved.`);
  return account;
}

async function fetchUserinfo(
  provider: ResolvedProvider,
  template: string,
  input: { accessToken: string; parameters: Record<string, unknown>; fetch: typeof fetch; timeoutMs: number },
): Promise<unknown> {
  const url = fillTemplate(template, input.parameters);
  const failed = (detail: string, cause?: unknown) =>
    new ConnectError('account_unknown', `${provider.name} did not say which account was signed in (${detail}), so the connection was not saved.`, { cause });
  if (!url) throw failed('a connection parameter is missing');
  let response: Response;
  try {
    response = await input.fetch(url, {
      headers: { authorization: `Bearer ${input.accessToken}`, accept: 'application/json', 'user-agent': 'Tokenwarden' },
      signal: AbortSignal.timeout(input.timeoutMs),
    });
  } catch (error) {
    // The error's text may hold the URL, never the token (it travels in a header only).
    throw failed('its user-info endpoint did not answer', error instanceof Error ? new Error(error.name) : undefined);
  }
  if (!response.ok) throw failed(`its user-info endpoint answered HTTP ${response.status}`);
  try {
    return (await response.json()) as unknown;
  } catch (error) {
    throw failed('its user-info answer was not JSON', error instanceof Error ? new Error(error.name) : undefined);
  }
}
