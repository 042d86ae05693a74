import type { Queryable } from '../db/client';
import { databaseFailure } from '../db/errors';
import { KeyRing, tokenContext } from '../crypto/key-ring';
import { owedRows, type OwedRows } from '../owed/owed-rows';
import { loadRecipients } from '../db/integrations';
import type { ClaimedIntegration } from './claim';
import type { PolicyDecision } from './policy';
import type { TokenSet } from './outcome';

export interface RecordedCounts {
  token_version: number;
  /** Rows inserted: an event already recorded (same dedupe key) counts zero. */
  notifications: number;
  /** Emails queued for sending (throttled ones are written as skipped and not counted). */
  emails: number;
  webhooks: number;
}

/** What the log row says about one refresh. */
export interface LogEntry {
  provider: string;
  trigger: 'cron' | 'manual' | 'forced' | 'on_demand';
  outcome: 'refreshed' | 'skipped' | 'transient_failure' | 'auth_failure' | 'config_failure';
  errorCode: string | null;
  httpStatus: number | null;
  durationMs: number;
  attempts: number;
  metadata: Record<string, unknown>;
}

/** The `log` of a payload: one token_refresh_logs row (public.insert_refresh_log reads it). */
export interface RefreshLogJson {
  provider: string;
  trigger: LogEntry['trigger'];
  outcome: LogEntry['outcome'];
  error_code: string | null;
  http_status: number | null;
  duration_ms: number;
  attempts: number;
  metadata: Record<string, unknown>;
}

/** New tokens, sealed; an absent key leaves that column as it is. */
export interface RefreshTokensJson {
  access_token_encrypted: string;
  refresh_token_encrypted?: string;
  token_key_id: string;
  expires_at: string | null;
  refresh_token_expires_at?: string;
  scopes?: string[];
}

/** The policy's new state; an absent key leaves that column as it is. */
export interface RefreshStateJson {
  status: string;
  consecutive_failures: number;
  consecutive_transient_failures: number;
  last_failure_at?: string | null;
  last_error_code: string | null;
  last_error: string | null;
  disconnect_reason: string | null;
  refresh_due_at?: string | null;
}

/**
 * Every field public.record_refresh_result (and record_refresh_results, per element) reads:
 * the one shape a refresh result takes on its way to the database. Timestamps are ISO strings.
 */
export interface RefreshResultPayload {
  integration_id: string;
  /** The token_version the claim saw: the compare-and-swap. */
  expected_version: number;
  lease_owner: string;
  now: string;
  tokens: RefreshTokensJson | null;
  state: RefreshStateJson | null;
  log: RefreshLogJson;
  notifications: OwedRows['notifications'];
  emails: OwedRows['emails'];
  webhooks: OwedRows['webhooks'];
}

export interface NewTokens {
  tokens: TokenSet;
  /** null: the token does not expire (lib/providers/lifetime.ts), and is never due. */
  expiresAt: Date | null;
  refreshDueAt: Date | null;
  refreshTokenExpiresAt: Date | null;
}

/**
 * Writes one refresh result in one round trip (the record_refresh_result function): new
 * tokens by compare-and-swap on token_version, the policy's state, the log row, and the
 * notifications and emails owed, atomically. Returns null when the compare-and-swap
 * failed: another worker wrote newer tokens first, and nothing was written.
 */
export async function recordResult(
  db: Queryable,
  input: {
    integration: ClaimedIntegration;
    leaseOwner: string;
    now: Date;
    keyRing: KeyRing;
    newTokens: NewTokens | null;
    decision: PolicyDecision;
    log: LogEntry;
    providerName: string;
    /** Batches writes within a pass; absent: one statement now. */
    writer?: ResultWriter;
  },
): Promise<RecordedCounts | null> {
  const { integration, decision, newTokens, keyRing, now } = input;
  const id = integration.id;
  const tokens: RefreshTokensJson | null = newTokens && {
    access_token_encrypted: keyRing.encrypt(newTokens.tokens.accessToken, tokenContext.access(id)),
    // A response without a refresh token keeps the stored one: the key is left out.
    ...(newTokens.tokens.refreshToken
      ? { refresh_token_encrypted: keyRing.encrypt(newTokens.tokens.refreshToken, tokenContext.refresh(id)) }
      : {}),
    // Both tokens must be readable under one key id: re-seal a kept refresh token too.
    ...(!newTokens.tokens.refreshToken && integration.refresh_token_encrypted && keyRing.activeKeyId !== KeyRing.keyIdOf(integration.refresh_token_encrypted)
      ? { refresh_token_encrypted: resealRefresh(keyRing, integration) }
      : {}),
    token_key_id: keyRing.activeKeyId,
    expires_at: newTokens.expiresAt?.toISOString() ?? null,
    ...(newTokens.refreshTokenExpiresAt ? { refresh_token_expires_at: newTokens.refreshTokenExpiresAt.toISOString() } : {}),
    ...(newTokens.tokens.scopes ? { scopes: newTokens.tokens.scopes } : {}),
  };
  const state: RefreshStateJson | null = decision.state && {
    status: decision.state.status,
    consecutive_failures: decision.state.consecutiveFailures,
    consecutive_transient_failures: decision.state.consecutiveTransientFailures,
    ...(decision.state.lastFailureAt === 'unchanged'
      ? {}
      : { last_failure_at: decision.state.lastFailureAt?.toISOString() ?? null }),
    last_error_code: decision.state.lastErrorCode,
    last_error: decision.state.lastError,
    disconnect_reason: decision.state.disconnectReason,
    ...(newTokens ? { refresh_due_at: newTokens.refreshDueAt?.toISOString() ?? null } : {}),
  };
  // Who hears is looked up only when something is owed: a successful refresh (nearly all of
  // them) costs one round trip, and the claim stays a plain index walk.
  const owed = owedRows({
    integration: {
      id,
      userId: integration.user_id,
      organizationId: integration.organization_id,
      provider: integration.provider,
      accountLabel: integration.account_label,
    },
    providerName: input.providerName,
    messages: decision.messages,
    recipients: decision.messages.length > 0 ? await loadRecipients(db, id) : [],
    now,
    status: decision.state?.status ?? integration.status,
    reason: decision.state?.disconnectReason ?? null,
    errorCode: input.log.errorCode,
  });

  const payload: RefreshResultPayload = {
    integration_id: id,
    expected_version: integration.token_version,
    lease_owner: input.leaseOwner,
    now: now.toISOString(),
    tokens,
    state,
    log: logJson(input.log),
    notifications: owed.notifications,
    emails: owed.emails,
    webhooks: owed.webhooks,
  };
  return input.writer ? input.writer.write(payload) : writeOne(db, payload);
}

