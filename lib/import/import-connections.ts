import { randomUUID } from 'node:crypto';
import type { Db, Queryable } from '../db/client';
import type { KeyRing } from '../crypto/key-ring';
import { tokenContext } from '../crypto/key-ring';
import type { ProviderProfile } from '../providers/schema';
import { accessTokenLifetime } from '../providers/lifetime';
import type { ImportEntry } from './entry-schema';
import { ImportValidationError, type ImportProblem } from './validate';
import { usersTableIsOwned } from '../db/users';
import { recordAudit } from '../db/audit-log';
import { REFRESH_POLICY } from '../refresh/policy-numbers';

export interface ImportResult {
  imported: number;
  ids: string[];
}

export interface ImportOptions {
  keyRing: KeyRing;
  providers: { get(id: string): Pick<ProviderProfile, 'accessToken'> | undefined };
  now?: () => Date;
  /** Who ran it, for the audit log. */
  actor?: string;
  batchSize?: number;
  /** [0, 1): spreads imported connections' first refresh (tests pass their own). */
  random?: () => number;
}

/**
 * Writes validated entries in one transaction with batched inserts: every connection or
 * none. Users are found by email (and created where Tokenwarden owns auth.users);
 * organizations are found or created by name with the user as owner.
 */
export async function importConnections(db: Db, entries: ImportEntry[], options: ImportOptions): Promise<ImportResult> {
  const now = options.now?.() ?? new Date();
  const batchSize = options.batchSize ?? 1000;
  const random = options.random ?? Math.random;
  if (entries.length === 0) return { imported: 0, ids: [] };

  return db.transaction(async (tx) => {
    const userIds = await resolveUsers(tx, entries);
    const orgIds = await resolveOrganizations(tx, entries, userIds);

    const rows = entries.map((entry) => {
      const id = randomUUID();
      const provider = options.providers.get(entry.provider);
      const expires = expiresAt(entry, provider, now);
      return {
        id,
        organization_id: entry.organization ? orgIds.get(entry.organization)! : null,
        user_id: userIds.get(entry.user_email)!,
        provider: entry.provider,
        account_label: entry.account_label ?? null,
        access: options.keyRing.encrypt(entry.access_token, tokenContext.access(id)),
        refresh: entry.refresh_token ? options.keyRing.encrypt(entry.refresh_token, tokenContext.refresh(id)) : null,
        key_id: options.keyRing.activeKeyId,
        scopes: entry.scopes ?? [],
        expires_at: expires,
        refresh_due_at: refreshDueAt(expires, random),
        refresh_token_expires_at: entry.refresh_token_expires_at ?? null,
      };
    });

    for (let start = 0; start < rows.length; start += batchSize) {
      await tx.query(
        `insert into public.integrations (
           id, organization_id, user_id, provider, account_label, status,
           access_token_encrypted, refresh_token_encrypted, token_key_id, scopes,
           expires_at, refresh_due_at, refresh_token_expires_at)
         select x.id, x.organization_id, x.user_id, x.provider, x.account_label, 'connected',
                x.access, x.refresh, x.key_id,
                array(select jsonb_array_elements_text(x.scopes)),
                x.expires_at, x.refresh_due_at, x.refresh_token_expires_at
         from jsonb_to_recordset($1::jsonb) as x(
           id uuid, organization_id uuid, user_id uuid, provider text, account_label text,
           access text, refresh text, key_id text, scopes jsonb,
           expires_at timestamptz, refresh_due_at timestamptz, refresh_token_expires_at timestamptz)`,
        [JSON.stringify(rows.slice(start, start + batchSize))],
      );
    }

    const perOrganization = new Map<string | null, number>();
    for (const row of rows) perOrganization.set(row.organization_id, (perOrganization.get(row.organization_id) ?? 0) + 1);
    await recordAudit(
      tx,
      [...perOrganization].map(([organizationId, count]) => ({
        organizationId,
        actor: options.actor ?? 'cli:import',
        action: 'integrations.imported',
        targetType: 'integration',
        metadata: { count },
      })),
    );
    return { imported: rows.length, ids: rows.map((row) => row.id) };
  });
}

