-- Connect review (issue 9): one live connection per account, made a rule of the database.
-- A new connect lands on the connection the user (or their organization) already has for the
-- account (lib/db/integrations.ts lockSameAccountConnection). Two connects of the same account
-- racing each find none and would both insert; with these indexes the second insert fails, and
-- the connect retries and reconnects the first one in place. The key is the one that lookup
-- uses: an organization's connections by organization, a user's own (outside any
-- organization) by user. Disconnected connections hold no tokens and do not count; rows
-- without a provider_account_id (imported, or from a provider that names no account) neither.
create unique index integrations_one_live_org_account
  on public.integrations (provider, provider_account_id, organization_id)
  where provider_account_id is not null and organization_id is not null and status <> 'disconnected';

create unique index integrations_one_live_own_account
  on public.integrations (provider, provider_account_id, user_id)
  where provider_account_id is not null and organization_id is null and status <> 'disconnected';
