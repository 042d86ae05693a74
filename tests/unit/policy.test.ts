import { describe, expect, it } from 'vitest';
import type { Outcome } from '../../lib/refresh/outcome';
import { REFRESH_POLICY } from '../../lib/refresh/policy-numbers';
import {
  decide,
  type IntegrationStatus,
  type NextState,
  type PolicyInput,
} from '../../lib/refresh/policy';

const NOW = new Date('2026-03-01T12:00:00.000Z');
const RECONNECT_URL = 'https://app.example.test/integrations/int-1/reconnect';

const refreshed: Outcome = { type: 'refreshed', tokens: { accessToken: 'at-new', refreshToken: 'rt-new', expiresInSeconds: 3600 }, httpStatus: 200 };
const transient: Outcome = { type: 'transient', code: 'http_503', message: 'The provider answered 503', httpStatus: 503 };
const auth: Outcome = { type: 'auth', code: 'http_401', message: 'The provider refused the refresh (401)', httpStatus: 401 };
const invalidGrant: Outcome = {
  type: 'invalid_grant',
  code: 'invalid_grant',
  message: "The provider no longer accepts this connection's refresh token (invalid_grant)",
  httpStatus: 400,
};
const config: Outcome = {
  type: 'config',
  code: 'invalid_client',
  message: "The provider refused the app's credentials or request (invalid_client); this is an app configuration problem",
  httpStatus: 401,
};

function input(
  outcome: Outcome,
  overrides: Partial<PolicyInput['integration']> & { lostInFlight?: boolean; now?: Date } = {},
): PolicyInput {
  const { lostInFlight, now, ...integration } = overrides;
  return {
    outcome,
    integration: {
      id: 'int-1',
      status: 'connected',
      consecutiveFailures: 0,
      consecutiveTransientFailures: 0,
      tokenVersion: 7,
      ...integration,
    },
    provider: { id: 'hubspot', name: 'HubSpot' },
    reconnectUrl: RECONNECT_URL,
    now: now ?? NOW,
    ...(lostInFlight === undefined ? {} : { lostInFlight }),
  };
}

/** Runs one pass per outcome, feeding each decision's counters and status into the next. */
function streak(outcomes: Outcome[], start: Partial<PolicyInput['integration']> = {}) {
  let integration: PolicyInput['integration'] = {
    id: 'int-1',
    status: 'connected',
    consecutiveFailures: 0,
    consecutiveTransientFailures: 0,
    tokenVersion: 7,
    ...start,
  };
  return outcomes.map((outcome, index) => {
    const decision = decide({ ...input(outcome), integration, now: new Date(NOW.getTime() + index * 60_000) });
    const state = decision.state;
    if (state) {
      integration = {
        ...integration,
        status: state.status,
        consecutiveFailures: state.consecutiveFailures,
        consecutiveTransientFailures: state.consecutiveTransientFailures,
      };
    }
    return { pass: index + 1, decision, integration };
  });
}

function state(decision: ReturnType<typeof decide>): NextState {
  if (!decision.state) throw new Error('expected a state change');
  return decision.state;
}

describe('policy: refresh succeeds', () => {
  it('resets both counters and leaves the integration connected', () => {
    const decision = decide(input(refreshed, { consecutiveFailures: 2, consecutiveTransientFailures: 4 }));
    expect(decision.state).toEqual({
      status: 'connected',
      consecutiveFailures: 0,
      consecutiveTransientFailures: 0,
      lastFailureAt: 'unchanged',
      lastErrorCode: null,
      lastError: null,
      disconnectReason: null,
    });
  });

  it('tells nobody when the integration was already connected', () => {
    expect(decide(input(refreshed, { consecutiveFailures: 2 })).messages).toEqual([]);
  });

  it.each<IntegrationStatus>(['needs_reauthorization', 'disconnected'])(
    'announces integration_restored when the integration was %s',
    (status) => {
      const decision = decide(input(refreshed, { status, consecutiveFailures: 3 }));
      expect(state(decision).status).toBe('connected');
      expect(decision.messages).toHaveLength(1);
      expect(decision.messages[0]).toMatchObject({
        type: 'integration_restored',
        actionUrl: RECONNECT_URL,
        eventKey: 'restored/int-1/7',
      });
      expect(decision.messages[0]?.message).toContain('HubSpot');
    },
  );

  it('leaves the last failure time unchanged', () => {
    expect(state(decide(input(refreshed, { consecutiveTransientFailures: 3 }))).lastFailureAt).toBe('unchanged');
  });
});

