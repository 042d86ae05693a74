import type { Redis } from '@upstash/redis';
import { createClient } from '@vercel/kv';
import type { Env } from '../env';
import { MemoryStore } from './memory-store';

export { KvUnavailableError } from './errors';
export { MemoryStore } from './memory-store';

/**
 * What lib/kv needs of a store: the Redis-compatible surface @upstash/ratelimit calls
 * (evalsha, falling back to eval on NOSCRIPT; scriptLoad) and what lib/kv/cache.ts and the
 * platform limiter's penalty use (get, set with ex/px, del). The @vercel/kv client (an
 * @upstash/redis `Redis`) is one; MemoryStore is the other.
 */
export type KvStore = Pick<Redis, 'eval' | 'evalsha' | 'scriptLoad' | 'get' | 'set' | 'del'>;

export type KvKind = 'kv' | 'memory';

/**
 * A KV call that takes longer than this fails (KvUnavailableError) instead of holding the
 * request: limits and caches are in front of every limited route, so a hanging KV would
 * otherwise hang them all.
 */
export const KV_TIMEOUT_MS = 1500;

export interface KvClientOptions {
  url: string;
  token: string;
  timeoutMs?: number;
}

/**
 * The @vercel/kv client (Upstash Redis REST) with bounded calls: no retries (the default is
 * five, with backoff: seconds of waiting when KV is down) and a fresh timeout signal per request.
 */
export function createKvClient(options: KvClientOptions): KvStore {
  const timeoutMs = options.timeoutMs ?? KV_TIMEOUT_MS;
  return createClient({
    url: options.url,
    token: options.token,
    retry: { retries: 0 },
    signal: () => AbortSignal.timeout(timeoutMs),
    enableTelemetry: false,
  });
}

/**
 * The process's store: KV when KV_REST_API_URL and KV_REST_API_TOKEN are set, else the
 * in-process store, which holds limits and caches for this one instance only (README, "KV").
 */
export function kvFromEnv(
  env: Pick<Env, 'KV_REST_API_URL' | 'KV_REST_API_TOKEN'>,
  options: { timeoutMs?: number } = {},
): { store: KvStore; kind: KvKind } {
  if (env.KV_REST_API_URL && env.KV_REST_API_TOKEN) {
    return { store: createKvClient({ url: env.KV_REST_API_URL, token: env.KV_REST_API_TOKEN, timeoutMs: options.timeoutMs }), kind: 'kv' };
  }
  return { store: new MemoryStore(), kind: 'memory' };
}
