/**
 * One "app process" for tests/integration/kv-processes.test.ts: its own KV client from
 * KV_REST_API_URL / KV_REST_API_TOKEN (as lib/runtime.ts builds it) and its own limiters, firing
 * `count` attempts at once at `startAt`; prints one JSON line: the allowed flags.
 *
 *   tsx tests/support/kv-limit-child.ts '{"limit":"app"|"platform","key":"...","count":8,"startAt":1700000000000}'
 */
import { kvFromEnv } from '../../lib/kv/store';
import { createAppLimiter } from '../../lib/kv/rate-limit';
import { createPlatformLimiter } from '../../lib/kv/platform-limiter';

const job = JSON.parse(process.argv[2] ?? '{}') as { limit: 'app' | 'platform'; key: string; count: number; startAt: number };
const { store, kind } = kvFromEnv({ KV_REST_API_URL: process.env.KV_REST_API_URL, KV_REST_API_TOKEN: process.env.KV_REST_API_TOKEN });
if (kind !== 'kv') throw new Error('the child needs KV_REST_API_URL and KV_REST_API_TOKEN');
const app = createAppLimiter(store);
const platform = createPlatformLimiter(store, { meta: { burst: 7 } });

await new Promise((resolve) => setTimeout(resolve, Math.max(0, job.startAt - Date.now())));
const decisions = await Promise.all(
  Array.from({ length: job.count }, () => (job.limit === 'app' ? app.check('manual_refresh', job.key) : platform.attempt('meta', job.key))),
);
process.stdout.write(`${JSON.stringify(decisions.map((decision) => decision.allowed))}\n`);