describe('policy: transient failure', () => {
  it('adds one to the transient counter only and records the failure at the injected now', () => {
    const decision = decide(input(transient, { consecutiveFailures: 1, consecutiveTransientFailures: 2 }));
    expect(decision.state).toEqual({
      status: 'connected',
      consecutiveFailures: 1,
      consecutiveTransientFailures: 3,
      lastFailureAt: NOW,
      lastErrorCode: 'http_503',
      lastError: 'The provider answered 503',
      disconnectReason: null,
    });
    expect(decision.messages).toEqual([]);
  });

  it('never disconnects, even after 100 transient failures in a row', () => {
    const passes = streak(Array.from({ length: 100 }, () => transient));
    for (const { decision } of passes) expect(state(decision).status).toBe('connected');
    expect(passes.at(-1)?.integration.consecutiveTransientFailures).toBe(100);
  });

  it('leaves the auth counter alone through a transient streak', () => {
    const passes = streak(Array.from({ length: 10 }, () => transient), { consecutiveFailures: 2 });
    for (const { decision } of passes) expect(state(decision).consecutiveFailures).toBe(2);
  });

  it(`notifies integration_rate_limit exactly once per streak, at the ${REFRESH_POLICY.transientFailuresToNotify}th failure`, () => {
    const passes = streak(Array.from({ length: 100 }, () => transient));
    const notified = passes.filter(({ decision }) => decision.messages.length > 0);
    expect(notified.map(({ pass }) => pass)).toEqual([5]);
  });

  it('does not notify at the 4th or the 6th transient failure', () => {
    expect(decide(input(transient, { consecutiveTransientFailures: 3 })).messages).toEqual([]);
    expect(decide(input(transient, { consecutiveTransientFailures: 5 })).messages).toEqual([]);
  });

  it('notifies at the 5th in-app only, never by email', () => {
    const { messages } = decide(input(transient, { consecutiveTransientFailures: 4 }));
    expect(messages).toEqual([
      {
        type: 'integration_rate_limit',
        severity: 'warning',
        title: 'HubSpot is rate limiting',
        message: "HubSpot is temporarily rate limiting requests. We'll automatically retry.",
        actionUrl: RECONNECT_URL,
        eventKey: 'rate-limit/int-1/7/0',
        email: false,
      },
    ]);
  });

  it('gives a new transient streak after an auth failure its own event, so it is heard again', () => {
    const first = decide(input(transient, { consecutiveTransientFailures: 4, consecutiveFailures: 0 })).messages[0]!;
    const second = decide(input(transient, { consecutiveTransientFailures: 4, consecutiveFailures: 1 })).messages[0]!;
    expect(first.eventKey).not.toBe(second.eventKey);
  });

  it('keeps a connection that needs reauthorization in that status (a transient failure fixes nothing)', () => {
    expect(state(decide(input(transient, { status: 'needs_reauthorization' }))).status).toBe('needs_reauthorization');
  });
});