/** Connections imported together and expiring together are not all refreshed in one tick. */
function refreshDueAt(expires: string | null, random: () => number): string | null {
  if (expires === null) return null;
  return new Date(new Date(expires).getTime() - random() * REFRESH_POLICY.importJitterSeconds * 1000).toISOString();
}

/**
 * No expiry in the file: a token of a provider without a documented lifetime does not expire
 * (lib/providers/lifetime.ts), so none is stored; any other is treated as due now, since when
 * it was issued is unknown: the next refresh pass learns the real expiry instead of trusting a
 * guess (a token issued an hour ago is not good for its full documented lifetime).
 */
function expiresAt(entry: ImportEntry, provider: Pick<ProviderProfile, 'accessToken'> | undefined, now: Date): string | null {
  if (entry.expires_at) return entry.expires_at;
  if (entry.expires_in !== undefined) return new Date(now.getTime() + entry.expires_in * 1000).toISOString();
  const lifetime = provider ? accessTokenLifetime(provider, null) : null;
  return lifetime === null ? null : now.toISOString();
}

async function resolveUsers(tx: Queryable, entries: ImportEntry[]): Promise<Map<string, string>> {
  const emails = [...new Set(entries.map((entry) => entry.user_email))];
  if (await usersTableIsOwned(tx)) {
    // Emails are compared lower-cased: an existing "Alice@Example.com" is this user, not a
    // reason to create a second one (the table's unique key is case-sensitive).
    await tx.query(
      `insert into auth.users (email)
       select value from jsonb_array_elements_text($1::jsonb)
       where not exists (select 1 from auth.users u where lower(u.email) = value)
       on conflict (email) do nothing`,
      [JSON.stringify(emails)],
    );
  }
  const found = await tx.query<{ id: string; email: string }>(
    `select id, lower(email) as email from auth.users
     where lower(email) in (select value from jsonb_array_elements_text($1::jsonb))`,
    [JSON.stringify(emails)],
  );
  const ids = new Map(found.map((row) => [row.email, row.id]));
  const problems: ImportProblem[] = [];
  entries.forEach((entry, index) => {
    if (!ids.has(entry.user_email)) {
      problems.push({
        index,
        field: 'user_email',
        message: `no user with this email in auth.users (on Supabase, invite or create the user first)`,
      });
    }
  });
  if (problems.length > 0) throw new ImportValidationError(problems);
  return ids;
}

async function resolveOrganizations(
  tx: Queryable,
  entries: ImportEntry[],
  userIds: Map<string, string>,
): Promise<Map<string, string>> {
  const names = [...new Set(entries.flatMap((entry) => (entry.organization ? [entry.organization] : [])))];
  if (names.length === 0) return new Map();
  await tx.query(
    `insert into public.organizations (name)
     select value from jsonb_array_elements_text($1::jsonb)
     on conflict (name) do nothing`,
    [JSON.stringify(names)],
  );
  const found = await tx.query<{ id: string; name: string }>(
    `select id, name from public.organizations where name in (select value from jsonb_array_elements_text($1::jsonb))`,
    [JSON.stringify(names)],
  );
  const ids = new Map(found.map((row) => [row.name, row.id]));
  const owners = new Map<string, { organization_id: string; user_id: string }>();
  for (const entry of entries) {
    if (!entry.organization) continue;
    const pair = { organization_id: ids.get(entry.organization)!, user_id: userIds.get(entry.user_email)! };
    owners.set(`${pair.organization_id}/${pair.user_id}`, pair);
  }
  await tx.query(
    `insert into public.organization_members (organization_id, user_id, role, can_manage_integrations)
     select x.organization_id, x.user_id, 'owner', true
     from jsonb_to_recordset($1::jsonb) as x(organization_id uuid, user_id uuid)
     on conflict (organization_id, user_id) do update set role = 'owner', can_manage_integrations = true`,
    [JSON.stringify([...owners.values()])],
  );
  return ids;
}
