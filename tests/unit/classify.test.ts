import { describe, expect, it } from 'vitest';
import { classify } from '../../lib/refresh/classify';
import { LOGGED_OUTCOME, type AttemptResult, type LocalProblem, type Outcome, type OutcomeType } from '../../lib/refresh/outcome';
import { MESSAGE_FOR } from '../support/outcome-messages';

type FailureType = Exclude<OutcomeType, 'refreshed'>;

function oauthError(httpStatus: number, error: string, extra: { providerCode?: string; retryAfterSeconds?: number } = {}): AttemptResult {
  return { kind: 'oauth_error', httpStatus, error, ...extra };
}

function httpError(httpStatus: number, failure: 'not_json' | 'not_conform' | 'invalid_response', retryAfterSeconds?: number): AttemptResult {
  return retryAfterSeconds === undefined
    ? { kind: 'http_error', httpStatus, failure }
    : { kind: 'http_error', httpStatus, failure, retryAfterSeconds };
}

function failure(outcome: Outcome): Exclude<Outcome, { type: 'refreshed' }> {
  if (outcome.type === 'refreshed') throw new Error('expected a failure outcome');
  return outcome;
}


describe('classify: the attempt kinds', () => {
  it('turns a token response into a refreshed outcome carrying the tokens and status', () => {
    const tokens = { accessToken: 'at-1', refreshToken: 'rt-1', expiresInSeconds: 3600, scopes: ['a', 'b'] };
    expect(classify({ kind: 'tokens', httpStatus: 200, tokens })).toEqual({ type: 'refreshed', tokens, httpStatus: 200 });
  });

  it('treats a timeout as transient', () => {
    expect(classify({ kind: 'network_error', reason: 'timeout' })).toEqual({
      type: 'transient',
      code: 'timeout',
      message: 'The provider did not answer in time',
    });
  });

  it('treats a refused or reset connection as transient', () => {
    expect(classify({ kind: 'network_error', reason: 'connection' })).toEqual({
      type: 'transient',
      code: 'network_error',
      message: 'The provider could not be reached',
    });
  });

  const localProblems: Array<[LocalProblem, FailureType]> = [
    ['unknown_provider', 'config'],
    ['missing_client_credentials', 'config'],
    ['token_undecryptable', 'config'],
    ['unsupported_grant', 'config'],
    ['insecure_token_url', 'config'],
    ['missing_connection_parameter', 'config'],
    ['no_refresh_token', 'invalid_grant'],
  ];

  it.each(localProblems)('classifies the local problem %s as %s, coded by the problem', (problem, type) => {
    const outcome = failure(classify({ kind: 'local_error', problem }));
    expect(outcome.type).toBe(type);
    expect(outcome.code).toBe(problem);
    expect(outcome.message).toEqual(expect.any(String));
    expect(outcome.message.length).toBeGreaterThan(10);
    expect(outcome.httpStatus).toBeUndefined();
  });

  it('gives every local problem its own message', () => {
    const messages = localProblems.map(([problem]) => failure(classify({ kind: 'local_error', problem })).message);
    expect(new Set(messages).size).toBe(localProblems.length);
  });
});

