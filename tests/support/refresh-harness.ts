import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import type { KeyRing } from '../../lib/crypto/key-ring';
import { tokenContext } from '../../lib/crypto/key-ring';
import { loadProviderRegistry, type ProviderRegistry } from '../../lib/providers/registry';
import type { RefreshDeps } from '../../lib/refresh/refresh-one';
import { runRefreshPass, type PassOptions, type PassSummary } from '../../lib/refresh/run-pass';
import { createTestDatabase, type TestDatabase } from './database';
import { insertUser, testKeyRing } from './fixtures';

/**
 * A refresh engine wired to a fresh real database, a key ring and a providers file that
 * points providers at local servers (oidc-provider or the fault provider).
 */

export interface ProviderFileEntry {
  id: string;
  name?: string;
  tokenUrl: string;
  /** RFC 7009 revocation endpoint, called on disconnect. */
  revocationUrl?: string;
  clientId: string;
  clientSecret: string;
  clientAuth?: 'client_secret_basic' | 'client_secret_post';
  rotatesRefreshTokens?: boolean;
  refreshGraceSeconds?: number;
  /** The provider's health-check endpoint (Test connection). */
  healthCheckUrl?: string;
}

export interface RefreshHarness {
  t: TestDatabase;
  keyRing: KeyRing;
  providers: ProviderRegistry;
  userId: string;
  deps(overrides?: Partial<RefreshDeps>): RefreshDeps;
  pass(options?: Partial<PassOptions>, overrides?: Partial<RefreshDeps>): Promise<PassSummary>;
  seed(values: SeedValues): Promise<string>;
  row(id: string): Promise<IntegrationRow>;
  tokens(id: string): Promise<{ accessToken: string; refreshToken: string | null }>;
  close(): Promise<void>;
}

export interface SeedValues {
  provider: string;
  accessToken?: string;
  refreshToken?: string | null;
  /** Seconds from now; negative: already expired. Default 60 (due). */
  expiresIn?: number | null;
  status?: 'connected' | 'needs_reauthorization';
  consecutiveFailures?: number;
  consecutiveTransientFailures?: number;
  userId?: string;
  organizationId?: string | null;
}

export interface IntegrationRow {
  id: string;
  status: string;
  token_version: number;
  consecutive_failures: number;
  consecutive_transient_failures: number;
  last_error_code: string | null;
  disconnect_reason: string | null;
  expires_at: Date | null;
  refresh_due_at: Date | null;
  last_refreshed_at: Date | null;
  lease_expires_at: Date | null;
  updated_at: Date;
  [key: string]: unknown;
}

export const instantSleep = async () => undefined;

export async function createRefreshHarness(entries: ProviderFileEntry[]): Promise<RefreshHarness> {
  const t = await createTestDatabase();
  const keyRing = testKeyRing();
  const dir = mkdtempSync(join(tmpdir(), 'tw-providers-'));
  const file = join(dir, 'providers.json');
  writeFileSync(
    file,
    JSON.stringify({
      providers: entries.map((entry) => ({ clientAuth: 'client_secret_basic', ...entry })),
    }),
  );
  const providers = loadProviderRegistry({ providersFile: file, env: {} });
  const userId = await insertUser(t.db, `owner-${randomUUID()}@example.com`);

  const deps = (overrides: Partial<RefreshDeps> = {}): RefreshDeps => ({
    db: t.db,
    keyRing,
    providers,
    fetch: globalThis.fetch,
    now: () => new Date(),
    random: () => 0.5,
    sleep: instantSleep,
    appUrl: 'https://app.example.com',
    requestTimeoutMs: 2_000,
    maxAttempts: 3,
    ...overrides,
  });

  return {
    t,
    keyRing,
    providers,
    userId,
    deps,
    pass: (options = {}, overrides = {}) =>
      runRefreshPass(deps(overrides), {
        trigger: 'cron',
        concurrency: 8,
        providerConcurrency: 8,
        timeBudgetMs: 60_000,
        thresholdMinutes: 10,
        verbose: true,
        ...options,
      }),
    async seed(values) {
      const id = randomUUID();
      const expiresAt =
        values.expiresIn === null ? null : new Date(Date.now() + (values.expiresIn ?? 60) * 1000).toISOString();
      const refresh = values.refreshToken === undefined ? `refresh-${id}` : values.refreshToken;
      await t.db.query(
        `insert into public.integrations
           (id, user_id, organization_id, provider, account_label, status, access_token_encrypted,
            refresh_token_encrypted, token_key_id, expires_at, refresh_due_at,
            consecutive_failures, consecutive_transient_failures)
         values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $10, $11, $12)`,
        [
          id,
          values.userId ?? userId,
          values.organizationId ?? null,
          values.provider,
          `${values.provider} account`,
          values.status ?? 'connected',
          keyRing.encrypt(values.accessToken ?? `access-${id}`, tokenContext.access(id)),
          refresh === null ? null : keyRing.encrypt(refresh, tokenContext.refresh(id)),
          keyRing.activeKeyId,
          expiresAt,
          values.consecutiveFailures ?? 0,
          values.consecutiveTransientFailures ?? 0,
        ],
      );
      return id;
    },
    async row(id) {
      const [row] = await t.db.query<IntegrationRow>(`select * from public.integrations where id = $1`, [id]);
      if (!row) throw new Error(`no integration ${id}`);
      return row;
    },
    async tokens(id) {
      const [row] = await t.db.query<{ access_token_encrypted: string; refresh_token_encrypted: string | null }>(
        `select access_token_encrypted, refresh_token_encrypted from public.integrations where id = $1`,
        [id],
      );
      return {
        accessToken: keyRing.decrypt(row!.access_token_encrypted, tokenContext.access(id)),
        refreshToken: row!.refresh_token_encrypted && keyRing.decrypt(row!.refresh_token_encrypted, tokenContext.refresh(id)),
      };
    },
    close: () => t.drop(),
  };
}
