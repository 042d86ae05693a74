import { getValidAccessTokenWith, TokenUnavailableError } from '../refresh/get-valid-access-token';
import { refreshNow } from '../refresh/refresh-now';
import { fillTemplate } from '../refresh/provider-call';
import type { RefreshDeps } from '../refresh/refresh-one';
import { currentTokenVersion, findConnectionState } from '../db/integrations';
import { readHealthAnswer, type HealthReading } from '../providers/health-check';
import { isLoopbackHost } from '../net/addresses';
import { parseRetryAfter } from '../net/retry-after';
import { platformOf, type PlatformLimiterLike } from './fetch-with-integration';

/**
 * "Test connection" (`POST /api/integrations/{id}/test`, docs/contracts.md §3): a live GET of
 * the provider's `healthCheckUrl` with the current token. A token the provider refuses gets
 * one on-demand refresh and one more try, so the verdict and the connection's status agree
 * (a refresh the provider refuses marks the connection for reconnect, as the cron would).
 * The verdict is cached briefly in KV so a button pressed twice is not two provider calls.
 */

/** A healthy verdict stays this long: the token worked a moment ago. */
export const HEALTHY_VERDICT_TTL_SECONDS = 30;
/** A failing one shorter, so a fix (a reconnect) shows soon. */
export const FAILING_VERDICT_TTL_SECONDS = 10;

/** lib/kv/cache.ts's cache (createCache), as used here. */
export interface VerdictCache {
  get<T>(key: string): Promise<T | null | undefined>;
  set(key: string, value: unknown, ttlSeconds: number): Promise<void>;
}

export interface Verdict {
  healthy: boolean;
  /** ISO-8601: when the provider was asked (the last live call); a cached answer keeps it. */
  checked_at: string;
  http_status?: number;
  error?: string;
  cached: boolean;
}

/** The provider has no health-check endpoint: 422 naming it. */
export class NoHealthCheckError extends Error {
  constructor(readonly provider: string) {
    super(`${provider} has no healthCheckUrl in its provider profile, so its connections cannot be tested`);
    this.name = 'NoHealthCheckError';
  }
}

/**
 * A verdict belongs to the tokens it judged: keyed by the connection's token_version too, so a
 * reconnect (or a refresh that replaced the tokens) is tested afresh instead of shown the old
 * tokens' verdict for up to its TTL.
 */
export const verdictCacheKey = (integrationId: string, tokenVersion: number) => `health:${integrationId}:${tokenVersion}`;

type CachedVerdict = Omit<Verdict, 'cached'>;

/**
 * A cached verdict as this code writes it. Entries written before `checked_at` existed (or
 * anything else found under the key) are a miss: tested afresh rather than answered without
 * saying when they were checked.
 */
function isCachedVerdict(value: unknown): value is CachedVerdict {
  if (value === null || typeof value !== 'object') return false;
  const entry = value as Record<string, unknown>;
  return typeof entry.healthy === 'boolean' && typeof entry.checked_at === 'string' && !Number.isNaN(Date.parse(entry.checked_at));
}

interface Checked {
  reading: HealthReading;
  /** When the provider was asked (ISO-8601): the verdict's checked_at. */
  at: string;
  status?: number;
}

/** The platform limiter of §6 (lib/kv/platform-limiter.ts), as fetchWithIntegration uses it. */
type TestDeps = RefreshDeps & { platformLimiter?: PlatformLimiterLike };

/** Seconds to hold a connection's platform after a provider 429 that names none (as fetchWithIntegration). */
const PROVIDER_429_DEFAULT_SECONDS = 60;

/**
 * One live call. It is a call to the provider's API like any other, so it takes one from the
 * connection's platform limit (a used-up limit answers `rate_limited` without calling), and a
 * 429's Retry-After is fed back, as fetchWithIntegration does.
 */
