import type { Db } from '../db/client';
import type { KeyRing } from '../crypto/key-ring';
import type { ProviderRegistry } from '../providers/registry';
import { createProviderFetch } from '../refresh/http-client';
import { REFRESH_POLICY } from '../refresh/policy-numbers';

/** What the connect flow needs from outside; tests pass their own fetch and clock. */
export interface ConnectDeps {
  db: Db;
  keyRing: KeyRing;
  providers: Pick<ProviderRegistry, 'get'>;
  /** For the provider's token, user-info and exchange endpoints. */
  fetch: typeof fetch;
  /** APP_URL: the redirect URI is `${appUrl}/api/connect/callback`. */
  appUrl: string;
  reconnectUrlTemplate?: string | null;
  now: () => Date;
  /** [0, 1): the jitter of the first refresh's due time. */
  random: () => number;
  /** Per request to a provider. */
  requestTimeoutMs: number;
}

export function redirectUri(appUrl: string): string {
  return `${new URL(appUrl).origin}/api/connect/callback`;
}

/** The PKCE verifier's key-ring context: sealed to its session row. */
export function verifierContext(sessionId: string): string {
  return `connect_sessions/${sessionId}/code_verifier`;
}

/** The production collaborators: one keep-alive pool for provider calls, the real clock and dice. */
export function createConnectDeps(input: {
  db: Db;
  keyRing: KeyRing;
  providers: Pick<ProviderRegistry, 'get'>;
  env: { APP_URL: string; RECONNECT_URL_TEMPLATE?: string | null };
}): ConnectDeps {
  sharedFetch ??= createProviderFetch();
  return {
    db: input.db,
    keyRing: input.keyRing,
    providers: input.providers,
    fetch: sharedFetch,
    appUrl: input.env.APP_URL,
    reconnectUrlTemplate: input.env.RECONNECT_URL_TEMPLATE ?? null,
    now: () => new Date(),
    random: Math.random,
    requestTimeoutMs: REFRESH_POLICY.requestTimeoutMs,
  };
}

let sharedFetch: typeof fetch | undefined;
