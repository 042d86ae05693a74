import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { loadProviderRegistry } from '../../lib/providers/registry';
import type { RefreshDeps } from '../../lib/refresh/refresh-one';
import type { PassOptions, PassResult, PassSummary } from '../../lib/refresh/run-pass';
import { responses, startFaultProvider, type FaultProvider, type FaultResponse } from '../support/fault-provider';
import { createRefreshHarness, type IntegrationRow, type RefreshHarness, type SeedValues } from '../support/refresh-harness';

/**
 * The failure policy (docs/contracts.md §5) end to end: a real database, the real engine, and a
 * scriptable token endpoint that answers like providers do when things go wrong. Every case
 * checks the connection row, the pass summary, the log row of each pass and what people hear.
 */

const CLIENT_SECRETS = {
  fault: `fault-client-secret-${randomBytes(8).toString('hex')}`,
  fault_batch: `batch-client-secret-${randomBytes(8).toString('hex')}`,
  slack: `slack-client-secret-${randomBytes(8).toString('hex')}`,
  github: `github-client-secret-${randomBytes(8).toString('hex')}`,
  hubspot: `hubspot-client-secret-${randomBytes(8).toString('hex')}`,
  atlassian: `atlassian-client-secret-${randomBytes(8).toString('hex')}`,
  microsoft: `microsoft-client-secret-${randomBytes(8).toString('hex')}`,
  salesforce: `salesforce-client-secret-${randomBytes(8).toString('hex')}`,
  facebook: `facebook-client-secret-${randomBytes(8).toString('hex')}`,
};

let fault: FaultProvider;
let h: RefreshHarness;
let userEmail: string;

/** Every token value this file puts anywhere, and every summary it got: for the leak checks. */
const secrets = new Set<string>(Object.values(CLIENT_SECRETS));
const summaries: PassSummary[] = [];

beforeAll(async () => {
  fault = await startFaultProvider();
  // An unscripted call is a test bug: answer it with something no case expects.
  fault.setFallback(responses.oauthError(400, 'unscripted_request'));
  const entry = (id: keyof typeof CLIENT_SECRETS, tokenUrl = fault.tokenUrl) => ({
    id,
    tokenUrl,
    clientId: `${id}-client-id`,
    clientSecret: CLIENT_SECRETS[id],
  });
  h = await createRefreshHarness([
    { ...entry('fault'), name: 'Fault Co', rotatesRefreshTokens: true },
    { ...entry('fault_batch'), name: 'Batch Co' },
    entry('slack'),
    entry('github'),
    entry('hubspot'),
    entry('atlassian'),
    entry('microsoft'),
    entry('salesforce'),
    entry('facebook', `${fault.url}/oauth/access_token`),
  ]);
  const [user] = await h.t.db.query<{ email: string }>(`select email from auth.users where id = $1`, [h.userId]);
  userEmail = user!.email;
});

afterAll(async () => {
  await h?.close();
  await fault?.close();
});

// ---------------------------------------------------------------------------------------------
// Helpers

const secret = (kind: string) => {
  const value = `${kind}-secret-${randomBytes(12).toString('hex')}`;
  secrets.add(value);
  return value;
};

/** Seeds a due connection with distinctive token values (remembered for the leak checks). */
async function seed(values: SeedValues): Promise<{ id: string; accessToken: string; refreshToken: string | null }> {
  const accessToken = values.accessToken ?? secret('at');
  const refreshToken = values.refreshToken === undefined ? secret('rt') : values.refreshToken;
  secrets.add(accessToken);
  if (refreshToken) secrets.add(refreshToken);
  const id = await h.seed({ ...values, accessToken, refreshToken });
  return { id, accessToken, refreshToken };
}

/** A token response whose access token is remembered for the leak checks. */
function tokens(input: { refreshToken?: string; expiresIn?: number } = {}): { response: FaultResponse; accessToken: string } {
  const accessToken = secret('new-at');
  return { response: responses.tokens({ ...input, accessToken }), accessToken };
}

/**
 * The engine's clock. Every pass is the next cron tick (the schedule is every 5 minutes):
 * scheduled claims leave a row alone for a while after an attempt (claim.ts RETRY_GAP_SECONDS),
 * so consecutive passes over one connection must be that far apart, as they are in production.
 */
const CRON_TICK_MS = 5 * 60_000;
let clockOffsetMs = 0;
const now = () => new Date(Date.now() + clockOffsetMs);

/** Runs one pass at the next cron tick and keeps its summary for the leak checks. */
async function pass(options: Partial<PassOptions>, overrides: Partial<RefreshDeps> = {}): Promise<PassSummary> {
  clockOffsetMs += CRON_TICK_MS;
  const summary = await h.pass(options, { now, ...overrides });
  summaries.push(summary);
  return summary;
}

/** A sleep that records the delay it was asked for instead of waiting. */
function recordingSleep(): { sleeps: number[]; sleep: (ms: number) => Promise<void> } {
  const sleeps: number[] = [];
  return {
    sleeps,
    sleep: async (ms) => {
      sleeps.push(ms);
    },
  };
}

const times = (n: number, make: () => FaultResponse): FaultResponse[] => Array.from({ length: n }, make);

const COUNT_KEYS = [
  'claimed',
  'refreshed',
  'skipped',
  'transientFailures',
  'authFailures',
  'configFailures',
  'disconnected',
  'notificationsCreated',
  'emailsQueued',
] as const;
type Counts = Record<(typeof COUNT_KEYS)[number], number>;

