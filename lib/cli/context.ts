import { parseEnv, type Env } from '../env';
import { openDatabase, describeDatabase } from '../db/open';
import type { Db } from '../db/client';
import { loadKeyRing } from '../crypto/load-key-ring';
import type { KeyRing } from '../crypto/key-ring';
import { loadProviderRegistry } from '../providers/registry';
import type { RefreshDeps } from '../refresh/refresh-one';
import { createRefreshDeps, passSettingsFrom, type PassSettings } from '../refresh/deps';
import { createDeliverDeps } from '../notify/deps';
import type { DeliverDeps } from '../notify/deliver';
import { alertSettingsFrom, operatorAlerting } from '../notify/operator-alerts';

export interface CliContext {
  env: Env;
  db: Db;
  keyRing: () => KeyRing;
  providers: () => ReturnType<typeof loadProviderRegistry>;
  databaseLabel: string;
  refreshDeps: () => RefreshDeps;
  passSettings: () => PassSettings;
  deliverDeps: () => DeliverDeps;
}

/** What every command needs, opened lazily so `migrate` does not demand encryption keys. */
export async function openCliContext(source: Record<string, string | undefined>): Promise<CliContext> {
  const env = parseEnv(source);
  const db = await openDatabase(env);
  let keyRing: KeyRing | undefined;
  let providers: ReturnType<typeof loadProviderRegistry> | undefined;
  const context = {
    env,
    db,
    databaseLabel: describeDatabase(env),
    keyRing: () => (keyRing ??= loadKeyRing(env)),
    providers: () => (providers ??= loadProviderRegistry({ providersFile: env.TOKENWARDEN_PROVIDERS_FILE, env: source })),
  };
  return {
    ...context,
    refreshDeps: () =>
      createRefreshDeps({ db, keyRing: context.keyRing(), providers: context.providers(), env, alerts: operatorAlerting(db, alertSettingsFrom(env)) }),
    passSettings: () => passSettingsFrom(env),
    deliverDeps: () => createDeliverDeps({ db, keyRing: context.keyRing(), env }),
  };
}