describe('classify: HTTP status classes without an OAuth error body', () => {
  it.each([408, 425, 429, 500, 502, 503, 504])('treats %i as transient', (status) => {
    const outcome = failure(classify(httpError(status, 'not_conform')));
    expect(outcome).toMatchObject({ type: 'transient', code: `http_${status}`, httpStatus: status });
  });

  it('keeps the Retry-After of a 429', () => {
    expect(classify(httpError(429, 'not_conform', 30))).toEqual({
      type: 'transient',
      code: 'http_429',
      message: 'The provider is rate limiting requests',
      httpStatus: 429,
      retryAfterSeconds: 30,
    });
  });

  it('keeps the Retry-After of a 503', () => {
    expect(classify(httpError(503, 'not_conform', 120))).toMatchObject({ type: 'transient', retryAfterSeconds: 120 });
  });

  it('keeps the Retry-After of a 429 that carries an OAuth error body', () => {
    expect(classify(oauthError(429, 'rate_limited', { retryAfterSeconds: 30 }))).toMatchObject({
      type: 'transient',
      code: 'http_429',
      httpStatus: 429,
      retryAfterSeconds: 30,
    });
  });

  it.each([401, 403])('treats %i without an error code as an auth failure', (status) => {
    expect(classify(httpError(status, 'not_conform'))).toEqual({
      type: 'auth',
      code: `http_${status}`,
      message: `The provider refused the refresh (${status})`,
      httpStatus: status,
    });
  });

  it.each([404, 405, 410])('treats %i from the token endpoint as a configuration failure', (status) => {
    expect(classify(httpError(status, 'not_conform'))).toMatchObject({ type: 'config', code: `http_${status}`, httpStatus: status });
  });

  it('treats a 400 JSON body without any error code as an auth failure', () => {
    expect(classify(httpError(400, 'not_conform'))).toMatchObject({ type: 'auth', code: 'http_400', httpStatus: 400 });
  });

  it('treats a 400 with an error code nobody documented as an auth failure', () => {
    expect(classify(oauthError(400, 'something_new'))).toEqual({
      type: 'auth',
      code: 'something_new',
      message: MESSAGE_FOR.auth('something_new'),
      httpStatus: 400,
    });
  });

  it.each([401, 403])('treats %i with an undocumented error code as an auth failure', (status) => {
    expect(classify(oauthError(status, 'something_new'))).toMatchObject({ type: 'auth', httpStatus: status });
  });

  it.each([404, 405, 410])('treats %i with an undocumented error code as a configuration failure', (status) => {
    expect(classify(oauthError(status, 'something_new'))).toMatchObject({ type: 'config', httpStatus: status });
  });

  it('treats a non-JSON body on 200 (a maintenance page) as transient', () => {
    expect(classify(httpError(200, 'not_json'))).toMatchObject({ type: 'transient', code: 'non_json_response', httpStatus: 200 });
  });

  it('treats a non-JSON body on a 5xx (a load balancer page) as transient', () => {
    expect(classify(httpError(503, 'not_json'))).toMatchObject({ type: 'transient', code: 'http_503', httpStatus: 503 });
  });

  it('treats a non-JSON body on a 400 (a proxy page) as transient', () => {
    expect(classify(httpError(400, 'not_json'))).toMatchObject({ type: 'transient', code: 'non_json_response', httpStatus: 400 });
  });

  it.each([401, 403])('treats %i as an auth failure whatever its body looks like', (status) => {
    expect(classify(httpError(status, 'not_json'))).toMatchObject({ type: 'auth', code: `http_${status}`, httpStatus: status });
  });

  it('treats a 200 without a usable token (no token_type) as transient', () => {
    expect(classify(httpError(200, 'invalid_response'))).toMatchObject({
      type: 'transient',
      code: 'invalid_token_response',
      httpStatus: 200,
    });
  });

  it.each([429, 500, 503])('lets the throttling status %i win over the OAuth error it comes with', (status) => {
    for (const error of ['invalid_grant', 'invalid_client', 'access_denied']) {
      expect(classify(oauthError(status, error))).toMatchObject({ type: 'transient', code: `http_${status}` });
    }
  });
});