/** Every count of the summary: the given ones, and 0 for the rest (claimed defaults to 1). */
function expectCounts(summary: PassSummary, counts: Partial<Counts>): void {
  const actual = Object.fromEntries(COUNT_KEYS.map((key) => [key, summary[key]]));
  const expected = Object.fromEntries(COUNT_KEYS.map((key) => [key, counts[key] ?? (key === 'claimed' ? 1 : 0)]));
  expect(actual).toEqual(expected);
}

function expectResult(
  summary: PassSummary,
  id: string,
  expected: { provider: string; outcome: PassResult['outcome']; errorCode?: string; attempts: number },
): void {
  const result = summary.results?.find((r) => r.integrationId === id);
  expect(result).toBeDefined();
  const { durationMs, ...rest } = result!;
  expect(durationMs).toBeGreaterThanOrEqual(0);
  expect(rest).toStrictEqual({
    integrationId: id,
    provider: expected.provider,
    outcome: expected.outcome,
    ...(expected.errorCode === undefined ? {} : { errorCode: expected.errorCode }),
    attempts: expected.attempts,
  });
}

function expectRow(
  row: IntegrationRow,
  expected: { status: string; consecutive_failures: number; consecutive_transient_failures: number; last_error_code: string | null },
): void {
  expect({
    status: row.status,
    consecutive_failures: row.consecutive_failures,
    consecutive_transient_failures: row.consecutive_transient_failures,
    last_error_code: row.last_error_code,
  }).toEqual(expected);
}

// Type aliases, not interfaces: db.query<Row> wants rows with an index signature.
type LogRow = {
  trigger: string;
  outcome: string;
  error_code: string | null;
  http_status: number | null;
  attempts: number;
};

const logs = (id: string) =>
  h.t.db.query<LogRow>(
    `select trigger, outcome, error_code, http_status, attempts from public.token_refresh_logs
     where integration_id = $1 order by created_at`,
    [id],
  );

const log = (outcome: string, error_code: string | null, http_status: number | null, attempts: number, trigger = 'cron'): LogRow => ({
  trigger,
  outcome,
  error_code,
  http_status,
  attempts,
});

type NotificationRow = {
  user_id: string;
  type: string;
  severity: string;
  message: string;
  action_url: string;
};

const notifications = (id: string) =>
  h.t.db.query<NotificationRow>(
    `select user_id, type, severity, message, action_url from public.notifications
     where integration_id = $1 order by created_at`,
    [id],
  );

type EmailRow = {
  to_email: string;
  template: string;
  status: string;
  idempotency_key: string;
  user_id: string;
  payload: Record<string, unknown>;
};

const emails = (id: string) =>
  h.t.db.query<EmailRow>(
    `select to_email, template, status, idempotency_key, user_id, payload from public.email_outbox
     where integration_id = $1 order by created_at`,
    [id],
  );

/** The row without what a claim and any write always touch (the lease, the claim's stamp, updated_at). */
function userState(row: IntegrationRow): Record<string, unknown> {
  const copy: Record<string, unknown> = { ...row };
  for (const column of ['lease_owner', 'lease_expires_at', 'last_attempt_at', 'updated_at']) delete copy[column];
  return copy;
}

/** How many token requests the fault provider received since `since`. */
const callsSince = (since: number) => fault.requests.length - since;

// ---------------------------------------------------------------------------------------------