describe('policy: auth failure', () => {
  it('says nothing at the 1st auth failure and stays connected', () => {
    const decision = decide(input(auth));
    expect(decision.messages).toEqual([]);
    expect(decision.state).toEqual({
      status: 'connected',
      consecutiveFailures: 1,
      consecutiveTransientFailures: 0,
      lastFailureAt: NOW,
      lastErrorCode: 'http_401',
      lastError: 'The provider refused the refresh (401)',
      disconnectReason: null,
    });
  });

  it(`warns in-app, and by email to those who opted in, at the ${REFRESH_POLICY.authFailuresToWarn}nd auth failure in a row`, () => {
    const decision = decide(input(auth, { consecutiveFailures: 1 }));
    expect(state(decision)).toMatchObject({ status: 'connected', consecutiveFailures: 2, disconnectReason: null });
    expect(decision.messages).toEqual([
      {
        type: 'integration_warning',
        severity: 'warning',
        title: 'Trouble connecting to HubSpot',
        message: "We're having trouble connecting to HubSpot. Please check your connection.",
        actionUrl: RECONNECT_URL,
        eventKey: 'auth-warning/int-1/7',
        email: true,
      },
    ]);
  });

  it(`marks the integration for reauthorization at the ${REFRESH_POLICY.authFailuresToReauthorize}rd auth failure, in-app and by email, with the reason`, () => {
    const decision = decide(input(auth, { consecutiveFailures: 2 }));
    const next = state(decision);
    expect(next).toMatchObject({ status: 'needs_reauthorization', consecutiveFailures: 3, lastFailureAt: NOW, lastErrorCode: 'http_401' });
    expect(next.disconnectReason).toEqual(expect.any(String));
    expect(next.disconnectReason).toContain('HubSpot');
    expect(next.disconnectReason).toContain('http_401');
    expect(decision.messages).toHaveLength(1);
    const [message] = decision.messages;
    expect(message).toMatchObject({
      type: 'integration_disconnected',
      title: 'HubSpot disconnected',
      actionUrl: RECONNECT_URL,
      eventKey: 'disconnect/int-1/7',
      email: true,
    });
    expect(message?.message.startsWith('HubSpot disconnected. Your workflows are paused. Reconnect now.')).toBe(true);
    expect(message?.message).toContain(next.disconnectReason);
  });

  it('goes silent, warned, disconnected over three auth failures in a row', () => {
    const passes = streak([auth, auth, auth]);
    expect(passes.map(({ decision }) => decision.messages.map((m) => m.type))).toEqual([
      [],
      ['integration_warning'],
      ['integration_disconnected'],
    ]);
    expect(passes.map(({ integration }) => integration.status)).toEqual(['connected', 'connected', 'needs_reauthorization']);
  });

  it('does not warn again at a 4th auth failure, and anything it owes repeats the disconnect event', () => {
    const third = decide(input(auth, { consecutiveFailures: 2 }));
    const fourth = decide(input(auth, { status: 'needs_reauthorization', consecutiveFailures: 3 }));
    expect(state(fourth)).toMatchObject({ status: 'needs_reauthorization', consecutiveFailures: 4 });
    expect(fourth.messages.filter((m) => m.type !== 'integration_disconnected')).toEqual([]);
    // Same business event as the 3rd: the outbox's dedupe key drops it, nobody hears twice.
    for (const message of fourth.messages) expect(message.eventKey).toBe(third.messages[0]?.eventKey);
  });

  it('ends a transient streak', () => {
    expect(state(decide(input(auth, { consecutiveTransientFailures: 4 }))).consecutiveTransientFailures).toBe(0);
  });
});

describe('policy: refresh token invalid', () => {
  it('marks the integration for reauthorization at once on invalid_grant, in-app and by email, with the reason', () => {
    const decision = decide(input(invalidGrant));
    const next = state(decision);
    expect(next).toEqual({
      status: 'needs_reauthorization',
      consecutiveFailures: 1,
      consecutiveTransientFailures: 0,
      lastFailureAt: NOW,
      lastErrorCode: 'invalid_grant',
      lastError: "The provider no longer accepts this connection's refresh token (invalid_grant)",
      disconnectReason:
        "HubSpot no longer accepts this connection's refresh token (invalid_grant): access was revoked or expired. Reconnect to resume.",
    });
    expect(decision.messages).toEqual([
      {
        type: 'integration_disconnected',
        severity: 'error',
        title: 'HubSpot disconnected',
        message: `HubSpot disconnected. Your workflows are paused. Reconnect now. ${next.disconnectReason}`,
        actionUrl: RECONNECT_URL,
        eventKey: 'disconnect/int-1/7',
        email: true,
      },
    ]);
  });

  it('names the provider code in the reason', () => {
    const outcome: Outcome = { type: 'invalid_grant', code: 'AADSTS700082', message: 'm', httpStatus: 400 };
    const next = state(decide(input(outcome)));
    expect(next.disconnectReason).toContain('(AADSTS700082)');
    expect(next.lastErrorCode).toBe('AADSTS700082');
  });

  it('says the token was lost in flight when the previous attempt was abandoned mid-call', () => {
    const decision = decide(input(invalidGrant, { lostInFlight: true }));
    const next = state(decision);
    expect(next.status).toBe('needs_reauthorization');
    expect(next.lastErrorCode).toBe('refresh_token_lost_in_flight');
    expect(next.disconnectReason).toContain('lost in flight');
    expect(decision.messages[0]?.message).toContain('lost in flight');
  });

  it('does not speak of a lost token when the previous attempt finished', () => {
    const next = state(decide(input(invalidGrant, { lostInFlight: false })));
    expect(next.lastErrorCode).toBe('invalid_grant');
    expect(next.disconnectReason).not.toContain('lost in flight');
  });

  it('explains a missing refresh token', () => {
    const outcome: Outcome = { type: 'invalid_grant', code: 'no_refresh_token', message: 'No refresh token is stored and the access token has expired' };
    const decision = decide(input(outcome));
    expect(state(decision)).toMatchObject({
      status: 'needs_reauthorization',
      lastErrorCode: 'no_refresh_token',
      disconnectReason: 'HubSpot gave this connection no refresh token and its access token has expired. Reconnect to resume.',
    });
    expect(decision.messages.map((m) => [m.type, m.email])).toEqual([['integration_disconnected', true]]);
  });
});

