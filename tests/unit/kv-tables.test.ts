import { describe, expect, it } from 'vitest';
import { APP_LIMITS, PLATFORM_ALIASES, PLATFORM_LIMITS } from '../../lib/kv/limits';
import { keySegment } from '../../lib/kv/keys';
import { createOutageLog } from '../../lib/kv/kv-log';
import { kvFromEnv, MemoryStore } from '../../lib/kv/store';
import { parseEnv } from '../../lib/env';

describe('KV tables and helpers', () => {
  it('the platform table is docs/contracts.md §6', () => {
    const hour = 3600;
    expect(PLATFORM_LIMITS).toEqual({
      meta: { limit: 200, periodSeconds: hour, burst: 50 },
      tiktok: { limit: 100, periodSeconds: hour, burst: 25 },
      linkedin: { limit: 100, periodSeconds: 24 * hour, burst: 20 },
      twitter: { limit: 300, periodSeconds: 15 * 60, burst: 100 },
      google_ads: { limit: 15000, periodSeconds: 24 * hour, burst: 500 },
      snapchat: { limit: 100, periodSeconds: hour, burst: 25 },
    });
    expect(PLATFORM_ALIASES).toEqual({ facebook: 'meta', instagram: 'meta', x: 'twitter' });
  });

  it('the app table is docs/contracts.md §6, each with its direction when KV is down', () => {
    expect(APP_LIMITS).toEqual({
      manual_refresh: { limit: 5, windowSeconds: 3600, keyedOn: 'user', whenKvDown: 'closed' },
      test_connection: { limit: 30, windowSeconds: 3600, keyedOn: 'user', whenKvDown: 'closed' },
      sign_in: { limit: 20, windowSeconds: 60, keyedOn: 'ip', whenKvDown: 'closed' },
      connect_start: { limit: 20, windowSeconds: 60, keyedOn: 'ip', whenKvDown: 'closed' },
      api: { limit: 600, windowSeconds: 60, keyedOn: 'api_key', whenKvDown: 'open' },
    });
  });

  it('API_RATE_LIMIT_PER_MINUTE defaults to 600 and takes a whole number', () => {
    expect(parseEnv({}).API_RATE_LIMIT_PER_MINUTE).toBe(600);
    expect(parseEnv({ API_RATE_LIMIT_PER_MINUTE: '120' }).API_RATE_LIMIT_PER_MINUTE).toBe(120);
    expect(() => parseEnv({ API_RATE_LIMIT_PER_MINUTE: '0' })).toThrow(/API_RATE_LIMIT_PER_MINUTE/);
  });

  it('key segments never hold a separator or a glob character, and differ when the keys differ', () => {
    const keys = ['a', 'a:b', 'a*', 'a?', '[a]', 'ü', '', 'a\\b'];
    const segments = keys.map(keySegment);
    for (const segment of segments) expect(segment).toMatch(/^[A-Za-z0-9_-]*$/);
    expect(new Set(segments).size).toBe(keys.length);
  });

  it('an outage logs one line, then one more per quiet period saying how many it held back', () => {
    const lines: string[] = [];
    let now = 0;
    const log = createOutageLog('test', { write: (line) => lines.push(line), now: () => now, quietMs: 1000 });
    log.failed('limit api failed open', new Error('down'));
    now = 500;
    log.failed('limit api failed open', new Error('down'));
    log.failed('limit api failed open', new Error('down'));
    expect(lines).toEqual(['[test] limit api failed open: down']);
    now = 1500;
    log.failed('limit api failed open', new Error('still down'));
    expect(lines[1]).toBe('[test] limit api failed open: still down (2 more since the last line)');
  });

  it('kvFromEnv: KV with both variables, else the in-process store', () => {
    expect(kvFromEnv({ KV_REST_API_URL: undefined, KV_REST_API_TOKEN: undefined }).kind).toBe('memory');
    const kv = kvFromEnv({ KV_REST_API_URL: 'https://kv.example.com', KV_REST_API_TOKEN: 'token' });
    expect(kv.kind).toBe('kv');
    expect(kv.store).not.toBeInstanceOf(MemoryStore);
  });

  it('the in-process store refuses a script it does not implement, by name, and answers NOSCRIPT for an unknown hash', async () => {
    const store = new MemoryStore();
    await expect(store.evalsha('0'.repeat(40), [], [])).rejects.toThrow(/^NOSCRIPT/);
    await expect(store.eval('return 1', [], [])).rejects.toThrow(/no implementation of script/);
    await expect(store.scriptLoad('return 1')).rejects.toThrow(/no implementation of script/);
  });

  it('the in-process store serializes as the Upstash client does', async () => {
    let now = 1_000;
    const store = new MemoryStore(() => now);
    await store.set('o', { a: 1 });
    await store.set('s', 'text');
    await store.set('n', 42, { px: 100 });
    expect(await store.get('o')).toEqual({ a: 1 });
    expect(await store.get('s')).toBe('text');
    expect(await store.get('n')).toBe(42);
    expect(await store.set('s', 'other', { nx: true })).toBeNull();
    now = 1_100;
    expect(await store.get('n')).toBeNull();
    expect(await store.del('o', 'n', 'missing')).toBe(1);
  });
});