async function writeOne(db: Queryable, payload: RefreshResultPayload): Promise<RecordedCounts | null> {
  const [row] = await db.query<{ recorded: RecordedCounts | null }>(`select public.record_refresh_result($1::jsonb) as recorded`, [
    JSON.stringify(payload),
  ]);
  return row?.recorded ?? null;
}

/**
 * Writes the results of a busy pass in batches: one statement (record_refresh_results)
 * carries up to `maxBatch` results, each applied exactly as record_refresh_result applies
 * it. A batch goes when it is full or when the event loop has had a moment to fill it, so
 * a quiet pass still writes each result within milliseconds.
 *
 * A write rejects with the database's own error, so the caller can tell an unreachable
 * database (retry, lib/refresh/write-retry.ts) from a row it refused.
 */
export class ResultWriter {
  private pending: PendingWrite[] = [];
  private timer: NodeJS.Timeout | null = null;

  constructor(
    private readonly db: Queryable,
    private readonly maxBatch = 50,
    private readonly maxWaitMs = 5,
  ) {}

  write(payload: RefreshResultPayload): Promise<RecordedCounts | null> {
    return new Promise((resolve, reject) => {
      this.pending.push({ payload, resolve, reject });
      if (this.pending.length >= this.maxBatch) this.flush();
      else this.timer ??= setTimeout(() => this.flush(), this.maxWaitMs);
    });
  }

  private flush(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    const batch = this.pending.splice(0);
    if (batch.length === 0) return;
    this.db
      .query<{ recorded: (RecordedCounts | { error: string } | null)[] }>(`select public.record_refresh_results($1::jsonb) as recorded`, [
        JSON.stringify(batch.map((entry) => entry.payload)),
      ])
      .then(([row]) => {
        batch.forEach((entry, index) => {
          const recorded = row?.recorded[index] ?? null;
          // That result's subtransaction failed: one more try alone tells why, with its code.
          if (recorded && 'error' in recorded) writeOne(this.db, entry.payload).then(entry.resolve, entry.reject);
          else entry.resolve(recorded);
        });
      })
      .catch((error: unknown) => {
        if (databaseFailure(error) === 'refused') {
          // The database refused the batch whole (one payload it cannot parse): each result
          // gets its own chance, so one cannot lose the others' tokens.
          for (const entry of batch) writeOne(this.db, entry.payload).then(entry.resolve, entry.reject);
        } else {
          // Unreachable or busy: nothing of the batch landed; each caller retries its own.
          for (const entry of batch) entry.reject(error);
        }
      });
  }
}

interface PendingWrite {
  payload: RefreshResultPayload;
  resolve: (value: RecordedCounts | null) => void;
  reject: (error: unknown) => void;
}

/**
 * A skip changes nothing but the log and the lease: one statement. A skip after a provider
 * call (attempts > 0: another worker had rotated the token, or wrote newer tokens first)
 * also clears the call mark, since that call's outcome is now known.
 */
export async function recordSkip(db: Queryable, input: { integrationId: string; leaseOwner: string; now: Date; log: LogEntry }): Promise<void> {
  // The log row through public.insert_refresh_log, as record_refresh_result writes it.
  await db.query(
    `with released as (
       update public.integrations
       set lease_expires_at = null,
           provider_called_at = case when (($3::jsonb)->>'attempts')::int > 0 then null else provider_called_at end
       where id = $1 and lease_owner = $2
     )
     select public.insert_refresh_log($1, $4::timestamptz, $3::jsonb)`,
    [input.integrationId, input.leaseOwner, JSON.stringify(logJson(input.log)), input.now.toISOString()],
  );
}

function logJson(log: LogEntry): RefreshLogJson {
  return {
    provider: log.provider,
    trigger: log.trigger,
    outcome: log.outcome,
    error_code: log.errorCode,
    http_status: log.httpStatus,
    duration_ms: Math.round(log.durationMs),
    attempts: log.attempts,
    metadata: log.metadata,
  };
}

function resealRefresh(keyRing: KeyRing, integration: ClaimedIntegration): string {
  const context = tokenContext.refresh(integration.id);
  return keyRing.encrypt(keyRing.decrypt(integration.refresh_token_encrypted!, context), context);
}