describe('transient failures (429, 5xx, HTML, timeouts, resets, unusable bodies)', () => {
  it('retries a 429 inside the pass after the Retry-After delay and refreshes on the next answer', async () => {
    const { id, refreshToken } = await seed({ provider: 'fault', consecutiveFailures: 1, consecutiveTransientFailures: 2 });
    const fresh = tokens({ refreshToken: secret('rotated-rt') });
    fault.enqueue(responses.tooManyRequests(2), fresh.response);
    const since = fault.requests.length;
    const { sleeps, sleep } = recordingSleep();

    const summary = await pass({ integrationId: id }, { sleep });

    expect(callsSince(since)).toBe(2);
    expect(fault.requests.slice(since).map((r) => r.form.refresh_token)).toEqual([refreshToken, refreshToken]);
    expect(sleeps).toHaveLength(1);
    expect(sleeps[0]).toBeGreaterThanOrEqual(2000);
    expectCounts(summary, { refreshed: 1 });
    expectResult(summary, id, { provider: 'fault', outcome: 'refreshed', attempts: 2 });
    expectRow(await h.row(id), { status: 'connected', consecutive_failures: 0, consecutive_transient_failures: 0, last_error_code: null });
    expect((await h.tokens(id)).accessToken).toBe(fresh.accessToken);
    expect(await logs(id)).toEqual([log('refreshed', null, 200, 2)]);
    expect(await notifications(id)).toEqual([]);
    expect(await emails(id)).toEqual([]);
  });

  it('counts a pass whose every attempt was rate limited as one transient failure, and tells nobody', async () => {
    const { id } = await seed({ provider: 'fault' });
    fault.enqueue(...times(3, () => responses.tooManyRequests(1)));
    const since = fault.requests.length;
    const { sleeps, sleep } = recordingSleep();

    const summary = await pass({ integrationId: id }, { sleep });

    expect(callsSince(since)).toBe(3);
    // Backoff between attempts, never shorter than Retry-After.
    expect(sleeps).toHaveLength(2);
    for (const ms of sleeps) expect(ms).toBeGreaterThanOrEqual(1000);
    expectCounts(summary, { transientFailures: 1 });
    expectResult(summary, id, { provider: 'fault', outcome: 'transient_failure', errorCode: 'http_429', attempts: 3 });
    // One pass counts once: +1, not +3.
    expectRow(await h.row(id), { status: 'connected', consecutive_failures: 0, consecutive_transient_failures: 1, last_error_code: 'http_429' });
    expect(await logs(id)).toEqual([log('transient_failure', 'http_429', 429, 3)]);
    expect(await notifications(id)).toEqual([]);
    expect(await emails(id)).toEqual([]);
  });

  /** Three attempts of one transient answer: the connection stays connected, +1, nobody told. */
  async function expectTransient(
    answer: () => FaultResponse,
    expected: { errorCode: string; httpStatus: number | null },
    overrides: Partial<RefreshDeps> = {},
  ): Promise<void> {
    const { id, accessToken, refreshToken } = await seed({ provider: 'fault' });
    fault.enqueue(...times(3, answer));
    const since = fault.requests.length;

    const summary = await pass({ integrationId: id }, overrides);

    expect(callsSince(since)).toBe(3);
    expectCounts(summary, { transientFailures: 1 });
    expectResult(summary, id, { provider: 'fault', outcome: 'transient_failure', errorCode: expected.errorCode, attempts: 3 });
    expectRow(await h.row(id), {
      status: 'connected',
      consecutive_failures: 0,
      consecutive_transient_failures: 1,
      last_error_code: expected.errorCode,
    });
    expect(await h.tokens(id)).toEqual({ accessToken, refreshToken });
    expect(await logs(id)).toEqual([log('transient_failure', expected.errorCode, expected.httpStatus, 3)]);
    expect(await notifications(id)).toEqual([]);
    expect(await emails(id)).toEqual([]);
  }

  it('treats a 503 HTML page as transient', async () => {
    await expectTransient(responses.serviceUnavailable, { errorCode: 'http_503', httpStatus: 503 });
  });

  it('treats an HTML page on 200 as transient', async () => {
    await expectTransient(responses.htmlOn200, { errorCode: 'non_json_response', httpStatus: 200 });
  });

  it('treats a token endpoint that never answers as a timeout, which is transient', async () => {
    const started = Date.now();
    await expectTransient(() => ({ hang: true }), { errorCode: 'timeout', httpStatus: null }, { requestTimeoutMs: 300 });
    // Three attempts of 300 ms each, not the default timeout.
    expect(Date.now() - started).toBeLessThan(5_000);
  });

  it('treats a connection reset as a transient network error', async () => {
    await expectTransient(() => ({ destroy: true }), { errorCode: 'network_error', httpStatus: null });
  });

  it('treats a 200 with an access token but no token_type as transient, and stores nothing from it', async () => {
    await expectTransient(() => ({ status: 200, json: { access_token: 'x' } }), { errorCode: 'invalid_token_response', httpStatus: 200 });
  });

  it('tells the user once, in-app only, at the 5th transient failure in a row, never disconnects, and resets on success', async () => {
    const { id } = await seed({ provider: 'fault' });

    for (let n = 1; n <= 6; n += 1) {
      fault.enqueue(...times(3, responses.serviceUnavailable));
      const summary = await pass({ integrationId: id });
      expectCounts(summary, { transientFailures: 1, notificationsCreated: n === 5 ? 1 : 0 });
      expectResult(summary, id, { provider: 'fault', outcome: 'transient_failure', errorCode: 'http_503', attempts: 3 });
      expectRow(await h.row(id), { status: 'connected', consecutive_failures: 0, consecutive_transient_failures: n, last_error_code: 'http_503' });
      expect(await notifications(id)).toHaveLength(n >= 5 ? 1 : 0);
    }
    const [notice] = await notifications(id);
    expect(notice).toMatchObject({
      user_id: h.userId,
      type: 'integration_rate_limit',
      severity: 'warning',
      action_url: `https://app.example.com/integrations/${id}/reconnect`,
    });
    expect(notice!.message).toMatch(/Fault Co is temporarily rate limiting requests/);
    expect(await emails(id)).toEqual([]);

    const fresh = tokens({ refreshToken: secret('rotated-rt') });
    fault.enqueue(fresh.response);
    const summary = await pass({ integrationId: id });
    expectCounts(summary, { refreshed: 1 });
    expectResult(summary, id, { provider: 'fault', outcome: 'refreshed', attempts: 1 });
    expectRow(await h.row(id), { status: 'connected', consecutive_failures: 0, consecutive_transient_failures: 0, last_error_code: null });
    expect(await notifications(id)).toHaveLength(1);
    expect(await emails(id)).toEqual([]);
    expect(await logs(id)).toEqual([
      ...Array.from({ length: 6 }, () => log('transient_failure', 'http_503', 503, 3)),
      log('refreshed', null, 200, 1),
    ]);
  });
});

