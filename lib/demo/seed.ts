import { randomBytes } from 'node:crypto';
import type { Db } from '../db/client';
import type { KeyRing } from '../crypto/key-ring';
import type { ProviderRegistry } from '../providers/registry';
import { importConnections } from '../import/import-connections';
import type { ImportEntry } from '../import/entry-schema';

export const DEMO_ORGANIZATION = 'Acme Demo';
export const DEMO_USERS = ['dana@demo.tokenwarden.dev', 'lee@demo.tokenwarden.dev', 'sam@demo.tokenwarden.dev'] as const;

interface DemoConnection {
  user: (typeof DEMO_USERS)[number];
  provider: string;
  account: string;
  organization?: boolean;
  /** Minutes until the access token expires; null: a token that does not expire. */
  expiresInMinutes: number | null;
  refresh?: boolean;
  state?: 'auth_trouble' | 'transient_trouble' | 'needs_reauthorization';
  /** The user revoked access at the provider: the next refresh finds the grant dead. */
  revoked?: boolean;
}

/**
 * The demo's story: a few connections expiring within the refresh window, several healthy
 * ones, one with auth trouble, one riding out a provider outage and one already dead.
 */
const CONNECTIONS: DemoConnection[] = [
  { user: 'dana@demo.tokenwarden.dev', provider: 'google', account: 'dana@acme.example', organization: true, expiresInMinutes: 4 },
  { user: 'dana@demo.tokenwarden.dev', provider: 'microsoft', account: 'dana@acme.onmicrosoft.example', organization: true, expiresInMinutes: 9 },
  { user: 'dana@demo.tokenwarden.dev', provider: 'slack', account: 'acme.slack.example', organization: true, expiresInMinutes: 180 },
  { user: 'dana@demo.tokenwarden.dev', provider: 'hubspot', account: 'Acme CRM (portal 4411)', organization: true, expiresInMinutes: 22, state: 'transient_trouble' },
  { user: 'dana@demo.tokenwarden.dev', provider: 'xero', account: 'Acme Ltd books', organization: true, expiresInMinutes: 3, revoked: true },
  { user: 'dana@demo.tokenwarden.dev', provider: 'atlassian', account: 'acme.atlassian.example', organization: true, expiresInMinutes: 40, state: 'auth_trouble' },
  { user: 'dana@demo.tokenwarden.dev', provider: 'salesforce', account: 'acme.my.salesforce.example', organization: true, expiresInMinutes: -90, state: 'needs_reauthorization' },
  { user: 'dana@demo.tokenwarden.dev', provider: 'notion', account: 'Acme wiki', expiresInMinutes: null },
  { user: 'lee@demo.tokenwarden.dev', provider: 'github', account: 'lee-acme', organization: true, expiresInMinutes: 7 * 60 },
  { user: 'lee@demo.tokenwarden.dev', provider: 'zoom', account: 'lee@acme.example', expiresInMinutes: 45 },
  { user: 'lee@demo.tokenwarden.dev', provider: 'linkedin', account: 'Lee Park', expiresInMinutes: 20 * 24 * 60 },
  { user: 'sam@demo.tokenwarden.dev', provider: 'facebook', account: 'Sam’s Bakery page', expiresInMinutes: 2 * 24 * 60, refresh: false },
  { user: 'sam@demo.tokenwarden.dev', provider: 'quickbooks', account: 'Sam’s Bakery', expiresInMinutes: 6 },
  { user: 'sam@demo.tokenwarden.dev', provider: 'dropbox', account: 'sam@bakery.example', expiresInMinutes: 200 },
];

/** Real tokens for a demo connection from the bundled OAuth provider, when it runs. */
export interface DemoTokenSource {
  /** `accountId` is the grant's account (the login name at the bundled server's sign-in page). */
  mint(connection: { user: string; provider: string; accountId: string }): Promise<{ accessToken: string; refreshToken: string; grantId: string }>;
  revoke(grantId: string): Promise<void>;
}

/**
 * The account a seeded connection's grant belongs to at the bundled OAuth server, stored as its
 * provider_account_id: a reconnect that signs in with this login (the sign-in page prefills it
 * from login_hint) is the same account and restores the connection in place; another login is
 * another account, and the reconnect is refused.
 */
export function demoAccountId(connection: { user: string; provider: string }): string {
  return `${connection.user}/${connection.provider}`;
}

/** The providers the demo points at its local OAuth server (all seeded ones that refresh). */
export function demoProviderIds(): string[] {
  return [...new Set(CONNECTIONS.filter((c) => c.refresh !== false).map((c) => c.provider))];
}

