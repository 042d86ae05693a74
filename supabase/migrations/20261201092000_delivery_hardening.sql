-- Delivery hardening: retries that span days can be redriven by the time of their last
-- attempt, and webhook deliveries run concurrently with at most one request in flight per
-- endpoint, across overlapping passes.

-- When the deliver job last tried the row (set when a pass claims it). `redrive --since`
-- picks failed and dead rows by it.
alter table public.email_outbox add column last_attempt_at timestamptz;
alter table public.webhook_deliveries add column last_attempt_at timestamptz;

-- Rows given up before this column existed: their next_attempt_at was set to the moment of
-- the last attempt when they were marked failed / dead.
update public.email_outbox set last_attempt_at = next_attempt_at where status = 'failed';
update public.webhook_deliveries set last_attempt_at = next_attempt_at where status = 'dead';

-- The redrive scans.
create index email_outbox_failed_idx on public.email_outbox (last_attempt_at) where status = 'failed';
create index webhook_deliveries_dead_idx on public.webhook_deliveries (last_attempt_at) where status = 'dead';

-- The webhook claim's probe: an endpoint's oldest due delivery.
create index webhook_deliveries_endpoint_due_idx on public.webhook_deliveries (endpoint_id, next_attempt_at)
  where status = 'pending';

/*
  One request in flight per endpoint: a pass sends to an endpoint only while it holds the
  endpoint's lease here. A lease is taken atomically (an upsert that succeeds only over an
  expired lease), released with the delivery's result, and simply expires when its pass
  died, so a hanging receiver ties up one of a pass's slots, never the whole job.
*/
create table public.webhook_endpoint_leases (
  endpoint_id uuid not null,
  lease_owner text not null,
  leased_until timestamptz not null,
  constraint webhook_endpoint_leases_pkey primary key (endpoint_id),
  constraint webhook_endpoint_leases_endpoint_fkey foreign key (endpoint_id)
    references public.webhook_endpoints (id) on delete cascade
);

alter table public.webhook_endpoint_leases enable row level security;
-- No policy: only the service connection (the deliver job) uses it.
revoke all on table public.webhook_endpoint_leases from anon, authenticated;

/*
  Claims up to p_limit due webhook deliveries, each for a different endpoint whose lease
  this call takes for p_owner: endpoints in the order of their oldest due delivery, and
  for each, that delivery (attempts + 1, and next_attempt_at pushed to the lease's end so
  that a crashed pass's row comes due again). Walking endpoints rather than deliveries
  keeps a long backlog on one endpoint from hiding everyone else's rows; endpoints are
  few (capped per organization) and each probe is one index lookup.
*/
create function public.claim_webhook_deliveries(p_owner text, p_now timestamptz, p_limit int, p_lease_seconds int)
  returns table (
    id uuid, endpoint_id uuid, event_id text, event_type text, payload jsonb, attempts int, created_at timestamptz,
    url text, enabled boolean, secret_encrypted text
  )
  language plpgsql
  set search_path = ''
  as $$
#variable_conflict use_column
declare
  v_endpoint uuid;
  v_leased int;
  v_until timestamptz := p_now + make_interval(secs => p_lease_seconds);
begin
  for v_endpoint in
    select e.id
    from public.webhook_endpoints e
    cross join lateral (
      select d.next_attempt_at
      from public.webhook_deliveries d
      where d.endpoint_id = e.id and d.status = 'pending' and d.next_attempt_at <= p_now
      order by d.next_attempt_at
      limit 1
    ) head
    where not exists (
      select 1 from public.webhook_endpoint_leases l where l.endpoint_id = e.id and l.leased_until > p_now
    )
    order by head.next_attempt_at, e.id
    limit p_limit
  loop
    insert into public.webhook_endpoint_leases as l (endpoint_id, lease_owner, leased_until)
    values (v_endpoint, p_owner, v_until)
    on conflict on constraint webhook_endpoint_leases_pkey do update
      set lease_owner = excluded.lease_owner, leased_until = excluded.leased_until
      where l.leased_until <= p_now;
    get diagnostics v_leased = row_count;
    -- Another pass took this endpoint since the walk began.
    continue when v_leased = 0;

    return query
      with claimed as (
        update public.webhook_deliveries d
        set attempts = d.attempts + 1, next_attempt_at = v_until, last_attempt_at = p_now
        where d.id = (
          select c.id from public.webhook_deliveries c
          where c.endpoint_id = v_endpoint and c.status = 'pending' and c.next_attempt_at <= p_now
          order by c.next_attempt_at, c.created_at
          limit 1
          for update skip locked
        )
        returning d.id, d.endpoint_id, d.event_id, d.event_type, d.payload, d.attempts, d.created_at
      )
      select c.id, c.endpoint_id, c.event_id, c.event_type, c.payload, c.attempts, c.created_at,
             e.url, e.enabled, e.secret_encrypted
      from claimed c
      join public.webhook_endpoints e on e.id = c.endpoint_id;
    if not found then
      -- Its due row went meanwhile (delivered by the lease's previous holder): let go.
      delete from public.webhook_endpoint_leases l where l.endpoint_id = v_endpoint and l.lease_owner = p_owner;
    end if;
  end loop;
end
$$;

revoke all on function public.claim_webhook_deliveries(text, timestamptz, int, int) from public, anon, authenticated;
