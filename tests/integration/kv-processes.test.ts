import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAppLimiter } from '../../lib/kv/rate-limit';
import { MemoryStore } from '../../lib/kv/store';
import { startUpstashBridge, type UpstashBridge } from '../support/upstash-bridge';

/**
 * A limit holds across app processes that share one KV (Redis behind the Upstash bridge): two
 * real child processes, each with its own @vercel/kv client and limiters, fire at once.
 */
const root = join(import.meta.dirname, '..', '..');

function runChild(bridge: UpstashBridge, job: object): Promise<boolean[]> {
  return new Promise((resolve, reject) => {
    execFile(
      'npx',
      ['tsx', 'tests/support/kv-limit-child.ts', JSON.stringify(job)],
      { cwd: root, env: { ...process.env, KV_REST_API_URL: bridge.url, KV_REST_API_TOKEN: bridge.token }, timeout: 60_000 },
      (error, stdout, stderr) => {
        if (error) reject(new Error(`child failed: ${stderr}`, { cause: error }));
        else resolve(JSON.parse(stdout.trim().split('\n').at(-1) ?? '[]') as boolean[]);
      },
    );
  });
}

describe('limits across processes', () => {
  let bridge: UpstashBridge;
  beforeAll(async () => {
    bridge = await startUpstashBridge();
  });
  afterAll(async () => {
    await bridge.close();
  });

  it('manual refresh: 5 per hour per user in total over two processes firing 8 each at once', async () => {
    const key = `user-${randomUUID()}`;
    const startAt = Date.now() + 4000;
    const [a, b] = await Promise.all([runChild(bridge, { limit: 'app', key, count: 8, startAt }), runChild(bridge, { limit: 'app', key, count: 8, startAt })]);
    expect(a).toHaveLength(8);
    expect(b).toHaveLength(8);
    expect([...a, ...b].filter(Boolean)).toHaveLength(5);
  });

  it('platform burst: 7 in total over two processes firing 6 each at once', async () => {
    const key = `integration-${randomUUID()}`;
    const startAt = Date.now() + 4000;
    const [a, b] = await Promise.all([
      runChild(bridge, { limit: 'platform', key, count: 6, startAt }),
      runChild(bridge, { limit: 'platform', key, count: 6, startAt }),
    ]);
    expect([...a, ...b].filter(Boolean)).toHaveLength(7);
  });

  it('the in-process store holds for its own process only (README: one instance without KV)', async () => {
    const key = `user-${randomUUID()}`;
    const first = createAppLimiter(new MemoryStore());
    const second = createAppLimiter(new MemoryStore());
    for (let i = 0; i < 5; i += 1) await first.check('manual_refresh', key);
    expect((await first.check('manual_refresh', key)).allowed).toBe(false);
    expect((await second.check('manual_refresh', key)).allowed).toBe(true);
  });
});
