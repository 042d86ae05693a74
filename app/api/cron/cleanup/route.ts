import { z } from 'zod';
import { withCron } from '@/lib/cron/with-cron';
import { getDb } from '@/lib/db';
import { runCleanup } from '@/lib/notify/cleanup';

export const dynamic = 'force-dynamic';
export const maxDuration = 300;

export const GET = withCron('cleanup', z.strictObject({}), async () => runCleanup(await getDb(), { now: new Date() }));