describe('classify: standard and normalised OAuth error codes', () => {
  const OAUTH_ERRORS: Array<[string, FailureType]> = [
    ['invalid_grant', 'invalid_grant'],
    ['invalid_client', 'config'],
    ['unauthorized_client', 'config'],
    ['unsupported_grant_type', 'config'],
    ['invalid_request', 'config'],
    ['temporarily_unavailable', 'transient'],
    ['server_error', 'transient'],
    ['slow_down', 'transient'],
    ['invalid_scope', 'auth'],
    ['access_denied', 'auth'],
    ['invalid_token', 'auth'],
    ['interaction_required', 'invalid_grant'],
    ['consent_required', 'invalid_grant'],
    ['login_required', 'invalid_grant'],
  ];

  it.each(OAUTH_ERRORS)('classifies error %s on a 400 as %s', (error, type) => {
    expect(classify(oauthError(400, error))).toEqual(
      type === 'transient'
        ? { type, code: error, message: MESSAGE_FOR[type](error), httpStatus: 400, retryAfterSeconds: undefined }
        : { type, code: error, message: MESSAGE_FOR[type](error), httpStatus: 400 },
    );
  });

  it('classifies invalid_client on a 401 (RFC 6749 §5.2) as a configuration failure', () => {
    expect(classify(oauthError(401, 'invalid_client'))).toMatchObject({ type: 'config', code: 'invalid_client', httpStatus: 401 });
  });

  it("classifies Atlassian's invalid_grant on a 403 as invalid_grant, not a plain 403", () => {
    expect(classify(oauthError(403, 'invalid_grant'))).toMatchObject({ type: 'invalid_grant', code: 'invalid_grant', httpStatus: 403 });
  });

  it('keeps a Retry-After on a transient error code', () => {
    expect(classify(oauthError(400, 'slow_down', { retryAfterSeconds: 5 }))).toMatchObject({ type: 'transient', retryAfterSeconds: 5 });
  });

  it.each(['constructor', 'toString', '__proto__', 'hasOwnProperty', 'valueOf'])(
    'does not mistake the error code %s for an entry of its tables',
    (error) => {
      const outcome = failure(classify(oauthError(400, error)));
      expect(outcome.type).toBe('auth');
      expect(outcome.message).toBe(MESSAGE_FOR.auth(error));
    },
  );

  it.each(['constructor', '__proto__'])('does not mistake the provider code %s for an entry of its tables', (providerCode) => {
    expect(classify(oauthError(400, 'invalid_grant', { providerCode }))).toMatchObject({ type: 'invalid_grant', code: providerCode });
  });
});

describe('classify: provider codes name the outcome, the standard error decides it', () => {
  // Which provider code means what lives beside each provider, in its normaliser: the
  // provider-code cases that were here are in tests/unit/provider-codes.test.ts, from the
  // provider's own answer through its normaliser to the outcome.
  it('reads no provider table: a provider code never changes what the standard error means', () => {
    expect(classify(oauthError(400, 'invalid_grant', { providerCode: 'AADSTS50196' }))).toEqual({
      type: 'invalid_grant',
      code: 'AADSTS50196',
      message: MESSAGE_FOR.invalid_grant('AADSTS50196'),
      httpStatus: 400,
    });
    expect(classify(oauthError(400, 'temporarily_unavailable', { providerCode: 'AADSTS50196' }))).toMatchObject({
      type: 'transient',
      code: 'AADSTS50196',
    });
    expect(classify(oauthError(400, 'meta_error', { providerCode: 'META_4' }))).toMatchObject({ type: 'auth', code: 'META_4' });
    expect(classify(oauthError(400, 'invalid_request', { providerCode: 'META_100' }))).toMatchObject({ type: 'config', code: 'META_100' });
  });

  it('keeps the Retry-After on a transient standard error that carries a provider code', () => {
    expect(classify(oauthError(400, 'temporarily_unavailable', { providerCode: 'META_4', retryAfterSeconds: 60 }))).toMatchObject({
      type: 'transient',
      code: 'META_4',
      retryAfterSeconds: 60,
    });
  });

  it('falls back to the error when the provider code is unknown', () => {
    expect(classify(oauthError(400, 'invalid_grant', { providerCode: 'AADSTS9002313' }))).toMatchObject({
      type: 'invalid_grant',
      code: 'AADSTS9002313',
    });
    expect(classify(oauthError(400, 'invalid_client', { providerCode: 'slack:invalid_client_id' }))).toMatchObject({
      type: 'config',
      code: 'slack:invalid_client_id',
    });
  });

  it('falls back to the status when neither the provider code nor the error is known', () => {
    // The Meta normaliser sends code 100 as invalid_request (the app's request, a config
    // failure: provider-codes.test.ts); an error no table knows falls back to the status.
    expect(classify(oauthError(400, 'meta_error', { providerCode: 'META_100' }))).toMatchObject({ type: 'auth', code: 'META_100' });
    expect(classify(oauthError(410, 'meta_error', { providerCode: 'META_100' }))).toMatchObject({ type: 'config', code: 'META_100' });
  });

  it('lets an unknown provider code on a throttling status stay transient', () => {
    expect(classify(oauthError(429, 'temporarily_unavailable', { providerCode: 'slack:ratelimited', retryAfterSeconds: 3 }))).toMatchObject({
      type: 'transient',
      code: 'http_429',
      retryAfterSeconds: 3,
    });
  });
});

