import type { Db } from '../db/client';
import { currentTokenVersion } from '../db/integrations';
import { KeyRing, TokenDecryptionError, tokenContext } from '../crypto/key-ring';
import type { ProviderRegistry } from '../providers/registry';
import type { ResolvedProvider } from '../providers/schema';
import { accessTokenLifetime } from '../providers/lifetime';
import type { ClaimedIntegration } from './claim';
import { classify } from './classify';
import { REFRESH_POLICY } from './policy-numbers';
import { decide } from './policy';
import { callTokenEndpoint } from './provider-call';
import { recordResult, recordSkip, type LogEntry, type NewTokens, type ResultWriter } from './record';
import type { OperatorAlerting } from '../owed/operator-alerting';
import { reconnectUrl } from '../owed/reconnect-url';
import { LOGGED_OUTCOME, type AttemptResult, type LoggedOutcome, type Outcome } from './outcome';

/** Everything a refresh needs from outside, injected so tests control clock, network and dice. */
export interface RefreshDeps {
  db: Db;
  keyRing: KeyRing;
  providers: ProviderRegistry;
  fetch: typeof fetch;
  now: () => Date;
  /** [0, 1): jitter for backoff and due times. */
  random: () => number;
  sleep: (ms: number) => Promise<void>;
  appUrl: string;
  /** RECONNECT_URL_TEMPLATE: the host app's reconnect page, if it has one. */
  reconnectUrlTemplate?: string | null;
  /** Per request to a provider. */
  requestTimeoutMs: number;
  /** Tries inside one pass for transient failures (the pass still counts once). */
  maxAttempts: number;
  /** Operator alerting after each pass; absent: none (tests of other things). */
  alerts?: OperatorAlerting;
}

export type Trigger = LogEntry['trigger'];

export interface RefreshOneResult {
  integrationId: string;
  provider: string;
  outcome: LoggedOutcome;
  errorCode?: string;
  attempts: number;
  durationMs: number;
  disconnected: boolean;
  notificationsCreated: number;
  emailsQueued: number;
  /** The new access token, for getValidAccessToken only: never serialised or logged. */
  accessToken?: string;
  /** Whether the connection now needs the user to reconnect. */
  reconnectRequired: boolean;
}

export interface RefreshContext {
  leaseOwner: string;
  trigger: Trigger;
  /** Retries inside the call stop before this (epoch ms); markCall may move it. */
  deadline: number;
  /**
   * Called right before the first request to the provider: marks the row as called and
   * renews the lease (lib/refresh/claim.ts markProviderCalls). False: the lease is gone and
   * the provider must not be called. A throw (the database failed) means the same.
   */
  markCall: () => Promise<boolean>;
  /** A pass's batching writer; on-demand refreshes write at once. */
  writer?: ResultWriter;
}

/** What the provider said (or why nobody was asked), before anything is written. */
export type CalledProvider =
  | { kind: 'skip'; reason: string; attempts: number; started: number }
  | { kind: 'lease_lost'; attempts: 0; started: number }
  | { kind: 'outcome'; outcome: Outcome; attempts: number; accessToken: string; started: number };

/**
 * The first half of a refresh: the provider call with its retries. A pass holds a
 * concurrency slot only for this half, so provider calls in flight stay within
 * REFRESH_CONCURRENCY while results are written in the background.
 */
