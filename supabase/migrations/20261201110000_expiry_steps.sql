-- The 5-minute pass's last expiry step (lib/refresh/last-step.ts) looks for connections that
-- nothing can renew and that end within 2 hours. Most connected tokens expire within 2 hours
-- and are renewed by the refresh itself, so the expires_at index alone would walk nearly the
-- whole fleet every 5 minutes. These two indexes give the query's branches their own walks:
-- connections without a refresh token, and connections of the providers the refresh does not
-- renew (exchange grants), each in expiry order. Refresh-token ends already have
-- integrations_refresh_token_expiry_idx.
create index integrations_unrenewable_expiry_idx on public.integrations (expires_at)
  where status = 'connected' and refresh_token_encrypted is null and expires_at is not null;

create index integrations_provider_expiry_idx on public.integrations (provider, expires_at)
  where status = 'connected' and expires_at is not null;
