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

/**
 * Process-wide collaborators for route handlers and pages, built once from the validated
 * environment. Library code takes these as arguments instead of importing this module.
 */
const holder = globalThis as typeof globalThis & {
  __tokenwardenKeyRing?: KeyRing;
  __tokenwardenProviders?: ProviderRegistry;
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
