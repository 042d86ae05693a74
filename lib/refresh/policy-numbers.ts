/**
 * Every number of the refresh policy, in one place (docs/contracts.md, "The failure
 * policy"): the pure policy (policy.ts), the engine around it (claim, pass, provider calls,
 * writes), on-demand tokens and import all read them from here. The only policy number kept
 * elsewhere is the 24-hour email throttle, whose one copy is the SQL function
 * queue_owed_messages (supabase/migrations/20261125110000_notify.sql), since it is enforced
 * under a lock inside the transaction that queues the email.
 */
export const REFRESH_POLICY = {
  /** consecutive_failures (auth failures in a row) at which the user is warned in-app. */
  authFailuresToWarn: 2,
  /** consecutive_failures at which the connection needs reauthorization. */
  authFailuresToReauthorize: 3,
  /** consecutive_transient_failures at which the user hears of the provider's trouble, once per streak. */
  transientFailuresToNotify: 5,

  /** Provider requests per connection in one pass (transient failures only; the pass counts once). */
  attemptsPerPass: 3,
  /** Backoff between those requests: full jitter over base · 2^(n-1), capped. */
  backoffBaseMs: 500,
  backoffCapMs: 8_000,
  /** A Retry-After longer than this is left to the next pass rather than waited out. */
  maxRetryAfterSeconds: 30,
  /** One provider request. */
  requestTimeoutMs: 10_000,

  /** How long a claim holds a row; it must outlast the slowest refresh with its retries. */
  leaseSeconds: 120,
  /** Kept free at the end of a lease for the write after the last retry. */
  leaseMarginSeconds: 15,
  /** Scheduled passes leave a row alone this long after any attempt. */
  retryGapSeconds: 60,
  /** Writes through a database failure: full jitter over base · 2^(n-1), capped. */
  writeBackoffBaseMs: 200,
  writeBackoffCapMs: 5_000,
  /** After the pass's time budget, how long writes of results in hand may still be retried. */
  writeGraceMs: 45_000,

  /** Due time = expiry minus up to this share of the lifetime, and at most this long. */
  dueJitterShare: 0.2,
  dueJitterCapSeconds: 600,
  /** Imported connections' due times are spread over this long before their expiry. */
  importJitterSeconds: 300,

  /** getValidAccessToken: the validity asked for by default. */
  onDemandMinValiditySeconds: 60,
  /** getValidAccessToken: the validity asked for is capped at this share of the token's lifetime. */
  onDemandMaxValidityShare: 0.5,
  /**
   * getValidAccessToken: the lifetime the cap above assumes for a token that expires when
   * neither the connection's last refresh nor the catalog says how long tokens last.
   */
  onDemandAssumedLifetimeSeconds: 3600,
  /** getValidAccessToken: a token refreshed this recently is handed out as it is. */
  onDemandRecentRefreshMs: 60_000,
  /** getValidAccessToken: how long to wait for another worker's refresh, polling this often. */
  onDemandWaitMs: 20_000,
  onDemandPollMs: 150,
} as const satisfies Record<string, number>;