describe('auth failures and dead refresh tokens', () => {
  it('warns at the 2nd auth failure in a row and disconnects with an email at the 3rd; a transient failure in between does not reset the streak', async () => {
    const { id } = await seed({ provider: 'fault' });

    // 1st: a 401 without WWW-Authenticate and with a body that is no OAuth error.
    fault.enqueue({ status: 401, body: 'Unauthorized' });
    let summary = await pass({ integrationId: id });
    expectCounts(summary, { authFailures: 1 });
    expectResult(summary, id, { provider: 'fault', outcome: 'auth_failure', errorCode: 'http_401', attempts: 1 });
    expectRow(await h.row(id), { status: 'connected', consecutive_failures: 1, consecutive_transient_failures: 0, last_error_code: 'http_401' });
    expect(await notifications(id)).toEqual([]);

    // A transient failure: the auth streak stands.
    fault.enqueue(...times(3, responses.serviceUnavailable));
    summary = await pass({ integrationId: id });
    expectCounts(summary, { transientFailures: 1 });
    expectRow(await h.row(id), { status: 'connected', consecutive_failures: 1, consecutive_transient_failures: 1, last_error_code: 'http_503' });
    expect(await notifications(id)).toEqual([]);

    // 2nd: an OAuth access_denied → a warning, in-app only.
    fault.enqueue(responses.oauthError(401, 'access_denied'));
    summary = await pass({ integrationId: id });
    expectCounts(summary, { authFailures: 1, notificationsCreated: 1 });
    expectResult(summary, id, { provider: 'fault', outcome: 'auth_failure', errorCode: 'access_denied', attempts: 1 });
    expectRow(await h.row(id), { status: 'connected', consecutive_failures: 2, consecutive_transient_failures: 0, last_error_code: 'access_denied' });
    expect(await notifications(id)).toEqual([expect.objectContaining({ user_id: h.userId, type: 'integration_warning', severity: 'warning' })]);
    expect(await emails(id)).toEqual([]);

    // 3rd: a 401 with a JSON body that is no OAuth error → needs reauthorization, in-app + email.
    fault.enqueue({ status: 401, json: { message: 'Unauthorized' } });
    summary = await pass({ integrationId: id });
    expectCounts(summary, { authFailures: 1, disconnected: 1, notificationsCreated: 1, emailsQueued: 1 });
    expectResult(summary, id, { provider: 'fault', outcome: 'auth_failure', errorCode: 'http_401', attempts: 1 });
    const row = await h.row(id);
    expectRow(row, { status: 'needs_reauthorization', consecutive_failures: 3, consecutive_transient_failures: 0, last_error_code: 'http_401' });
    expect(row.disconnect_reason).toMatch(/Fault Co/);
    const notes = await notifications(id);
    expect(notes.map((n) => n.type)).toEqual(['integration_warning', 'integration_disconnected']);
    expect(notes[1]).toMatchObject({ user_id: h.userId, severity: 'error', action_url: `https://app.example.com/integrations/${id}/reconnect` });
    const mail = await emails(id);
    expect(mail).toHaveLength(1);
    expect(mail[0]).toMatchObject({ to_email: userEmail, template: 'integration_disconnected', status: 'pending', user_id: h.userId });
    expect(mail[0]!.idempotency_key).toEqual(expect.stringContaining(id));

    expect(await logs(id)).toEqual([
      log('auth_failure', 'http_401', 401, 1),
      log('transient_failure', 'http_503', 503, 3),
      log('auth_failure', 'access_denied', 401, 1),
      log('auth_failure', 'http_401', 401, 1),
    ]);
  });

  it('marks the integration for reauthorization at once on invalid_grant, tells the user in-app and by email, and never claims it again', async () => {
    const { id } = await seed({ provider: 'fault' });
    fault.enqueue(responses.oauthError(400, 'invalid_grant'));
    const since = fault.requests.length;

    const summary = await pass({ integrationId: id });

    expect(callsSince(since)).toBe(1);
    expectCounts(summary, { authFailures: 1, disconnected: 1, notificationsCreated: 1, emailsQueued: 1 });
    expectResult(summary, id, { provider: 'fault', outcome: 'auth_failure', errorCode: 'invalid_grant', attempts: 1 });
    const row = await h.row(id);
    expectRow(row, { status: 'needs_reauthorization', consecutive_failures: 1, consecutive_transient_failures: 0, last_error_code: 'invalid_grant' });
    expect(row.disconnect_reason).toMatch(/Fault Co no longer accepts this connection's refresh token \(invalid_grant\)/);
    expect(await logs(id)).toEqual([log('auth_failure', 'invalid_grant', 400, 1)]);
    expect(await notifications(id)).toEqual([
      expect.objectContaining({ user_id: h.userId, type: 'integration_disconnected', action_url: `https://app.example.com/integrations/${id}/reconnect` }),
    ]);
    const mail = await emails(id);
    expect(mail).toEqual([
      expect.objectContaining({ to_email: userEmail, template: 'integration_disconnected', status: 'pending', idempotency_key: expect.stringContaining(id) }),
    ]);
    expect(mail[0]!.payload.reason).toBe(row.disconnect_reason);

    const forced = await pass({ integrationId: id, force: true, trigger: 'manual' });
    expectCounts(forced, { claimed: 0 });
    expect(callsSince(since)).toBe(1);
    expect(await logs(id)).toHaveLength(1);
  });
});

describe("providers' own ways of saying no (normalisers)", () => {
  async function runOnce(provider: string, answers: FaultResponse[]) {
    const seeded = await seed({ provider });
    fault.enqueue(...answers);
    const since = fault.requests.length;
    const summary = await pass({ integrationId: seeded.id });
    expect(callsSince(since)).toBe(answers.length);
    return { ...seeded, summary, row: await h.row(seeded.id) };
  }

  async function expectDisconnected(provider: string, answer: FaultResponse, errorCode: string, httpStatus: number): Promise<void> {
    const { id, summary, row } = await runOnce(provider, [answer]);
    expectCounts(summary, { authFailures: 1, disconnected: 1, notificationsCreated: 1, emailsQueued: 1 });
    expectResult(summary, id, { provider, outcome: 'auth_failure', errorCode, attempts: 1 });
    expectRow(row, { status: 'needs_reauthorization', consecutive_failures: 1, consecutive_transient_failures: 0, last_error_code: errorCode });
    expect(row.disconnect_reason).toEqual(expect.any(String));
    expect(await logs(id)).toEqual([log('auth_failure', errorCode, httpStatus, 1)]);
    expect(await notifications(id)).toEqual([expect.objectContaining({ type: 'integration_disconnected', user_id: h.userId })]);
    expect(await emails(id)).toEqual([expect.objectContaining({ template: 'integration_disconnected', to_email: userEmail })]);
  }

  it('marks a Slack connection for reauthorization on 200 ok:false invalid_refresh_token', async () => {
    await expectDisconnected('slack', responses.slackOkFalse('invalid_refresh_token'), 'slack:invalid_refresh_token', 400);
  });

  it.each(['bot', 'user'])('refreshes a Slack connection whose rotation answers token_type "%s", storing the tokens Slack issued', async (tokenType) => {
    const { id } = await seed({ provider: 'slack' });
    const accessToken = secret(`xoxe.xox-${tokenType}`);
    const refreshToken = secret('xoxe-rt');
    fault.enqueue(responses.slackRotated(tokenType, { accessToken, refreshToken }));
    const since = fault.requests.length;

    const summary = await pass({ integrationId: id });

    expect(callsSince(since)).toBe(1);
    expectCounts(summary, { refreshed: 1 });
    expectResult(summary, id, { provider: 'slack', outcome: 'refreshed', attempts: 1 });
    expectRow(await h.row(id), { status: 'connected', consecutive_failures: 0, consecutive_transient_failures: 0, last_error_code: null });
    expect(await h.tokens(id)).toEqual({ accessToken, refreshToken });
    expect(await logs(id)).toEqual([log('refreshed', null, 200, 1)]);
  });

  it('marks a GitHub connection for reauthorization on 200 bad_refresh_token', async () => {
    await expectDisconnected('github', responses.githubErrorOn200('bad_refresh_token'), 'github:bad_refresh_token', 400);
  });

  it('marks a HubSpot connection for reauthorization on 400 BAD_REFRESH_TOKEN', async () => {
    await expectDisconnected('hubspot', responses.hubspotBadRefreshToken(), 'BAD_REFRESH_TOKEN', 400);
  });

  it('marks an Atlassian connection for reauthorization on 403 invalid_grant', async () => {
    await expectDisconnected('atlassian', responses.atlassianInvalidGrant403(), 'invalid_grant', 403);
  });

  it('marks a Microsoft connection for reauthorization on AADSTS700082 (refresh token expired)', async () => {
    await expectDisconnected('microsoft', responses.microsoftAadsts(700082), 'AADSTS700082', 400);
  });

  it('treats Microsoft AADSTS50196 (client request loop) as throttling although it comes with invalid_grant: retried, still connected', async () => {
    const { sleeps, sleep } = recordingSleep();
    const seeded = await seed({ provider: 'microsoft' });
    fault.enqueue(...times(3, () => responses.microsoftAadsts(50196)));
    const since = fault.requests.length;
    const summary = await pass({ integrationId: seeded.id }, { sleep });

    expect(callsSince(since)).toBe(3);
    expect(sleeps).toHaveLength(2);
    expectCounts(summary, { transientFailures: 1 });
    expectResult(summary, seeded.id, { provider: 'microsoft', outcome: 'transient_failure', errorCode: 'AADSTS50196', attempts: 3 });
    expectRow(await h.row(seeded.id), {
      status: 'connected',
      consecutive_failures: 0,
      consecutive_transient_failures: 1,
      last_error_code: 'AADSTS50196',
    });
    expect(await logs(seeded.id)).toEqual([log('transient_failure', 'AADSTS50196', 400, 3)]);
    expect(await notifications(seeded.id)).toEqual([]);
    expect(await emails(seeded.id)).toEqual([]);
  });
});

describe('configuration failures are the app’s, never the user’s', () => {
  /** A connection with some history, so "unchanged" means something. */
  async function seedWithHistory(provider: string, values: Partial<SeedValues> = {}) {
    const seeded = await seed({ provider, consecutiveFailures: 1, consecutiveTransientFailures: 2, ...values });
    await h.t.db.query(
      `update public.integrations set last_error_code = 'http_503', last_error = 'The provider answered 503', last_failure_at = now()
       where id = $1`,
      [seeded.id],
    );
    return { ...seeded, before: await h.row(seeded.id) };
  }

  async function expectUntouched(id: string, before: IntegrationRow): Promise<void> {
    const after = await h.row(id);
    expect(userState(after)).toEqual(userState(before));
    expect(after.lease_expires_at).toBeNull();
    expect(await notifications(id)).toEqual([]);
    expect(await emails(id)).toEqual([]);
  }

  it('records invalid_client (401 with WWW-Authenticate) as a config failure and leaves the connection exactly as it was', async () => {
    const { id, before } = await seedWithHistory('fault');
    fault.enqueue(responses.invalidClient());
    const since = fault.requests.length;

    const summary = await pass({ integrationId: id });

    expect(callsSince(since)).toBe(1);
    expectCounts(summary, { configFailures: 1 });
    expectResult(summary, id, { provider: 'fault', outcome: 'config_failure', errorCode: 'invalid_client', attempts: 1 });
    await expectUntouched(id, before);
    expect(await logs(id)).toEqual([log('config_failure', 'invalid_client', 401, 1)]);
  });

  it("records a Meta exchange answered with code 100 (invalid parameter: the app's request) as a config failure in every daily check, never warning or disconnecting the user", async () => {
    // The exchange renews a long-lived token with the token itself: no refresh token.
    const { id, before } = await seedWithHistory('facebook', { refreshToken: null });
    for (let check = 1; check <= 3; check += 1) {
      fault.enqueue(responses.metaError(100, 'Invalid parameter'));
      const since = fault.requests.length;

      const summary = await pass({ integrationId: id });

      expect(callsSince(since)).toBe(1);
      expect(fault.requests[since]!.form.grant_type).toBe('fb_exchange_token');
      expectCounts(summary, { configFailures: 1 });
      expectResult(summary, id, { provider: 'facebook', outcome: 'config_failure', errorCode: 'META_100', attempts: 1 });
      await expectUntouched(id, before);
    }
    expect(await logs(id)).toEqual([1, 2, 3].map(() => log('config_failure', 'META_100', 400, 1)));
  });

  it('records a provider without client credentials as a config failure without calling it', async () => {
    // zoom is built in, has no providers-file entry and the harness reads no environment.
    expect(h.providers.get('zoom')?.credentials).toBeNull();
    const { id, before } = await seedWithHistory('zoom');
    const since = fault.requests.length;

    const summary = await pass({ integrationId: id });

    expect(callsSince(since)).toBe(0);
    expectCounts(summary, { configFailures: 1 });
    expectResult(summary, id, { provider: 'zoom', outcome: 'config_failure', errorCode: 'missing_client_credentials', attempts: 0 });
    await expectUntouched(id, before);
    expect(await logs(id)).toEqual([log('config_failure', 'missing_client_credentials', null, 0)]);
  });

  it('records an undecryptable token as a config failure for that row only, while another due row in the same pass refreshes', async () => {
    const broken = await seed({ provider: 'fault_batch', consecutiveFailures: 1, consecutiveTransientFailures: 2 });
    // The refresh token is what the refresh sends: without it nothing can be done for this row.
    await h.t.db.query(`update public.integrations set refresh_token_encrypted = 'garbage' where id = $1`, [broken.id]);
    const brokenBefore = await h.row(broken.id);
    const healthy = await seed({ provider: 'fault_batch' });
    const fresh = tokens();
    fault.enqueue(fresh.response);
    const since = fault.requests.length;

    const summary = await pass({ provider: 'fault_batch' });

    expect(callsSince(since)).toBe(1);
    expect(fault.requests[since]!.form.refresh_token).toBe(healthy.refreshToken);
    expectCounts(summary, { claimed: 2, refreshed: 1, configFailures: 1 });
    expect(summary.results).toHaveLength(2);
    expectResult(summary, broken.id, { provider: 'fault_batch', outcome: 'config_failure', errorCode: 'token_undecryptable', attempts: 0 });
    expectResult(summary, healthy.id, { provider: 'fault_batch', outcome: 'refreshed', attempts: 1 });

    await expectUntouched(broken.id, brokenBefore);
    expect(await logs(broken.id)).toEqual([log('config_failure', 'token_undecryptable', null, 0)]);

    expectRow(await h.row(healthy.id), { status: 'connected', consecutive_failures: 0, consecutive_transient_failures: 0, last_error_code: null });
    expect(await h.tokens(healthy.id)).toEqual({ accessToken: fresh.accessToken, refreshToken: healthy.refreshToken });
    expect(await logs(healthy.id)).toEqual([log('refreshed', null, 200, 1)]);
  });

  it('refreshes with the intact refresh token when only the stored access token cannot be decrypted, and replaces it', async () => {
    const damaged = await seed({ provider: 'fault_batch' });
    await h.t.db.query(`update public.integrations set access_token_encrypted = 'garbage' where id = $1`, [damaged.id]);
    const fresh = tokens();
    fault.enqueue(fresh.response);
    const since = fault.requests.length;

    const summary = await pass({ integrationId: damaged.id });

    expect(callsSince(since)).toBe(1);
    expect(fault.requests[since]!.form.refresh_token).toBe(damaged.refreshToken);
    expectCounts(summary, { claimed: 1, refreshed: 1 });
    expectRow(await h.row(damaged.id), { status: 'connected', consecutive_failures: 0, consecutive_transient_failures: 0, last_error_code: null });
    expect(await h.tokens(damaged.id)).toEqual({ accessToken: fresh.accessToken, refreshToken: damaged.refreshToken });
  });
});

describe('token responses that leave things out', () => {
  it("fills Salesforce's missing expires_in from the catalog's documented lifetime and keeps the refresh token", async () => {
    const lifetime = loadProviderRegistry({ env: {} }).get('salesforce')!.accessToken.lifetimeSeconds;
    expect(lifetime).toEqual(expect.any(Number));
    const { id, refreshToken } = await seed({ provider: 'salesforce' });
    const answer = responses.salesforceNoExpiresIn();
    const newAccessToken = (answer as { json: { access_token: string } }).json.access_token;
    secrets.add(newAccessToken);
    fault.enqueue(answer);
    const since = fault.requests.length;

    const summary = await pass({ integrationId: id });

    expect(callsSince(since)).toBe(1);
    expect(fault.requests[since]!.form).toMatchObject({ grant_type: 'refresh_token', refresh_token: refreshToken });
    expectCounts(summary, { refreshed: 1 });
    expectResult(summary, id, { provider: 'salesforce', outcome: 'refreshed', attempts: 1 });
    const row = await h.row(id);
    expectRow(row, { status: 'connected', consecutive_failures: 0, consecutive_transient_failures: 0, last_error_code: null });
    expect(row.expires_at).not.toBeNull();
    expect(row.expires_at!.getTime() - row.last_refreshed_at!.getTime()).toBe(lifetime! * 1000);
    expect(row.refresh_due_at!.getTime()).toBeLessThanOrEqual(row.expires_at!.getTime());
    expect(await h.tokens(id)).toEqual({ accessToken: newAccessToken, refreshToken });
    expect(await logs(id)).toEqual([log('refreshed', null, 200, 1)]);
  });

  it('stores a token of a provider without a documented lifetime as not expiring when the answer has no expires_in, and never claims it again', async () => {
    // fault_batch is defined only in the providers file: no documented lifetime.
    expect(h.providers.get('fault_batch')!.accessToken.lifetimeSeconds).toBeNull();
    const { id, refreshToken } = await seed({ provider: 'fault_batch' });
    const newAccessToken = secret('new-at');
    fault.enqueue({ status: 200, json: { access_token: newAccessToken, token_type: 'Bearer' } });

    const summary = await pass({ integrationId: id });

    expectCounts(summary, { claimed: 1, refreshed: 1 });
    const row = await h.row(id);
    expectRow(row, { status: 'connected', consecutive_failures: 0, consecutive_transient_failures: 0, last_error_code: null });
    expect(row.expires_at).toBeNull();
    expect(row.refresh_due_at).toBeNull();
    expect(await h.tokens(id)).toEqual({ accessToken: newAccessToken, refreshToken });
    // Days later a scheduled pass still finds nothing due.
    const since = fault.requests.length;
    const later = await h.pass({ integrationId: id }, { now: () => new Date(Date.now() + 30 * 86_400_000) });
    expect(later.claimed).toBe(0);
    expect(callsSince(since)).toBe(0);
  });

  it("renews a Meta token with Meta's documented GET (credentials and token in the query) and writes neither anywhere", async () => {
    // The issue (item 8) replaced the old POST-with-a-body request: Graph documents only this GET.
    fault.requireMetaExchange({ clientId: 'facebook-client-id', clientSecret: CLIENT_SECRETS.facebook });
    const output: string[] = [];
    const spies = (['log', 'info', 'warn', 'error'] as const).map((level) =>
      vi.spyOn(console, level).mockImplementation((...args: unknown[]) => {
        output.push(args.map((arg) => (arg instanceof Error ? `${arg.message} ${arg.stack}` : String(arg))).join(' '));
      }),
    );
    try {
      const { id, accessToken } = await seed({ provider: 'facebook', refreshToken: null });
      const answer = responses.metaExchange();
      const exchanged = (answer as { json: { access_token: string; expires_in: number } }).json;
      secrets.add(exchanged.access_token);
      fault.enqueue(answer);
      const since = fault.requests.length;
      const urls: string[] = [];
      const recordingFetch: typeof fetch = (input, init) => {
        urls.push(input instanceof Request ? input.url : String(input));
        return globalThis.fetch(input, init);
      };

      const summary = await pass({ integrationId: id }, { fetch: recordingFetch });

      expect(callsSince(since)).toBe(1);
      const request = fault.requests[since]!;
      expect(request.method).toBe('GET');
      expect(request.path).toBe('/oauth/access_token');
      expect(request.form).toEqual({
        grant_type: 'fb_exchange_token',
        client_id: 'facebook-client-id',
        client_secret: CLIENT_SECRETS.facebook,
        fb_exchange_token: accessToken,
      });
      expect(request.headers.authorization).toBeUndefined();
      expect(request.headers['content-type']).toBeUndefined();
      expect(urls).toHaveLength(1);
      expect(new URL(urls[0]!).origin + new URL(urls[0]!).pathname).toBe(`${fault.url}/oauth/access_token`);

      expectCounts(summary, { refreshed: 1 });
      expectResult(summary, id, { provider: 'facebook', outcome: 'refreshed', attempts: 1 });
      const row = await h.row(id);
      expectRow(row, { status: 'connected', consecutive_failures: 0, consecutive_transient_failures: 0, last_error_code: null });
      expect(row.expires_at!.getTime() - row.last_refreshed_at!.getTime()).toBe(exchanged.expires_in * 1000);
      expect(await h.tokens(id)).toEqual({ accessToken: exchanged.access_token, refreshToken: null });
      expect(await logs(id)).toEqual([log('refreshed', null, 200, 1)]);

      // Neither the secret nor a token is kept in what the pass wrote or printed.
      const written = JSON.stringify({
        summary,
        logs: await h.t.db.query(`select * from public.token_refresh_logs where integration_id = $1`, [id]),
        errors: await h.t.db.query(`select last_error_code, last_error, disconnect_reason, metadata from public.integrations where id = $1`, [id]),
        output,
      });
      for (const value of [CLIENT_SECRETS.facebook, accessToken, exchanged.access_token]) {
        expect(written).not.toContain(value);
        expect(written).not.toContain(encodeURIComponent(value));
      }
    } finally {
      for (const spy of spies) spy.mockRestore();
      fault.requireMetaExchange(null);
    }
  });

  it('is refused by the strict Graph fake for any request but the documented exchange, and records the refusal without the secret', async () => {
    fault.requireMetaExchange({ clientId: 'facebook-client-id', clientSecret: 'not-the-configured-secret' });
    try {
      const { id } = await seed({ provider: 'facebook', refreshToken: null });
      const since = fault.requests.length;
      const summary = await pass({ integrationId: id });
      expect(callsSince(since)).toBeGreaterThanOrEqual(1);
      expect(fault.requests.slice(since).map((request) => request.method)).toEqual(fault.requests.slice(since).map(() => 'GET'));
      // Meta answers a wrong secret with its error shape (code 1): never a refreshed token.
      expect(summary.results?.find((result) => result.integrationId === id)?.outcome).not.toBe('refreshed');
      expect(JSON.stringify(summary)).not.toContain(CLIENT_SECRETS.facebook);
    } finally {
      fault.requireMetaExchange(null);
    }
  });

  it('keeps the old refresh token when a rotating provider omits it, and stores a new one when it sends one', async () => {
    const { id, refreshToken } = await seed({ provider: 'fault' });
    const version = (await h.row(id)).token_version;

    const withoutRefresh = tokens();
    fault.enqueue(withoutRefresh.response);
    let since = fault.requests.length;
    let summary = await pass({ integrationId: id });
    expect(callsSince(since)).toBe(1);
    expectCounts(summary, { refreshed: 1 });
    expectResult(summary, id, { provider: 'fault', outcome: 'refreshed', attempts: 1 });
    expect(await h.tokens(id)).toEqual({ accessToken: withoutRefresh.accessToken, refreshToken });
    expect((await h.row(id)).token_version).toBe(version + 1);

    const rotated = secret('rotated-rt');
    const withRefresh = tokens({ refreshToken: rotated });
    fault.enqueue(withRefresh.response);
    since = fault.requests.length;
    summary = await pass({ integrationId: id, force: true, trigger: 'manual' });
    expect(callsSince(since)).toBe(1);
    // The kept refresh token is the one presented next.
    expect(fault.requests[since]!.form.refresh_token).toBe(refreshToken);
    expectCounts(summary, { refreshed: 1 });
    expectResult(summary, id, { provider: 'fault', outcome: 'refreshed', attempts: 1 });
    expect(await h.tokens(id)).toEqual({ accessToken: withRefresh.accessToken, refreshToken: rotated });
    const row = await h.row(id);
    expect(row.token_version).toBe(version + 2);
    expectRow(row, { status: 'connected', consecutive_failures: 0, consecutive_transient_failures: 0, last_error_code: null });
    expect(await logs(id)).toEqual([log('refreshed', null, 200, 1), log('refreshed', null, 200, 1, 'forced')]);
  });
});

describe('secrets', () => {
  it('never puts a token or client secret in a summary, a log row, a notification, an email or an error field', async () => {
    // Providers that echo the token back in their error text: nothing of it may be kept.
    const echoed = await seed({ provider: 'fault' });
    fault.enqueue(responses.oauthError(400, 'invalid_grant', `refresh token ${echoed.refreshToken} was revoked`));
    await pass({ integrationId: echoed.id });
    const html = await seed({ provider: 'fault' });
    fault.enqueue(...times(3, () => ({ status: 502, contentType: 'text/html', body: `<p>bad token ${html.accessToken} ${html.refreshToken}</p>` })));
    await pass({ integrationId: html.id });
    const plain = await seed({ provider: 'fault', consecutiveFailures: 2 });
    fault.enqueue({ status: 401, body: `token ${plain.refreshToken} unknown to client ${CLIENT_SECRETS.fault}` });
    await pass({ integrationId: plain.id });

    // Everything this file's cases wrote, failures and successes.
    const tables = {
      summaries,
      logs: await h.t.db.query(`select * from public.token_refresh_logs`),
      notifications: await h.t.db.query(`select * from public.notifications`),
      emails: await h.t.db.query(`select * from public.email_outbox`),
      errors: await h.t.db.query(`select last_error_code, last_error, disconnect_reason, metadata from public.integrations`),
    };
    // At least this test's own passes (two of them disconnect: a notification and an email each);
    // run with the whole file, everything the cases above wrote as well.
    expect(summaries.length).toBeGreaterThanOrEqual(3);
    expect(tables.logs.length).toBeGreaterThanOrEqual(3);
    expect(tables.notifications.length).toBeGreaterThanOrEqual(2);
    expect(tables.emails.length).toBeGreaterThanOrEqual(2);

    for (const [name, rows] of Object.entries(tables)) {
      const text = JSON.stringify(rows);
      const leaked = [...secrets].filter((value) => text.includes(value));
      expect({ name, leaked }).toEqual({ name, leaked: [] });
    }
  });
});
