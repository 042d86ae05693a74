-- The refresh engine: leases for claiming due integrations, a jittered due time and the
-- index the claim walks.

alter table public.integrations
  -- When this connection should next be refreshed: expires_at minus a per-connection jitter,
  -- so tokens issued together are not all refreshed in the same tick. Null: never due.
  add column refresh_due_at timestamptz,
  -- The claim. lease_expires_at is set while a worker holds the row and cleared when it
  -- records a result; a crashed worker's lease simply expires. lease_owner names the last
  -- claimant (a pass's run id) and stays, so one pass never takes the same row twice.
  add column lease_owner text,
  add column lease_expires_at timestamptz,
  -- When a worker last took this row. Scheduled passes leave a row alone for a minute after
  -- any attempt, so overlapping passes never work one connection over and over.
  add column last_attempt_at timestamptz,
  add constraint integrations_lease_has_owner
    check (lease_expires_at is null or lease_owner is not null);

update public.integrations set refresh_due_at = expires_at where refresh_due_at is null;

-- The claim walks connected rows in due order; cost depends on the rows it returns, not on
-- the size of the table. It replaces the expires_at index of the foundation migration.
drop index if exists public.integrations_refresh_due_idx;
create index integrations_refresh_due_idx on public.integrations (refresh_due_at)
  where status = 'connected' and refresh_due_at is not null;

-- Dashboards may show the due time; never the lease.
grant select (refresh_due_at) on public.integrations to authenticated;

-- Stats and alerting read recent outcomes per provider.
create index token_refresh_logs_provider_outcome_idx
  on public.token_refresh_logs (provider, outcome, created_at desc);

-- The function that records a refresh result (record_refresh_result) is created with the
-- outbox it writes to, in 20261125110000_notify.sql.
