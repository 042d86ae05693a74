import type { Env } from '../env';
import type { Db } from '../db/client';
import type { KeyRing } from '../crypto/key-ring';
import type { ProviderRegistry } from '../providers/registry';
import type { RefreshDeps } from './refresh-one';
import type { PassOptions } from './run-pass';
import { createProviderFetch } from './http-client';
import { REFRESH_POLICY } from './policy-numbers';
import type { OperatorAlerting } from '../owed/operator-alerting';

let sharedFetch: typeof fetch | undefined;

/** One keep-alive pool per process for all token endpoints. */
function providerFetch(): typeof fetch {
  sharedFetch ??= createProviderFetch();
  return sharedFetch;
}

/** The production collaborators: the real clock, network and dice; operator alerting as the caller wires it. */
export function createRefreshDeps(input: {
  db: Db;
  keyRing: KeyRing;
  providers: ProviderRegistry;
  env: Pick<Env, 'APP_URL' | 'RECONNECT_URL_TEMPLATE'>;
  /** Who tells operators after a pass (lib/notify/operator-alerts.ts operatorAlerting). */
  alerts?: OperatorAlerting;
}): RefreshDeps {
  return {
    db: input.db,
    keyRing: input.keyRing,
    providers: input.providers,
    fetch: providerFetch(),
    now: () => new Date(),
    random: Math.random,
    sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
    appUrl: input.env.APP_URL,
    reconnectUrlTemplate: input.env.RECONNECT_URL_TEMPLATE ?? null,
    requestTimeoutMs: REFRESH_POLICY.requestTimeoutMs,
    maxAttempts: REFRESH_POLICY.attemptsPerPass,
    ...(input.alerts ? { alerts: input.alerts } : {}),
  };
}

export type PassSettings = Pick<PassOptions, 'concurrency' | 'providerConcurrency' | 'timeBudgetMs' | 'thresholdMinutes'>;

/** Pass settings from the environment (docs/contracts.md §2). */
export function passSettingsFrom(
  env: Pick<Env, 'REFRESH_CONCURRENCY' | 'REFRESH_PROVIDER_CONCURRENCY' | 'REFRESH_TIME_BUDGET_SECONDS' | 'REFRESH_THRESHOLD_MINUTES'>,
): PassSettings {
  return {
    concurrency: env.REFRESH_CONCURRENCY,
    providerConcurrency: env.REFRESH_PROVIDER_CONCURRENCY ?? Math.max(1, Math.ceil(env.REFRESH_CONCURRENCY / 2)),
    timeBudgetMs: env.REFRESH_TIME_BUDGET_SECONDS * 1000,
    thresholdMinutes: env.REFRESH_THRESHOLD_MINUTES,
  };
}
