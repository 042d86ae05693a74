-- Refresh hardening: know whether an attempt reached the provider, and clear that only when
-- its result is recorded.

alter table public.integrations
  -- Set (by the lease holder, right before it calls the token endpoint) when an attempt
  -- reaches the provider; cleared when a result is recorded. Still set when a row is
  -- claimed again: an earlier attempt called the provider and its result was never saved,
  -- so a rotated refresh token may have been lost in flight. A claim that crashed before
  -- calling leaves it null, so a later invalid_grant is the user's revoked grant, not ours.
  add column provider_called_at timestamptz;

/*
  record_refresh_result as in 20261125110000_notify.sql, and: a recorded result clears
  provider_called_at (the attempt's outcome is now known and saved).
*/
create or replace function public.record_refresh_result(result jsonb) returns jsonb
  language plpgsql
  set search_path = ''
  as $$
declare
  v_id uuid := (result->>'integration_id')::uuid;
  v_expected bigint := (result->>'expected_version')::bigint;
  v_tokens jsonb := nullif(result->'tokens', 'null'::jsonb);
  v_state jsonb := nullif(result->'state', 'null'::jsonb);
  v_now timestamptz := (result->>'now')::timestamptz;
  v_version bigint;
  v_owed jsonb;
begin
  update public.integrations i set
    access_token_encrypted = coalesce(v_tokens->>'access_token_encrypted', i.access_token_encrypted),
    refresh_token_encrypted = case
      when v_tokens is null then i.refresh_token_encrypted
      when v_tokens ? 'refresh_token_encrypted' then v_tokens->>'refresh_token_encrypted'
      else i.refresh_token_encrypted end,
    token_key_id = coalesce(v_tokens->>'token_key_id', i.token_key_id),
    token_version = i.token_version + case when v_tokens is null then 0 else 1 end,
    expires_at = case when v_tokens is null then i.expires_at else (v_tokens->>'expires_at')::timestamptz end,
    refresh_due_at = case when v_state ? 'refresh_due_at' then (v_state->>'refresh_due_at')::timestamptz else i.refresh_due_at end,
    refresh_token_expires_at = case when v_tokens ? 'refresh_token_expires_at'
      then (v_tokens->>'refresh_token_expires_at')::timestamptz else i.refresh_token_expires_at end,
    scopes = case when v_tokens ? 'scopes'
      then array(select jsonb_array_elements_text(v_tokens->'scopes')) else i.scopes end,
    last_refreshed_at = case when v_tokens is null then i.last_refreshed_at else v_now end,
    status = coalesce(v_state->>'status', i.status),
    consecutive_failures = coalesce((v_state->>'consecutive_failures')::int, i.consecutive_failures),
    consecutive_transient_failures =
      coalesce((v_state->>'consecutive_transient_failures')::int, i.consecutive_transient_failures),
    last_failure_at = case when v_state ? 'last_failure_at' then (v_state->>'last_failure_at')::timestamptz else i.last_failure_at end,
    last_error_code = case when v_state is null then i.last_error_code else v_state->>'last_error_code' end,
    last_error = case when v_state is null then i.last_error else v_state->>'last_error' end,
    disconnect_reason = case when v_state is null then i.disconnect_reason else v_state->>'disconnect_reason' end,
    provider_called_at = null,
    lease_expires_at = case when i.lease_owner = result->>'lease_owner' then null else i.lease_expires_at end
  where i.id = v_id and i.token_version = v_expected
    -- New tokens are stored whoever holds the row now (they are the live ones, and the
    -- version check keeps newer ones safe); a failure is only recorded by the lease holder.
    and (v_tokens is not null or i.lease_owner = result->>'lease_owner')
  returning i.token_version into v_version;

  if v_version is null then
    return null;
  end if;

  insert into public.token_refresh_logs
    (integration_id, provider, trigger, outcome, error_code, http_status, duration_ms, attempts, metadata, created_at)
  select v_id, l->>'provider', l->>'trigger', l->>'outcome', l->>'error_code', (l->>'http_status')::int,
         (l->>'duration_ms')::int, (l->>'attempts')::int, coalesce(l->'metadata', '{}'::jsonb), v_now
  from (select result->'log' as l) as log_row;

  v_owed := public.owe_messages(v_id, v_now, result->'notifications', result->'emails', result->'webhooks');

  return jsonb_build_object('token_version', v_version) || v_owed;
end
$$;

revoke all on function public.record_refresh_result(jsonb) from public, anon, authenticated;
