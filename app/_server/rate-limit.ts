import { getEnv } from '@/lib/env';
import { getAppLimiter } from '@/lib/runtime';
import { KvUnavailableError } from '@/lib/kv/store';
import { clientLimitKey } from '@/lib/auth/client-ip';
import { rateLimited, type RateLimitDeps } from '@/lib/auth/rate-limit-response';
import type { AppLimitName } from '@/lib/kv/limits';

/** lib/auth/rate-limit-response.ts bound to this process's app limiter (lib/kv). */
export function appRateLimit(): RateLimitDeps<AppLimitName> {
  return {
    limiter: getAppLimiter(),
    isUnavailable: (error) => error instanceof KvUnavailableError,
  };
}

/** A route limited per client (sign-in, connect start): the key of lib/auth/client-ip.ts. */
export function limitedPerClient(
  name: AppLimitName,
  request: Request,
  user: { id: string } | null,
  run: () => Promise<Response>,
): Promise<Response> {
  return rateLimited(appRateLimit(), name, clientLimitKey(request, getEnv(), user), run);
}