describe('classify: structured fields only', () => {
  it('classifies the same status differently by error code alone', () => {
    const byError = Object.fromEntries(
      ['invalid_grant', 'invalid_client', 'temporarily_unavailable', 'access_denied'].map((error) => [error, classify(oauthError(400, error)).type]),
    );
    expect(byError).toEqual({
      invalid_grant: 'invalid_grant',
      invalid_client: 'config',
      temporarily_unavailable: 'transient',
      access_denied: 'auth',
    });
  });

  it('ignores any other field, even one that reads like an error code', () => {
    const plain = { kind: 'oauth_error', httpStatus: 400, error: 'invalid_client' } as const;
    const decorated = {
      ...plain,
      error_description: 'invalid_grant: the refresh token expired; rate limited, try again later',
      message: 'temporarily_unavailable',
      providerMessage: 'AADSTS50196',
    };
    const outcome = classify(decorated);
    expect(outcome).toEqual(classify(plain));
    expect(JSON.stringify(outcome)).not.toMatch(/expired|rate limited|AADSTS50196|temporarily_unavailable/);
  });

  it('builds every failure message from a fixed sentence and the code, nothing else', () => {
    const failures: AttemptResult[] = [
      oauthError(400, 'invalid_grant'),
      oauthError(400, 'invalid_grant', { providerCode: 'AADSTS700082' }),
      oauthError(401, 'invalid_client', { providerCode: 'AADSTS7000222' }),
      oauthError(400, 'meta_error', { providerCode: 'META_4' }),
      oauthError(400, 'x_unknown_code'),
    ];
    for (const result of failures) {
      const outcome = failure(classify(result));
      expect(outcome.message).toBe(MESSAGE_FOR[outcome.type](outcome.code));
    }
  });

  it('never includes tokens in a failure, and writes only codes into messages', () => {
    const results: AttemptResult[] = [
      httpError(200, 'not_json'),
      httpError(502, 'not_json'),
      httpError(401, 'not_conform'),
      httpError(404, 'not_conform'),
      { kind: 'network_error', reason: 'timeout' },
      { kind: 'local_error', problem: 'token_undecryptable' },
    ];
    for (const result of results) {
      const outcome = failure(classify(result));
      expect(Object.keys(outcome).sort()).toEqual(
        expect.arrayContaining(['code', 'message', 'type']),
      );
      expect(Object.keys(outcome).every((key) => ['code', 'message', 'type', 'httpStatus', 'retryAfterSeconds'].includes(key))).toBe(true);
      expect(outcome.code).toMatch(/^[a-z0-9_]+$/);
    }
  });
});

describe('LOGGED_OUTCOME', () => {
  const CONTRACT_OUTCOMES = ['refreshed', 'skipped', 'transient_failure', 'auth_failure', 'config_failure'];

  it('logs each outcome type under its docs/contracts.md §3 value', () => {
    expect(LOGGED_OUTCOME).toEqual({
      refreshed: 'refreshed',
      transient: 'transient_failure',
      auth: 'auth_failure',
      invalid_grant: 'auth_failure',
      config: 'config_failure',
    });
  });

  it.each<[string, AttemptResult, string]>([
    ['a token response', { kind: 'tokens', httpStatus: 200, tokens: { accessToken: 'at' } }, 'refreshed'],
    ['a timeout', { kind: 'network_error', reason: 'timeout' }, 'transient_failure'],
    ['access_denied', oauthError(400, 'access_denied'), 'auth_failure'],
    ['invalid_grant', oauthError(400, 'invalid_grant'), 'auth_failure'],
    ['invalid_client', oauthError(401, 'invalid_client'), 'config_failure'],
    ['a missing client secret', { kind: 'local_error', problem: 'missing_client_credentials' }, 'config_failure'],
  ])('records %s, as classified, under the contract outcome %s', (_name, attempt, logged) => {
    const value = LOGGED_OUTCOME[classify(attempt).type];
    expect(value).toBe(logged);
    expect(CONTRACT_OUTCOMES).toContain(value);
  });
});
