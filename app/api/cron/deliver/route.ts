import { z } from 'zod';
import { withCron } from '@/lib/cron/with-cron';
import { getDeliverDeps } from '@/lib/runtime';
import { runDeliverPass } from '@/lib/notify/deliver';
import { DELIVER_OPTIONS } from '@/lib/notify/deps';

export const dynamic = 'force-dynamic';
// Runs every minute; the pass stops picking up emails after 45 s and webhooks after 40 s.
export const maxDuration = 60;

export const GET = withCron('deliver', z.strictObject({}), async () =>
  runDeliverPass(await getDeliverDeps(), DELIVER_OPTIONS),
);