export async function callProvider(deps: RefreshDeps, integration: ClaimedIntegration, context: RefreshContext): Promise<CalledProvider> {
  const started = performance.now();
  const provider = deps.providers.get(integration.provider);
  let attempts = 0;
  let outcome: Outcome;
  let accessToken = '';

  const tokens = openTokens(deps.keyRing, integration);
  if (!provider) {
    outcome = classify({ kind: 'local_error', problem: 'unknown_provider' });
  } else if (!provider.credentials && provider.refreshGrant !== 'ig_refresh_token') {
    outcome = classify({ kind: 'local_error', problem: 'missing_client_credentials' });
  } else if (!tokens.readable(provider.refreshGrant)) {
    outcome = classify({ kind: 'local_error', problem: 'token_undecryptable' });
  } else if (provider.refreshGrant === 'refresh_token' && !tokens.refreshToken && !expired(integration, deps.now())) {
    // Nothing can renew it yet and it still works: look again when it expires.
    return { kind: 'skip', reason: 'no_refresh_token_yet', attempts: 0, started };
  } else {
    accessToken = tokens.accessToken ?? '';
    if (!(await context.markCall())) return { kind: 'lease_lost', attempts: 0, started };
    for (;;) {
      attempts += 1;
      const result: AttemptResult = await callTokenEndpoint(
        {
          provider,
          credentials: provider.credentials ?? { clientId: '', clientSecret: '' },
          accessToken: tokens.accessToken ?? '',
          refreshToken: tokens.refreshToken,
          parameters: integration.metadata,
        },
        { fetch: deps.fetch, timeoutMs: deps.requestTimeoutMs },
      );
      outcome = classify(result);
      if (outcome.type !== 'transient' || attempts >= deps.maxAttempts) break;
      const retryAfter = outcome.retryAfterSeconds;
      if (retryAfter !== undefined && retryAfter > REFRESH_POLICY.maxRetryAfterSeconds) break;
      const backoff = deps.random() * Math.min(REFRESH_POLICY.backoffCapMs, REFRESH_POLICY.backoffBaseMs * 2 ** (attempts - 1));
      const delay = Math.max(backoff, (retryAfter ?? 0) * 1000);
      if (Date.now() + delay + deps.requestTimeoutMs > context.deadline) break;
      await deps.sleep(delay);
    }
  }
  return { kind: 'outcome', outcome, attempts, accessToken, started };
}

/** The second half of a refresh: decide with the policy and write it all in one round trip. */
export async function recordCall(
  deps: RefreshDeps,
  integration: ClaimedIntegration,
  context: RefreshContext,
  called: CalledProvider,
): Promise<RefreshOneResult> {
  const { started, attempts } = called;
  if (called.kind === 'lease_lost') throw new Error('recordCall: a call whose lease was lost has nothing to record');
  if (called.kind === 'skip') return skip(deps, integration, context, started, attempts, called.reason);
  const { outcome, accessToken } = called;
  const provider = deps.providers.get(integration.provider);
  const now = deps.now();
  // invalid_grant after another worker already rotated the token is their success, not our failure.
  if (outcome.type === 'invalid_grant' && attempts > 0) {
    const current = await currentTokenVersion(deps.db, integration.id);
    if (current !== null && current !== integration.token_version) {
      return skip(deps, integration, context, started, attempts, 'refreshed_by_another_worker');
    }
  }

  const newTokens = outcome.type === 'refreshed' ? tokenTimes(outcome, provider!, now, deps.random) : null;
  const decision = decide({
    outcome,
    integration: {
      id: integration.id,
      status: integration.status,
      consecutiveFailures: integration.consecutive_failures,
      consecutiveTransientFailures: integration.consecutive_transient_failures,
      tokenVersion: integration.token_version,
    },
    provider: { id: integration.provider, name: provider?.name ?? integration.provider },
    reconnectUrl: reconnectUrl(deps, integration),
    now,
    lostInFlight: integration.unrecorded_call,
  });
  const errorCode = outcome.type === 'refreshed' ? undefined : outcome.code;
  const log: LogEntry = {
    provider: integration.provider,
    trigger: context.trigger,
    outcome: LOGGED_OUTCOME[outcome.type],
    errorCode: decision.state?.lastErrorCode ?? errorCode ?? null,
    httpStatus: outcome.httpStatus ?? null,
    durationMs: performance.now() - started,
    attempts,
    metadata: outcome.type === 'refreshed' ? {} : { message: outcome.message },
  };
  const recorded = await recordResult(deps.db, {
    integration,
    leaseOwner: context.leaseOwner,
    now,
    keyRing: deps.keyRing,
    newTokens,
    decision,
    log,
    providerName: provider?.name ?? integration.provider,
    writer: context.writer,
  });
  if (!recorded) return skip(deps, integration, context, started, attempts, 'superseded');

  const disconnected = decision.state?.status === 'needs_reauthorization' && integration.status !== 'needs_reauthorization';
  return {
    integrationId: integration.id,
    provider: integration.provider,
    outcome: log.outcome,
    errorCode: log.errorCode ?? undefined,
    attempts,
    durationMs: Math.round(performance.now() - started),
    disconnected,
    notificationsCreated: recorded.notifications,
    emailsQueued: recorded.emails,
    accessToken: outcome.type === 'refreshed' ? outcome.tokens.accessToken : accessToken || undefined,
    reconnectRequired: decision.state?.status === 'needs_reauthorization',
  };
}

