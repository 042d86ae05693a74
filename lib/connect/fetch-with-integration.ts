import { getValidAccessTokenWith, TokenUnavailableError } from '../refresh/get-valid-access-token';
import { refreshNow } from '../refresh/refresh-now';
import type { RefreshDeps } from '../refresh/refresh-one';
import { findConnectionState } from '../db/integrations';
import { entryFor } from '../providers/normalisers';
import { parseRetryAfter } from '../net/retry-after';

/**
 * `fetchWithIntegration` (docs/contracts.md §7): a provider API call as a connection. The
 * platform's limit of §6 is taken first (waiting up to a bound, else RateLimitedError), then a
 * valid token (getValidAccessToken, under the cron's claim); a 401 gets one forced refresh and
 * one retry, never a loop; a provider's 429 is honoured: its Retry-After is fed back into the
 * platform limiter (so other callers of the same connection wait too) and thrown as
 * RateLimitedError. A body is sent twice after a 401, so it must be replayable (a string,
 * bytes, form data); a stream is refused up front.
 */

/** The §6 platform each provider's API counts against; providers not named are not limited here. */
export const PROVIDER_PLATFORMS = {
  facebook: 'meta',
  instagram: 'meta',
  twitter: 'twitter',
  tiktok: 'tiktok',
  linkedin: 'linkedin',
  snapchat: 'snapchat',
  google_ads: 'google_ads',
} as const satisfies Record<string, string>;

export type Platform = (typeof PROVIDER_PLATFORMS)[keyof typeof PROVIDER_PLATFORMS];

export function platformOf(providerId: string): Platform | null {
  return entryFor<Platform>(PROVIDER_PLATFORMS, providerId) ?? null;
}

/** Default bound on waiting for the platform limit before giving up with RateLimitedError. */
export const DEFAULT_MAX_WAIT_SECONDS = 5;

/** lib/kv/platform-limiter.ts's limiter (createPlatformLimiter), as used here. */
export interface PlatformLimiterLike {
  waitUntilReady(platform: Platform, key: string, maxWaitSeconds: number): Promise<{ allowed: boolean; retryAfterSeconds: number }>;
  penalize(platform: Platform, key: string, retryAfterSeconds: number): Promise<void>;
}

/** The platform's limit (ours, or the provider's 429) says wait; `retryAfterSeconds` says how long. */
export class RateLimitedError extends Error {
  constructor(
    readonly integrationId: string,
    readonly platform: Platform | null,
    readonly retryAfterSeconds: number,
    readonly source: 'limiter' | 'provider',
  ) {
    super(
      source === 'limiter'
        ? `The ${platform} rate limit for this connection is used up; try again in ${retryAfterSeconds} s`
        : `The provider answered 429; try again in ${retryAfterSeconds} s`,
    );
    this.name = 'RateLimitedError';
  }
}

export interface FetchWithIntegrationOptions {
  /** How long to wait for the platform limit; default DEFAULT_MAX_WAIT_SECONDS. */
  maxWaitSeconds?: number;
}

/** Seconds to wait after a provider 429 that names none. */
const PROVIDER_429_DEFAULT_SECONDS = 60;

export async function fetchWithIntegrationWith(
  deps: RefreshDeps & { platformLimiter: PlatformLimiterLike },
  integrationId: string,
  input: string | URL,
  init: RequestInit = {},
  options: FetchWithIntegrationOptions = {},
): Promise<Response> {
  if (init.body instanceof ReadableStream) throw new TypeError('fetchWithIntegration: a stream body cannot be replayed after a 401; pass a string or bytes');
  const row = await findConnectionState(deps.db, integrationId);
  if (!row) throw new TokenUnavailableError(integrationId, 'not_found', false, 'No such integration');
  const platform = platformOf(row.provider);
  const maxWait = options.maxWaitSeconds ?? DEFAULT_MAX_WAIT_SECONDS;

  const send = async (token: string): Promise<Response> => {
    if (platform) {
      const decision = await deps.platformLimiter.waitUntilReady(platform, integrationId, maxWait);
      if (!decision.allowed) throw new RateLimitedError(integrationId, platform, Math.max(1, Math.ceil(decision.retryAfterSeconds)), 'limiter');
    }
    const headers = new Headers(init.headers);
    headers.set('authorization', `Bearer ${token}`);
    return deps.fetch(input, { ...init, headers });
  };

  let response = await send(await getValidAccessTokenWith(deps, integrationId));
  if (response.status === 401) {
    await response.body?.cancel();
    const refreshed = await refreshNow(deps, integrationId, { trigger: 'on_demand' });
    if (refreshed?.reconnectRequired) {
      throw new TokenUnavailableError(integrationId, 'needs_reauthorization', true, 'The user must reconnect this integration', refreshed.errorCode);
    }
    // Refreshed by us, or by another worker meanwhile (null: read what it wrote).
    const token = refreshed?.outcome === 'refreshed' && refreshed.accessToken ? refreshed.accessToken : await getValidAccessTokenWith(deps, integrationId);
    response = await send(token);
  }
  if (response.status === 429) {
    const retryAfter = Math.max(1, parseRetryAfter(response.headers.get('retry-after'), deps.now().getTime()) ?? PROVIDER_429_DEFAULT_SECONDS);
    await response.body?.cancel();
    if (platform) await deps.platformLimiter.penalize(platform, integrationId, retryAfter);
    throw new RateLimitedError(integrationId, platform, retryAfter, 'provider');
  }
  return response;
}
