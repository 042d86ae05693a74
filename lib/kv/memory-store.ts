import { createHash } from 'node:crypto';
import type { Redis } from '@upstash/redis';
import { LIMITER_SCRIPTS, type ScriptContext } from './memory-scripts';

type SetOptions = Parameters<Redis['set']>[2];

interface Entry {
  value: string | Map<string, string>;
  /** Epoch milliseconds; undefined: no expiry. */
  expiresAt?: number;
}

/** Rough bound on the work a sweep of expired keys may add to one write. */
const SWEEP_EVERY_WRITES = 1000;

/**
 * The in-process store: the part of the Upstash Redis client's surface that @upstash/ratelimit
 * and lib/kv/cache.ts call, over a Map in this process. Values are serialized as the Upstash
 * client does (strings as they are, anything else as JSON) and read back the same way, and the
 * rate limiter's Lua scripts are answered by JS implementations keyed by the script's SHA-1
 * (lib/kv/memory-scripts.ts), so that the same test suite passes on both stores. It holds for
 * this one process only: two instances each have their own limits.
 */
export class MemoryStore {
  private readonly entries = new Map<string, Entry>();
  private writes = 0;
  /** Store calls made, for tests that count them (waitUntilReady never busy-loops). */
  calls = 0;

  constructor(private readonly now: () => number = Date.now) {}

  async get<TData>(key: string): Promise<TData | null> {
    this.calls += 1;
    const value = this.readString(key);
    return value === null ? null : (deserialize(value) as TData);
  }

  async set<TData>(key: string, value: TData, opts?: SetOptions): Promise<'OK' | TData | null> {
    this.calls += 1;
    if (opts && 'nx' in opts && opts.nx && this.live(key)) return null;
    if (opts && 'xx' in opts && opts.xx && !this.live(key)) return null;
    const at = this.now();
    let expiresAt: number | undefined;
    if (opts?.ex !== undefined) expiresAt = at + opts.ex * 1000;
    else if (opts?.px !== undefined) expiresAt = at + opts.px;
    else if (opts?.exat !== undefined) expiresAt = opts.exat * 1000;
    else if (opts?.pxat !== undefined) expiresAt = opts.pxat;
    else if (opts?.keepTtl) expiresAt = this.live(key)?.expiresAt;
    this.write(key, { value: typeof value === 'string' ? value : JSON.stringify(value), expiresAt });
    return 'OK';
  }

  async del(...keys: string[]): Promise<number> {
    this.calls += 1;
    let removed = 0;
    for (const key of keys) if (this.live(key) && this.entries.delete(key)) removed += 1;
    return removed;
  }

  async scriptLoad(script: string): Promise<string> {
    this.calls += 1;
    const hash = sha1(script);
    if (!LIMITER_SCRIPTS.has(hash)) throw new Error(`ERR the in-process store has no implementation of script ${hash}`);
    return hash;
  }

  async evalsha<TArgs extends unknown[], TData = unknown>(hash: string, keys: string[], args: TArgs): Promise<TData> {
    this.calls += 1;
    const script = LIMITER_SCRIPTS.get(hash);
    // The same answer Redis gives for a script it does not have: the client then sends EVAL.
    if (!script) throw new Error('NOSCRIPT No matching script. Please use EVAL.');
    return script(this.context(), keys, args.map(String)) as TData;
  }

  async eval<TArgs extends unknown[], TData = unknown>(source: string, keys: string[], args: TArgs): Promise<TData> {
    this.calls += 1;
    const hash = sha1(source);
    const script = LIMITER_SCRIPTS.get(hash);
    if (!script) {
      throw new Error(
        `ERR the in-process store has no implementation of script ${hash} (was @upstash/ratelimit upgraded? see lib/kv/memory-scripts.ts)`,
      );
    }
    return script(this.context(), keys, args.map(String)) as TData;
  }

  private context(): ScriptContext {
    return {
      now: this.now,
      getString: (key) => this.readString(key),
      setString: (key, value) => {
        const entry = this.live(key);
        this.write(key, { value, expiresAt: entry?.expiresAt });
      },
      getHash: (key) => {
        const entry = this.live(key);
        if (!entry) return null;
        if (typeof entry.value === 'string') throw new Error('WRONGTYPE Operation against a key holding the wrong kind of value');
        return entry.value;
      },
      setHashFields: (key, fields) => {
        const entry = this.live(key);
        if (entry && typeof entry.value === 'string') throw new Error('WRONGTYPE Operation against a key holding the wrong kind of value');
        const hash = entry?.value instanceof Map ? entry.value : new Map<string, string>();
        for (const [field, value] of Object.entries(fields)) hash.set(field, value);
        this.write(key, { value: hash, expiresAt: entry?.expiresAt });
      },
      pexpire: (key, ms) => {
        const entry = this.live(key);
        if (!entry) return false;
        entry.expiresAt = this.now() + ms;
        return true;
      },
      keysMatching: (pattern) => {
        const matcher = globToRegExp(pattern);
        return [...this.entries.keys()].filter((key) => this.live(key) && matcher.test(key));
      },
      del: (key) => this.entries.delete(key),
    };
  }

  private readString(key: string): string | null {
    const entry = this.live(key);
    if (!entry) return null;
    if (typeof entry.value !== 'string') throw new Error('WRONGTYPE Operation against a key holding the wrong kind of value');
    return entry.value;
  }

  private live(key: string): Entry | undefined {
    const entry = this.entries.get(key);
    if (entry?.expiresAt !== undefined && entry.expiresAt <= this.now()) {
      this.entries.delete(key);
      return undefined;
    }
    return entry;
  }

  private write(key: string, entry: Entry): void {
    this.entries.set(key, entry);
    this.writes += 1;
    // Keys are only read again by the same caller; without a sweep a process that sees many
    // IPs would keep every expired one.
    if (this.writes % SWEEP_EVERY_WRITES === 0) {
      const at = this.now();
      for (const [name, candidate] of this.entries) {
        if (candidate.expiresAt !== undefined && candidate.expiresAt <= at) this.entries.delete(name);
      }
    }
  }
}

function sha1(text: string): string {
  return createHash('sha1').update(text).digest('hex');
}

/** As the Upstash client reads a value back (automaticDeserialization): JSON when it parses. */
function deserialize(value: string): unknown {
  try {
    return JSON.parse(value);
  } catch {
    return value;
  }
}

/** Redis glob patterns: `*`, `?`, and `\` escapes; character classes are not needed here. */
function globToRegExp(pattern: string): RegExp {
  let source = '';
  for (let i = 0; i < pattern.length; i += 1) {
    const char = pattern[i] ?? '';
    if (char === '*') source += '.*';
    else if (char === '?') source += '.';
    else if (char === '\\' && i + 1 < pattern.length) source += escapeRegExp(pattern[++i] ?? '');
    else source += escapeRegExp(char);
  }
  return new RegExp(`^${source}$`, 's');
}

function escapeRegExp(char: string): string {
  return char.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