async function check(deps: TestDeps, integrationId: string, providerId: string, url: string, token: string): Promise<Checked> {
  const platform = platformOf(providerId);
  if (platform && deps.platformLimiter) {
    const decision = await deps.platformLimiter.waitUntilReady(platform, integrationId, 0);
    if (!decision.allowed) return { reading: { kind: 'failing', error: 'rate_limited' }, at: deps.now().toISOString() };
  }
  const at = deps.now().toISOString();
  let response: Response;
  try {
    response = await deps.fetch(url, {
      headers: { authorization: `Bearer ${token}`, accept: 'application/json' },
      // A redirect would carry the bearer to wherever it points.
      redirect: 'manual',
      signal: AbortSignal.timeout(deps.requestTimeoutMs),
    });
  } catch (error) {
    return { reading: { kind: 'failing', error: error instanceof Error && error.name === 'TimeoutError' ? 'timeout' : 'network_error' }, at };
  }
  if (response.status === 429 && platform && deps.platformLimiter) {
    const seconds = parseRetryAfter(response.headers.get('retry-after'), deps.now().getTime()) ?? PROVIDER_429_DEFAULT_SECONDS;
    await deps.platformLimiter.penalize(platform, integrationId, Math.max(1, seconds));
  }
  const text = await response.text();
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined; // not JSON: readHealthAnswer judges by the status alone
  }
  return { reading: readHealthAnswer(providerId, response.status, json), at, status: response.status };
}

export async function testConnection(deps: TestDeps & { cache: VerdictCache }, integrationId: string): Promise<Verdict | null> {
  const row = await findConnectionState(deps.db, integrationId);
  if (!row) return null;
  const hit = await deps.cache.get<unknown>(verdictCacheKey(integrationId, row.token_version));
  // A cached verdict keeps the checked_at of its live call: the answer says how old it is.
  if (isCachedVerdict(hit)) return { ...hit, cached: true };
  const provider = deps.providers.get(row.provider);
  if (!provider?.healthCheckUrl) throw new NoHealthCheckError(provider?.name ?? row.provider);

  const verdict = await judge(deps, integrationId, row.provider, provider.healthCheckUrl, row.metadata);
  // Under the tokens as they are now: the judging may have refreshed them (a 401's one refresh).
  const version = (await currentTokenVersion(deps.db, integrationId)) ?? row.token_version;
  await deps.cache.set(verdictCacheKey(integrationId, version), verdict, verdict.healthy ? HEALTHY_VERDICT_TTL_SECONDS : FAILING_VERDICT_TTL_SECONDS);
  return { ...verdict, cached: false };
}

async function judge(
  deps: TestDeps,
  integrationId: string,
  providerId: string,
  template: string,
  parameters: Record<string, unknown>,
): Promise<CachedVerdict> {
  // Verdicts reached without asking the provider are "checked" when they were reached.
  const checkedAt = () => deps.now().toISOString();
  const url = fillTemplate(template, parameters);
  if (!url) return { healthy: false, checked_at: checkedAt(), error: 'missing_connection_parameter' };
  if (new URL(url).protocol === 'http:' && !isLoopbackHost(new URL(url).hostname)) {
    return { healthy: false, checked_at: checkedAt(), error: 'insecure_health_check_url' };
  }
  let token: string;
  try {
    token = await getValidAccessTokenWith(deps, integrationId);
  } catch (error) {
    if (error instanceof TokenUnavailableError) return { healthy: false, checked_at: checkedAt(), error: error.reason };
    throw error;
  }
  let checked = await check(deps, integrationId, providerId, url, token);
  if (checked.reading.kind === 'token_refused') {
    // One forced refresh and one retry: the provider refused a token we believed valid.
    const refreshed = await refreshNow(deps, integrationId, { trigger: 'on_demand' });
    if (!refreshed) return outcome(checked, 'refresh_in_progress');
    if (refreshed.outcome !== 'refreshed' || !refreshed.accessToken) {
      return outcome(checked, refreshed.reconnectRequired ? 'needs_reauthorization' : (refreshed.errorCode ?? refreshed.outcome));
    }
    checked = await check(deps, integrationId, providerId, url, refreshed.accessToken);
  }
  return outcome(checked);
}

function outcome(checked: Checked, because?: string): CachedVerdict {
  const base = { checked_at: checked.at, ...(checked.status === undefined ? {} : { http_status: checked.status }) };
  if (checked.reading.kind === 'healthy' && !because) return { healthy: true, ...base };
  return { healthy: false, ...base, error: because ?? (checked.reading.kind === 'healthy' ? 'unknown' : checked.reading.error) };
}
