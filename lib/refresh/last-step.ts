import type { RefreshDeps } from './refresh-one';
import { warn, type ExpiryCandidate } from './check-expiring';
import { EXPIRY_STEPS, connectionEnd, expiryStep } from '../owed/expiry';
import { describeDatabaseError } from '../db/errors';

/**
 * The last expiry step (`critical`, 2 hours before the end), raised by the 5-minute pass
 * after its refreshes: the daily check runs too seldom to catch it. One query finds connected
 * connections that nothing can renew ending that soon and not yet told at this step; each of
 * its branches walks an index of its own few rows, never the fleet's ordinary expiring
 * tokens, and the notifications' (user_id, dedupe_key) key answers the "told".
 */

const LAST = EXPIRY_STEPS[0];

interface LastStepCounts {
  warned: number;
  notificationsCreated: number;
  emailsQueued: number;
  webhooksQueued: number;
}

export async function raiseLastExpiryStep(deps: RefreshDeps): Promise<LastStepCounts> {
  const now = deps.now();
  const counts: LastStepCounts = { warned: 0, notificationsCreated: 0, emailsQueued: 0, webhooksQueued: 0 };
  // The providers whose connections the 5-minute refresh does not renew (exchange grants or none).
  const notRenewing = deps.providers.list().filter((provider) => provider.refreshGrant !== 'refresh_token').map((provider) => provider.id);
  // Three branches, each an index walk over its own few rows (migration 20261201110000): a
  // refresh token ending, an access token ending with no refresh token, an access token
  // ending at a provider the refresh does not renew.
  const rows = await deps.db.query<ExpiryCandidate>(
    `with soon as (
       select i.id, i.user_id, i.organization_id, i.provider, i.account_label, i.expires_at, i.refresh_token_expires_at,
              i.refresh_token_encrypted is not null as has_refresh_token
       from public.integrations i
       where i.status = 'connected' and i.refresh_token_expires_at is not null
         and i.refresh_token_expires_at between $1::timestamptz and $1::timestamptz + make_interval(hours => $2::int)
       union
       select i.id, i.user_id, i.organization_id, i.provider, i.account_label, i.expires_at, i.refresh_token_expires_at,
              i.refresh_token_encrypted is not null as has_refresh_token
       from public.integrations i
       where i.status = 'connected' and i.refresh_token_encrypted is null and i.expires_at is not null
         and i.expires_at between $1::timestamptz and $1::timestamptz + make_interval(hours => $2::int)
       union
       select i.id, i.user_id, i.organization_id, i.provider, i.account_label, i.expires_at, i.refresh_token_expires_at,
              i.refresh_token_encrypted is not null as has_refresh_token
       from public.integrations i
       where i.status = 'connected' and i.expires_at is not null and i.provider = any($3::text[])
         and i.expires_at between $1::timestamptz and $1::timestamptz + make_interval(hours => $2::int)
     )
     select i.* from soon i
     where not exists (
         select 1 from public.notifications n
         where n.user_id = i.user_id
           and n.dedupe_key in (
             'expiring/' || i.id || '/' || to_char(i.refresh_token_expires_at at time zone 'UTC', 'YYYY-MM-DD') || '/' || $4::text,
             'expiring/' || i.id || '/' || to_char(i.expires_at at time zone 'UTC', 'YYYY-MM-DD') || '/' || $4::text))
     order by least(i.refresh_token_expires_at, i.expires_at), i.id`,
    [now.toISOString(), LAST.hoursLeft, notRenewing, LAST.key],
  );
  for (const row of rows) {
    const end = connectionEnd(row, deps.providers, now, LAST.hoursLeft / 24);
    // Within the window but at exactly 2 hours: the step starts under 2 hours.
    if (!end || expiryStep((end.getTime() - now.getTime()) / 3_600_000).key !== LAST.key) continue;
    try {
      const owed = await warn(deps, row, end, now);
      if (owed.notifications > 0) counts.warned += 1;
      counts.notificationsCreated += owed.notifications;
      counts.emailsQueued += owed.emails;
      counts.webhooksQueued += owed.webhooks;
    } catch (error) {
      // The next pass (5 minutes on) finds it again: it is not told yet.
      console.error(`[refresh] last expiry step for integration ${row.id}: ${describeDatabaseError(error)}`);
    }
  }
  return counts;
}
