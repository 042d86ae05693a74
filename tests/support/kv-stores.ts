import type { KvStore } from '../../lib/kv/store';
import { createKvClient, MemoryStore } from '../../lib/kv/store';
import { startUpstashBridge, type UpstashBridge } from './upstash-bridge';

/**
 * The two stores every KV test suite runs on: the real @vercel/kv client through the Upstash
 * bridge to the real Redis, and the in-process store.
 */
export interface StoreUnderTest {
  name: string;
  kind: 'kv' | 'memory';
  store: KvStore;
  close(): Promise<void>;
}

export const STORE_KINDS = ['kv', 'memory'] as const;

export async function openStore(kind: 'kv' | 'memory'): Promise<StoreUnderTest & { bridge?: UpstashBridge }> {
  if (kind === 'memory') return { name: 'in-process store', kind, store: new MemoryStore(), close: async () => {} };
  const bridge = await startUpstashBridge();
  return {
    name: '@vercel/kv through the Upstash bridge to Redis',
    kind,
    bridge,
    store: createKvClient({ url: bridge.url, token: bridge.token }),
    close: () => bridge.close(),
  };
}

/** The store, with every call through it counted (waitUntilReady must not poll). */
export function countingStore(store: KvStore): { store: KvStore; calls: () => number } {
  let calls = 0;
  const counted = new Proxy(store, {
    get(target, property, receiver) {
      const value: unknown = Reflect.get(target, property, receiver);
      if (typeof value !== 'function') return value;
      return (...args: unknown[]) => {
        calls += 1;
        return (value as (...a: unknown[]) => unknown).apply(target, args);
      };
    },
  });
  return { store: counted, calls: () => calls };
}

/** Captures an outage log's lines instead of printing them. */
export function capturedLog(): { lines: string[]; write: (line: string) => void } {
  const lines: string[] = [];
  return { lines, write: (line) => lines.push(line) };
}
