import { z } from 'zod';
import { booleanParam, withCron } from '@/lib/cron/with-cron';
import { getRefreshDeps } from '@/lib/runtime';
import { runCheckExpiring } from '@/lib/refresh/check-expiring';

export const dynamic = 'force-dynamic';
export const maxDuration = 300;

const query = z.strictObject({
  days: z.coerce.number().int('must be a whole number').min(1, 'must be at least 1').max(90, 'must be at most 90').default(7),
  no_auto_refresh: booleanParam,
});

export const GET = withCron('check-expiring', query, async ({ query }) =>
  runCheckExpiring(await getRefreshDeps(), { days: query.days, autoRefresh: !query.no_auto_refresh }),
);
