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
import { createCache, type KvCache } from './kv/cache';
import { createPlatformLimiter, type PlatformLimiter } from './kv/platform-limiter';

/**
 * Process-wide collaborators for route handlers and pages, built once from the validated
 * environment. Library code takes these as arguments instead of importing this module.
 */
const holder = globalThis as typeof globalThis & {
  __tokenwardenKeyRing?: KeyRing;
  __tokenwardenProviders?: ProviderRegistry;
  __tokenwardenKv?: { store: KvStore; kind: KvKind };
  __tokenwardenAppLimiter?: AppLimiter;
  __tokenwardenKvCache?: KvCache;
  __tokenwardenPlatformLimiter?: PlatformLimiter;
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

/** The process's KV store: @vercel/kv when configured, else the in-process store (one instance only). */
export function getKv(): { store: KvStore; kind: KvKind } {
  holder.__tokenwardenKv ??= kvFromEnv(getEnv());
  return holder.__tokenwardenKv;
}

/** The app's own limits (lib/kv/limits.ts APP_LIMITS) on this process's store. */
export function getAppLimiter(): AppLimiter {
  holder.__tokenwardenAppLimiter ??= createAppLimiter(getKv().store);
  return holder.__tokenwardenAppLimiter;
}

/** The short caches (health-check verdicts, session verdicts) on this process's store. */
export function getKvCache(): KvCache {
  holder.__tokenwardenKvCache ??= createCache(getKv().store);
  return holder.__tokenwardenKvCache;
}

/** The §6 platform limiter on this process's store. */
export function getPlatformLimiter(): PlatformLimiter {
  holder.__tokenwardenPlatformLimiter ??= createPlatformLimiter(getKv().store);
  return holder.__tokenwardenPlatformLimiter;
}
