import type { Env } from '../env';
import type { Db } from '../db/client';
import type { KeyRing } from '../crypto/key-ring';
import type { ProviderRegistry } from '../providers/registry';
import type { RefreshDeps } from './refresh-one';
import type { PassOptions } from './run-pass';
import { createProviderFetch } from './http-client';

let sharedFetch: typeof fetch | undefined;

/** One keep-alive pool per process for all token endpoints. */
function providerFetch(): typeof fetch {
  sharedFetch ??= createProviderFetch();
  return sharedFetch;
}

/** Per request to a provider. */
export const REQUEST_TIMEOUT_MS = 10_000;
/** Tries per connection in one pass (transient failures only). */
export const MAX_ATTEMPTS = 3;

/** The production collaborators: the real clock, network and dice. */
export function createRefreshDeps(input: {
  db: Db;
  keyRing: KeyRing;
  providers: ProviderRegistry;
  env: Pick<Env, 'APP_URL' | 'RECONNECT_URL_TEMPLATE' | 'OPERATOR_EMAILS' | 'ALERT_FAILURE_RATE_PERCENT'>;
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
    requestTimeoutMs: REQUEST_TIMEOUT_MS,
    maxAttempts: MAX_ATTEMPTS,
    alerts: {
      operatorEmails: input.env.OPERATOR_EMAILS,
      failureRateThreshold: input.env.ALERT_FAILURE_RATE_PERCENT / 100,
      minAttempts: ALERT_MIN_ATTEMPTS,
    },
  };
}

/** Fewer refreshes than this in an hour say too little about a provider's failure rate. */
export const ALERT_MIN_ATTEMPTS = 20;

export type PassSettings = Pick<PassOptions, 'concurrency' | 'providerConcurrency' | 'timeBudgetMs' | 'thresholdMinutes'>;

/** Pass settings from the environment (CONTRACTS §2). */
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
