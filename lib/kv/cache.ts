import { kvCall } from './errors';
import { createOutageLog, type OutageLog } from './kv-log';
import type { KvStore } from './store';

export interface KvCache {
  /** The value stored under `key`, or undefined when absent, expired, or KV cannot answer. */
  get<T>(key: string): Promise<T | undefined>;
  /** Stores a JSON value for `ttlSeconds` (each use names its TTL at the call site). */
  set(key: string, value: unknown, ttlSeconds: number): Promise<void>;
  delete(key: string): Promise<void>;
}

const PREFIX = 'tw:cache:';

/**
 * Short caches on KV. Fails open: with KV down a get is a miss (the caller does the real work)
 * and a set or delete is skipped, each logged once per outage. A skipped delete leaves the old
 * value until its TTL, which is why every use keeps its TTL short. Values are wrapped
 * (`{ v }`) so that a cached JSON null is a hit, not a miss.
 */
export function createCache(store: KvStore, options: { log?: OutageLog } = {}): KvCache {
  const log = options.log ?? createOutageLog('kv-cache');
  return {
    async get<T>(key: string): Promise<T | undefined> {
      try {
        const stored = await kvCall('cache get', () => store.get<{ v: T }>(PREFIX + key));
        return stored !== null && typeof stored === 'object' && 'v' in stored ? stored.v : undefined;
      } catch (error) {
        log.failed('cache get missed', error);
        return undefined;
      }
    },
    async set(key, value, ttlSeconds) {
      if (!(ttlSeconds > 0) || !Number.isFinite(ttlSeconds)) throw new RangeError(`cache TTL must be a positive number of seconds (got ${ttlSeconds})`);
      try {
        await kvCall('cache set', () => store.set(PREFIX + key, JSON.stringify({ v: value }), { px: Math.ceil(ttlSeconds * 1000) }));
      } catch (error) {
        log.failed('cache set skipped', error);
      }
    },
    async delete(key) {
      try {
        await kvCall('cache delete', () => store.del(PREFIX + key));
      } catch (error) {
        log.failed('cache delete skipped', error);
      }
    },
  };
}
