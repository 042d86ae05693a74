/**
 * The Lua scripts of @upstash/ratelimit 2.2 (dist/index.mjs, `SCRIPTS` and `RESET_SCRIPT`)
 * that lib/kv uses, re-implemented for the in-process store and keyed by the SHA-1 of the
 * script's text (the hash the library sends with EVALSHA, and what the store computes for
 * EVAL). A library upgrade that changes a script changes its hash: the in-process store then
 * refuses it by name instead of answering differently (tests/unit/kv-store.test.ts runs the same
 * suite on both stores). Numbers come back truncated to integers, as Redis converts Lua numbers.
 */
export interface ScriptContext {
  now(): number;
  getString(key: string): string | null;
  setString(key: string, value: string): void;
  getHash(key: string): Map<string, string> | null;
  setHashFields(key: string, fields: Record<string, string>): void;
  pexpire(key: string, ms: number): boolean;
  keysMatching(pattern: string): string[];
  del(key: string): boolean;
}

type Script = (ctx: ScriptContext, keys: string[], args: string[]) => unknown;

const int = (value: number) => Math.trunc(value);

/** `local dynamicLimit = redis.call("GET", dynamicLimitKey)`: an optional key overrides the limit. */
function effectiveLimit(ctx: ScriptContext, dynamicLimitKey: string | undefined, fallback: number): number {
  if (!dynamicLimitKey) return fallback;
  const dynamic = ctx.getString(dynamicLimitKey);
  return dynamic === null ? fallback : Number(dynamic);
}

function incrBy(ctx: ScriptContext, key: string, by: number): number {
  const current = ctx.getString(key);
  const next = (current === null ? 0 : Number(current)) + by;
  ctx.setString(key, String(next));
  return next;
}

const fixedWindowLimit: Script = (ctx, [key = '', dynamicKey], [tokens = '', window = '', incrementBy = '']) => {
  const limit = effectiveLimit(ctx, dynamicKey, Number(tokens));
  const r = incrBy(ctx, key, Number(incrementBy));
  if (r === Number(incrementBy)) ctx.pexpire(key, Number(window));
  return [int(r), int(limit)];
};

const fixedWindowRemaining: Script = (ctx, [key = '', dynamicKey], [tokens = '']) => {
  const limit = effectiveLimit(ctx, dynamicKey, Number(tokens));
  const value = ctx.getString(key);
  return [int(limit - (value === null ? 0 : Number(value))), int(limit)];
};

function slidingWindowUsed(ctx: ScriptContext, currentKey: string, previousKey: string, now: number, window: number) {
  const current = Number(ctx.getString(currentKey) ?? 0);
  const previous = Number(ctx.getString(previousKey) ?? 0);
  const percentageInCurrent = (now % window) / window;
  return { current, previous: Math.floor((1 - percentageInCurrent) * previous) };
}

const slidingWindowLimit: Script = (ctx, [currentKey = '', previousKey = '', dynamicKey], [tokens = '', now = '', window = '', incrementBy = '']) => {
  const limit = effectiveLimit(ctx, dynamicKey, Number(tokens));
  const by = Number(incrementBy);
  const used = slidingWindowUsed(ctx, currentKey, previousKey, Number(now), Number(window));
  if (by > 0 && used.previous + used.current >= limit) return [-1, int(limit)];
  const newValue = incrBy(ctx, currentKey, by);
  if (newValue === by) ctx.pexpire(currentKey, Number(window) * 2 + 1000);
  return [int(limit - (newValue + used.previous)), int(limit)];
};

const slidingWindowRemaining: Script = (ctx, [currentKey = '', previousKey = '', dynamicKey], [tokens = '', now = '', window = '']) => {
  const limit = effectiveLimit(ctx, dynamicKey, Number(tokens));
  const used = slidingWindowUsed(ctx, currentKey, previousKey, Number(now), Number(window));
  return [int(limit - (used.previous + used.current)), int(limit)];
};

const tokenBucketLimit: Script = (ctx, [key = '', dynamicKey], [maxTokens = '', interval = '', refillRate = '', now = '', incrementBy = '']) => {
  const limit = effectiveLimit(ctx, dynamicKey, Number(maxTokens));
  const every = Number(interval);
  const refill = Number(refillRate);
  const at = Number(now);
  const by = Number(incrementBy);
  const bucket = ctx.getHash(key);
  let refilledAt = at;
  let tokens = limit;
  if (bucket?.has('refilledAt')) {
    refilledAt = Number(bucket.get('refilledAt'));
    tokens = Number(bucket.get('tokens'));
  }
  if (at >= refilledAt + every) {
    const refills = Math.floor((at - refilledAt) / every);
    tokens = Math.min(limit, tokens + refills * refill);
    refilledAt += refills * every;
  }
  if (by > 0 && tokens < by) return [-1, int(refilledAt + every), int(limit)];
  const remaining = tokens - by;
  const expireAt = Math.ceil((limit - remaining) / refill) * every;
  ctx.setHashFields(key, { refilledAt: String(refilledAt), tokens: String(remaining) });
  if (expireAt > 0) ctx.pexpire(key, expireAt);
  return [int(remaining), int(refilledAt + every), int(limit)];
};

const tokenBucketRemaining: Script = (ctx, [key = '', dynamicKey], [maxTokens = '']) => {
  const limit = effectiveLimit(ctx, dynamicKey, Number(maxTokens));
  const bucket = ctx.getHash(key);
  if (!bucket?.has('refilledAt')) return [int(limit), -1, int(limit)];
  return [int(Number(bucket.get('tokens'))), int(Number(bucket.get('refilledAt'))), int(limit)];
};

/** RESET_SCRIPT: SCAN MATCH pattern, DEL each key; returns nothing (nil). */
const resetMatching: Script = (ctx, [pattern = '']) => {
  for (const key of ctx.keysMatching(pattern)) ctx.del(key);
  return null;
};

export const LIMITER_SCRIPTS: ReadonlyMap<string, Script> = new Map([
  ['b2efc02798c8e9b471a10f9b1d5745db89923ff3', fixedWindowLimit],
  ['823cb2a5a902d69681244f5e28e5ebb8f2a89edd', fixedWindowRemaining],
  ['74740bb3d7792848093cdef586b6b6037c455fd6', slidingWindowLimit],
  ['7ca36169e0fc9caedd81b4eef8e99854c157f9b5', slidingWindowRemaining],
  ['d60be5bd3d83482ae229309f1f7425424f891204', tokenBucketLimit],
  ['40daf4a441df736f5c99f8b77bbe176c909e5de4', tokenBucketRemaining],
  ['54bd274ddc59fb3be0f42deee2f64322a10e2b50', resetMatching],
]);