describe('policy: app configuration failure', () => {
  it.each([
    ['connected', 0, 0],
    ['connected', 2, 4],
    ['needs_reauthorization', 3, 0],
  ] as const)('changes nothing and tells none of the users (status %s, counters %i/%i)', (status, failures, transients) => {
    expect(decide(input(config, { status, consecutiveFailures: failures, consecutiveTransientFailures: transients }))).toEqual({
      state: null,
      messages: [],
    });
  });

  it('stays silent for local configuration problems too', () => {
    const outcome: Outcome = { type: 'config', code: 'missing_client_credentials', message: 'm' };
    expect(decide(input(outcome, { lostInFlight: true }))).toEqual({ state: null, messages: [] });
  });
});

describe('policy: event keys, clock and links', () => {
  const owing: Array<[string, PolicyInput]> = [
    ['restored', input(refreshed, { status: 'needs_reauthorization' })],
    ['rate limit', input(transient, { consecutiveTransientFailures: 4 })],
    ['auth warning', input(auth, { consecutiveFailures: 1 })],
    ['auth disconnect', input(auth, { consecutiveFailures: 2 })],
    ['invalid_grant disconnect', input(invalidGrant)],
  ];

  it.each(owing)('builds the same %s message twice from the same input', (_name, policyInput) => {
    const first = decide(policyInput);
    const second = decide(structuredClone(policyInput));
    expect(first.messages.length).toBeGreaterThan(0);
    expect(second).toEqual(first);
  });

  it.each(owing)('keys the %s message by integration id and token version', (_name, policyInput) => {
    const [message] = decide(policyInput).messages;
    // The rate-limit key also carries the auth-failure count (a streak's other boundary).
    expect(message?.eventKey).toMatch(/^[a-z-]+\/int-1\/7(\/\d+)?$/);
    const nextVersion = decide({ ...policyInput, integration: { ...policyInput.integration, tokenVersion: 8 } });
    expect(nextVersion.messages[0]?.eventKey).toBe(message?.eventKey.replace(/\/int-1\/7/, '/int-1/8'));
    const otherIntegration = decide({ ...policyInput, integration: { ...policyInput.integration, id: 'int-2' } });
    expect(otherIntegration.messages[0]?.eventKey).not.toBe(message?.eventKey);
  });

  it('does not depend on the clock for event keys', () => {
    const later = new Date(NOW.getTime() + 86_400_000);
    expect(decide(input(invalidGrant, { now: later })).messages).toEqual(decide(input(invalidGrant)).messages);
  });

  it('gives each kind of event its own key', () => {
    const keys = owing.map(([, policyInput]) => decide(policyInput).messages[0]?.eventKey);
    // The two disconnects are one business event, whatever caused them.
    expect(new Set(keys).size).toBe(owing.length - 1);
    expect(keys[3]).toBe(keys[4]);
  });

  it.each([
    ['transient', transient],
    ['auth', auth],
    ['invalid_grant', invalidGrant],
  ] as const)('stamps a %s failure with the injected now', (_name, outcome) => {
    const now = new Date('2030-01-02T03:04:05.678Z');
    expect(state(decide(input(outcome, { now }))).lastFailureAt).toEqual(now);
  });

  it.each(owing)('links the %s message to the reconnect URL given', (_name, policyInput) => {
    const url = 'https://other.example.test/reconnect/abc';
    for (const message of decide({ ...policyInput, reconnectUrl: url }).messages) expect(message.actionUrl).toBe(url);
  });

  it('does not change its input', () => {
    const policyInput = input(auth, { consecutiveFailures: 2 });
    const copy = structuredClone(policyInput);
    decide(policyInput);
    expect(policyInput).toEqual(copy);
  });
});