export interface SeedResult {
  seeded: boolean;
  integrations: number;
}

/** Seeds the demo once; a database that already has users is left as it is. */
export async function seedDemo(
  db: Db,
  options: { keyRing: KeyRing; providers: ProviderRegistry; now?: Date; tokens?: DemoTokenSource },
): Promise<SeedResult> {
  const [existing] = await db.query<{ users: number }>(`select count(*)::int as users from auth.users`);
  if ((existing?.users ?? 0) > 0) return { seeded: false, integrations: 0 };
  const now = options.now ?? new Date();
  const minted = await Promise.all(
    CONNECTIONS.map((connection) =>
      options.tokens && connection.refresh !== false ? options.tokens.mint({ user: connection.user, provider: connection.provider, accountId: demoAccountId(connection) }) : null,
    ),
  );
  const entries: ImportEntry[] = CONNECTIONS.map((connection, index) => ({
    user_email: connection.user,
    provider: connection.provider,
    access_token: minted[index]?.accessToken ?? `demo-access-${randomBytes(12).toString('hex')}`,
    refresh_token:
      connection.refresh === false ? undefined : (minted[index]?.refreshToken ?? `demo-refresh-${randomBytes(12).toString('hex')}`),
    expires_at:
      connection.expiresInMinutes === null
        ? undefined
        : new Date(now.getTime() + connection.expiresInMinutes * 60_000).toISOString(),
    account_label: connection.account,
    organization: connection.organization ? DEMO_ORGANIZATION : undefined,
  }));
  const { ids } = await importConnections(db, entries, {
    keyRing: options.keyRing,
    providers: options.providers,
    now: () => now,
    actor: 'demo:seed',
    random: () => 0, // the demo's due times are the story above, not jittered
  });
  for (const [index, connection] of CONNECTIONS.entries()) {
    const grant = minted[index];
    if (connection.revoked && grant && options.tokens) await options.tokens.revoke(grant.grantId);
  }

  await db.transaction(async (tx) => {
    // The demo's addresses are its own, so they count as confirmed: Dana, listed in the demo's
    // OPERATOR_EMAILS, is then an operator (lib/auth/operators.ts). Imported users are not.
    await tx.query(
      `update auth.users set email_confirmed_at = $2
       where lower(email) in (select value from jsonb_array_elements_text($1::jsonb))`,
      [JSON.stringify(DEMO_USERS), now.toISOString()],
    );
    // Lee manages the organization's integrations; Dana owns it (made owner by the import).
    await tx.query(
      `update public.organization_members m set role = 'member', can_manage_integrations = true
       from auth.users u where u.id = m.user_id and u.email = $1`,
      ['lee@demo.tokenwarden.dev'],
    );
    for (const [index, connection] of CONNECTIONS.entries()) {
      const id = ids[index]!;
      const lastRefreshed = new Date(now.getTime() - 55 * 60_000).toISOString();
      await tx.query(`update public.integrations set last_refreshed_at = $2 where id = $1`, [id, lastRefreshed]);
      if (minted[index]) {
        await tx.query(`update public.integrations set provider_account_id = $2 where id = $1`, [id, demoAccountId(connection)]);
      }
      if (connection.state === 'auth_trouble') {
        await tx.query(
          `update public.integrations set consecutive_failures = 2, last_failure_at = $2,
             last_error_code = 'unauthorized_client_token', last_error = 'The provider answered 401 to the refresh request'
           where id = $1`,
          [id, new Date(now.getTime() - 4 * 60_000).toISOString()],
        );
      } else if (connection.state === 'transient_trouble') {
        await tx.query(
          `update public.integrations set consecutive_transient_failures = 3, last_failure_at = $2,
             last_error_code = 'http_503', last_error = 'The provider answered 503 Service Unavailable'
           where id = $1`,
          [id, new Date(now.getTime() - 2 * 60_000).toISOString()],
        );
      } else if (connection.state === 'needs_reauthorization') {
        await tx.query(
          `update public.integrations set status = 'needs_reauthorization', consecutive_failures = 1,
             last_failure_at = $2, last_error_code = 'invalid_grant',
             last_error = 'The refresh token was revoked or expired',
             disconnect_reason = 'The provider no longer accepts this connection''s refresh token (invalid_grant). Reconnect to resume.'
           where id = $1`,
          [id, new Date(now.getTime() - 95 * 60_000).toISOString()],
        );
      }
    }
  });
  return { seeded: true, integrations: ids.length };
}
