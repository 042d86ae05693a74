-- Refresh hardening: know whether an attempt reached the provider, and clear that only when
-- its result is recorded.

alter table public.integrations
  -- Set (by the lease holder, right before it calls the token endpoint) when an attempt
  -- reaches the provider; cleared when a result is recorded. Still set when a row is
  -- claimed again: an earlier attempt called the provider and its result was never saved,
  -- so a rotated refresh token may have been lost in flight. A claim that crashed before
  -- calling leaves it null, so a later invalid_grant is the user's revoked grant, not ours.
  add column provider_called_at timestamptz;

-- record_refresh_result clears provider_called_at when it records a result: its new
-- definition is in 20261201100000_one_log_insert.sql, together with the one log-row insert.
