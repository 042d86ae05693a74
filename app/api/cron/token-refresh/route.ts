import { z } from 'zod';
import { booleanParam, withCron } from '@/lib/cron/with-cron';
import { getRefreshDeps, passSettings } from '@/lib/runtime';
import { runRefreshPass } from '@/lib/refresh/run-pass';

export const dynamic = 'force-dynamic';
// The pass stops claiming at REFRESH_TIME_BUDGET_SECONDS (default 240), well inside this.
export const maxDuration = 300;

const query = z.strictObject({ verbose: booleanParam });

export const GET = withCron('token-refresh', query, async ({ query }) =>
  runRefreshPass(await getRefreshDeps(), { trigger: 'cron', verbose: query.verbose, ...passSettings() }),
);
