/** One limiter answer, as the routes' headers and host code read it (docs/contracts.md §3, §7). */
export interface LimitDecision {
  allowed: boolean;
  limit: number;
  remaining: number;
  /** When the next request is allowed again (a denied one) or the window's count resets. */
  resetAt: Date;
  /** 0 when allowed; else whole seconds until resetAt, at least 1 (the Retry-After value). */
  retryAfterSeconds: number;
  /** Set when KV could not be asked and the limit failed open: the numbers are not counts. */
  unchecked?: true;
}

export function decisionOf(allowed: boolean, limit: number, remaining: number, resetMs: number, now: number): LimitDecision {
  return {
    allowed,
    limit,
    remaining: Math.max(0, remaining),
    resetAt: new Date(resetMs),
    retryAfterSeconds: allowed ? 0 : Math.max(1, Math.ceil((resetMs - now) / 1000)),
  };
}
