import { getEnv } from './env';
import { loadKeyRing } from './crypto/load-key-ring';
import type { KeyRing } from './crypto/key-ring';
import { loadProviderRegistry, type ProviderRegistry } from './providers/registry';
import { getDb } from './db';
import type { RefreshDeps } from './refresh/refresh-one';
import { createRefreshDeps, passSettingsFrom, type PassSettings } from './refresh/deps';
import { createDeliverDeps } from './notify/deps';
import { alertSettingsFrom, operatorAlerting } from './notify/operator-alerts';
import type { DeliverDeps } from './notify/deliver';
import { kvFromEnv, type KvKind, type KvStore } from './kv/store';
import { createAppLimiter, type AppLimiter } from './kv/rate-limit';
import { createPlatformLimiter, type PlatformLimiter } from './kv/platform-limiter';
import type { PlatformLimitOverrides } from './kv/limits';
import { createCache, type KvCache } from './kv/cache';

/**
 * Process-wide collaborators for route handlers and pages, built once from the validated
 * environment. Library code takes these as arguments instead of importing this module.
 */
const holder = globalThis as typeof globalThis & {
  __tokenwardenKeyRing?: KeyRing;
  __tokenwardenProviders?: ProviderRegistry;
  __tokenwardenKv?: { store: KvStore; kind: KvKind };
  __tokenwardenAppLimiter?: AppLimiter;
  __tokenwardenPlatformLimiter?: PlatformLimiter;
  __tokenwardenCache?: KvCache;
};

export function getKeyRing(): KeyRing {
  holder.__tokenwardenKeyRing ??= loadKeyRing(getEnv());
  return holder.__tokenwardenKeyRing;
}

export function getProviders(): ProviderRegistry {
  holder.__tokenwardenProviders ??= loadProviderRegistry({
    providersFile: getEnv().TOKENWARDEN_PROVIDERS_FILE,
    env: process.env,
  });
  return holder.__tokenwardenProviders;
}

/** The refresh engine's collaborators for this process. */
export async function getRefreshDeps(): Promise<RefreshDeps> {
  const db = await getDb();
  const env = getEnv();
  return createRefreshDeps({ db, keyRing: getKeyRing(), providers: getProviders(), env, alerts: operatorAlerting(db, alertSettingsFrom(env)) });
}

export function passSettings(): PassSettings {
  return passSettingsFrom(getEnv());
}

/** The deliver job's collaborators for this process. */
export async function getDeliverDeps(): Promise<DeliverDeps> {
  return createDeliverDeps({ db: await getDb(), keyRing: getKeyRing(), env: getEnv() });
}

/**
 * The process's KV store, one per process: @vercel/kv with KV_REST_API_URL and
 * KV_REST_API_TOKEN, else the in-process store (limits and caches for this instance only).
 */
export function getKv(): { store: KvStore; kind: KvKind } {
  holder.__tokenwardenKv ??= kvFromEnv(getEnv());
  return holder.__tokenwardenKv;
}

/** The app's own route limits (docs/contracts.md §6) on this process's store. */
export function getAppLimiter(): AppLimiter {
  holder.__tokenwardenAppLimiter ??= createAppLimiter(getKv().store, { apiRateLimitPerMinute: getEnv().API_RATE_LIMIT_PER_MINUTE });
  return holder.__tokenwardenAppLimiter;
}

/** The §6 platform limiter on this process's store, with host code's overrides if it set any. */
export function getPlatformLimiter(): PlatformLimiter {
  holder.__tokenwardenPlatformLimiter ??= createPlatformLimiter(getKv().store);
  return holder.__tokenwardenPlatformLimiter;
}

/** Host code's changes to the platform table (lib/tokenwarden.ts, configurePlatformLimits). */
export function setPlatformLimitOverrides(overrides: PlatformLimitOverrides): PlatformLimiter {
  holder.__tokenwardenPlatformLimiter = createPlatformLimiter(getKv().store, overrides);
  return holder.__tokenwardenPlatformLimiter;
}

/** Short caches on this process's store. */
export function getCache(): KvCache {
  holder.__tokenwardenCache ??= createCache(getKv().store);
  return holder.__tokenwardenCache;
}