interface OpenedTokens {
  /** Null when the stored access token cannot be decrypted (a refresh grant does not need it). */
  accessToken: string | null;
  refreshToken: string | null;
  /** Whether what this grant sends to the provider could be decrypted. */
  readable(grant: ResolvedProvider['refreshGrant']): boolean;
}

/**
 * Decrypts each token on its own: an access token that cannot be opened (a lost key, a
 * damaged value) must not block a refresh that the intact refresh token can do, and the
 * refresh replaces it. The exchange grants send the access token itself, so they need it.
 */
function openTokens(keyRing: KeyRing, integration: ClaimedIntegration): OpenedTokens {
  const open = (sealed: string | null, context: string): { value: string | null; ok: boolean } => {
    if (sealed === null) return { value: null, ok: true };
    try {
      return { value: keyRing.decrypt(sealed, context), ok: true };
    } catch (error) {
      if (error instanceof TokenDecryptionError) return { value: null, ok: false }; // a config failure for this row only
      throw error;
    }
  };
  const access = open(integration.access_token_encrypted, tokenContext.access(integration.id));
  const refresh = open(integration.refresh_token_encrypted, tokenContext.refresh(integration.id));
  return {
    accessToken: access.value,
    refreshToken: refresh.value,
    readable: (grant) => (grant === 'refresh_token' ? refresh.ok && (refresh.value !== null || access.ok) : access.ok),
  };
}

function expired(integration: ClaimedIntegration, now: Date): boolean {
  return integration.expires_at !== null && integration.expires_at.getTime() <= now.getTime();
}

/**
 * Expiry from the response, else the provider's documented lifetime, else none
 * (lib/providers/lifetime.ts); the due time is the expiry less a jitter.
 */
export function tokenTimes(
  outcome: Extract<Outcome, { type: 'refreshed' }>,
  provider: ResolvedProvider,
  now: Date,
  random: () => number,
): NewTokens {
  const lifetime = accessTokenLifetime(provider, outcome.tokens.expiresInSeconds);
  const expiresAt = lifetime === null ? null : new Date(now.getTime() + lifetime * 1000);
  const jitterSeconds = lifetime === null ? 0 : random() * Math.min(lifetime * REFRESH_POLICY.dueJitterShare, REFRESH_POLICY.dueJitterCapSeconds);
  const refreshLifetime =
    outcome.tokens.refreshTokenExpiresInSeconds ??
    (outcome.tokens.refreshToken ? provider.refreshToken.lifetimeSeconds ?? provider.refreshToken.idleLifetimeSeconds : null);
  return {
    tokens: outcome.tokens,
    expiresAt,
    refreshDueAt: expiresAt && new Date(expiresAt.getTime() - jitterSeconds * 1000),
    refreshTokenExpiresAt: refreshLifetime ? new Date(now.getTime() + refreshLifetime * 1000) : null,
  };
}

async function skip(
  deps: RefreshDeps,
  integration: ClaimedIntegration,
  context: { leaseOwner: string; trigger: Trigger },
  started: number,
  attempts: number,
  reason: string,
): Promise<RefreshOneResult> {
  const durationMs = performance.now() - started;
  await recordSkip(deps.db, {
    integrationId: integration.id,
    leaseOwner: context.leaseOwner,
    now: deps.now(),
    log: {
      provider: integration.provider,
      trigger: context.trigger,
      outcome: 'skipped',
      errorCode: reason,
      httpStatus: null,
      durationMs,
      attempts,
      metadata: {},
    },
  });
  return {
    integrationId: integration.id,
    provider: integration.provider,
    outcome: 'skipped',
    errorCode: reason,
    attempts,
    durationMs: Math.round(durationMs),
    disconnected: false,
    notificationsCreated: 0,
    emailsQueued: 0,
    reconnectRequired: false,
  };
}
