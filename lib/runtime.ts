import { getEnv } from './env';
import { loadKeyRing } from './crypto/load-key-ring';
import type { KeyRing } from './crypto/key-ring';
import { loadProviderRegistry, type ProviderRegistry } from './providers/registry';

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
