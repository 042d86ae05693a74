import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { classify } from '../../lib/refresh/classify';
import type { Outcome, OutcomeType } from '../../lib/refresh/outcome';
import { decide } from '../../lib/refresh/policy';
import { responses, type AadstsCode, type FaultResponse } from '../support/fault-provider';
import { MESSAGE_FOR } from '../support/outcome-messages';
import { attemptOf } from '../support/recorded-answer';

/**
 * Each provider's own codes, as the provider sends them, through the real provider call
 * (oauth4webapi and the provider's normaliser) to the outcome classify gives them. What each
 * code means comes from the provider's documentation, cited in its normaliser.
 */

type FailureType = Exclude<OutcomeType, 'refreshed'>;

async function outcomeOf(providerId: string, response: FaultResponse): Promise<Outcome> {
  return classify(await attemptOf(providerId, response));
}

function failure(outcome: Outcome): Exclude<Outcome, { type: 'refreshed' }> {
  if (outcome.type === 'refreshed') throw new Error('expected a failure outcome');
  return outcome;
}

const entra = (code: AadstsCode | number, error: string, status?: number) => responses.microsoftAadsts(code, error, status);
const hubspotStatus = (status: string): FaultResponse => ({
  status: 400,
  json: { status, message: 'm', correlationId: randomUUID() },
});
const meta = (code: number, status = 400, subcode?: number) => responses.metaError(code, `(#${code}) message`, subcode, status);

describe('provider codes, as sent, to outcomes coded by the provider code', () => {
  const PROVIDER_CODES: Array<[string, string, FaultResponse, number, FailureType]> = [
    // [providerCode, provider, the provider's answer, status, expected]
    ['AADSTS50196', 'microsoft', entra(50196, 'invalid_grant'), 400, 'transient'],
    ['AADSTS50196', 'microsoft', entra(50196, 'invalid_request'), 400, 'transient'],
    ['AADSTS700082', 'microsoft', entra(700082, 'invalid_grant'), 400, 'invalid_grant'],
    ['AADSTS50173', 'microsoft', entra(50173, 'invalid_grant'), 400, 'invalid_grant'],
    ['AADSTS65001', 'microsoft', entra(65001, 'invalid_grant'), 400, 'invalid_grant'],
    ['AADSTS50076', 'microsoft', entra(50076, 'interaction_required'), 400, 'invalid_grant'],
    ['AADSTS50076', 'microsoft', entra(50076, 'invalid_grant'), 400, 'invalid_grant'],
    ['AADSTS50078', 'microsoft', entra(50078, 'invalid_grant'), 400, 'invalid_grant'],
    ['AADSTS50079', 'microsoft', entra(50079, 'invalid_grant'), 400, 'invalid_grant'],
    ['AADSTS700084', 'microsoft', entra(700084, 'invalid_grant'), 400, 'invalid_grant'],
    ['AADSTS70043', 'microsoft', entra(70043, 'invalid_grant'), 400, 'invalid_grant'],
    ['AADSTS7000215', 'microsoft', entra(7000215, 'invalid_client'), 401, 'config'],
    ['AADSTS7000222', 'microsoft', entra(7000222, 'invalid_client'), 401, 'config'],
    ['AADSTS700016', 'microsoft', entra(700016, 'unauthorized_client'), 400, 'config'],
    ['AADSTS7000218', 'microsoft', entra(7000218, 'invalid_request'), 400, 'config'],
    ['BAD_REFRESH_TOKEN', 'hubspot', responses.hubspotBadRefreshToken(), 400, 'invalid_grant'],
    ['BAD_CLIENT_ID', 'hubspot', hubspotStatus('BAD_CLIENT_ID'), 400, 'config'],
    ['META_190', 'facebook', meta(190), 400, 'invalid_grant'],
    ['META_4', 'facebook', meta(4), 400, 'transient'],
    ['META_17', 'facebook', meta(17), 400, 'transient'],
    ['META_32', 'facebook', meta(32), 400, 'transient'],
    ['META_613', 'facebook', meta(613), 400, 'transient'],
    ['META_1', 'facebook', meta(1), 400, 'transient'],
    ['META_2', 'facebook', meta(2), 400, 'transient'],
    ['META_10', 'facebook', meta(10), 400, 'auth'],
    ['META_200', 'facebook', meta(200, 403), 403, 'auth'],
    ['META_101', 'facebook', meta(101), 400, 'config'],
  ];

  it.each(PROVIDER_CODES)('classifies %s from %s as expected, coded by the provider code', async (providerCode, provider, answer, status, type) => {
    const outcome = failure(await outcomeOf(provider, answer));
    expect(outcome.type).toBe(type);
    expect(outcome.code).toBe(providerCode);
    expect(outcome.httpStatus).toBe(status);
    expect(outcome.message).toBe(MESSAGE_FOR[type](providerCode));
  });

  it('treats AADSTS50196 as throttling even though Entra sends it with invalid_grant', async () => {
    expect((await outcomeOf('microsoft', entra(50196, 'invalid_grant'))).type).toBe('transient');
    expect(classify({ kind: 'oauth_error', httpStatus: 400, error: 'invalid_grant' }).type).toBe('invalid_grant');
  });

  it('keeps the Retry-After on a provider throttling code', async () => {
    const answer = responses.metaError(4, '(#4) Application request limit reached');
    if (!('status' in answer)) throw new Error('unreachable');
    expect(await outcomeOf('facebook', { ...answer, headers: { 'retry-after': '60' } })).toMatchObject({
      type: 'transient',
      code: 'META_4',
      retryAfterSeconds: 60,
    });
  });

  it('classifies the same status and error differently by provider code alone', async () => {
    const byCode: Record<string, OutcomeType> = {};
    for (const code of [50196, 700082, 7000215, 1]) {
      byCode[`AADSTS${code}`] = (await outcomeOf('microsoft', entra(code, 'invalid_grant', 400))).type;
    }
    expect(byCode).toEqual({ AADSTS50196: 'transient', AADSTS700082: 'invalid_grant', AADSTS7000215: 'config', AADSTS1: 'invalid_grant' });
  });
});

describe('Meta Graph API codes (developers.facebook.com/docs/graph-api/guides/error-handling)', () => {
  it.each<[string, FailureType, FaultResponse]>([
    ['1 API Unknown: temporary', 'transient', meta(1)],
    ['2 API Service: temporary', 'transient', meta(2)],
    ['3 API Method: the app lacks a capability', 'config', meta(3)],
    ['4 application request limit', 'transient', meta(4)],
    ['10 permission denied', 'auth', meta(10)],
    ['17 user request limit', 'transient', meta(17)],
    ['32 page request limit', 'transient', meta(32)],
    ['100 invalid parameter: our request', 'config', meta(100)],
    ['101 invalid application id', 'config', meta(101)],
    ['102 API session without a subcode', 'invalid_grant', meta(102)],
    ['190 access token expired', 'invalid_grant', meta(190)],
    ['190/458 app not installed', 'invalid_grant', meta(190, 400, 458)],
    ['190/459 user checkpointed: the user logs in at facebook.com', 'auth', meta(190, 400, 459)],
    ['190/460 password changed', 'invalid_grant', meta(190, 400, 460)],
    ['190/463 expired', 'invalid_grant', meta(190, 400, 463)],
    ['190/464 unconfirmed user: the user logs in at facebook.com', 'auth', meta(190, 400, 464)],
    ['190/467 invalid access token', 'invalid_grant', meta(190, 400, 467)],
    ['102/459 user checkpointed', 'auth', meta(102, 400, 459)],
    ['200 permission', 'auth', meta(200)],
    ['250 permission', 'auth', meta(250)],
    ['299 permission', 'auth', meta(299)],
    ['341 application limit reached', 'transient', meta(341)],
    ['368 temporarily blocked for policy violations', 'transient', meta(368)],
    ['613 custom rate limit', 'transient', meta(613)],
  ])('classifies code %s as %s', async (_name, type, answer) => {
    expect((await outcomeOf('facebook', answer)).type).toBe(type);
  });

  it('ignores a subcode on codes whose documentation does not point to it', async () => {
    expect(await outcomeOf('facebook', meta(100, 400, 463))).toMatchObject({ type: 'config', code: 'META_100' });
  });

  it('leaves 300, outside the documented permission range 200-299, to the status fallback', async () => {
    expect(await outcomeOf('facebook', meta(300))).toMatchObject({ type: 'auth', code: 'META_300' });
    expect(await outcomeOf('facebook', meta(300, 404))).toMatchObject({ type: 'config', code: 'META_300' });
  });

  it('reads Instagram Login errors, which share the Graph API shape, with the same table', async () => {
    expect(await outcomeOf('instagram', meta(100))).toMatchObject({ type: 'config', code: 'META_100' });
    expect(await outcomeOf('instagram', meta(190))).toMatchObject({ type: 'invalid_grant', code: 'META_190' });
  });
});

describe("a Meta exchange answered with code 100 (the app's malformed request)", () => {
  const integration = { id: 'integration-1', status: 'connected' as const, consecutiveFailures: 1, consecutiveTransientFailures: 2, tokenVersion: 4 };
  const decideFor = (outcome: Outcome) =>
    decide({
      outcome,
      integration,
      provider: { id: 'facebook', name: 'Facebook' },
      reconnectUrl: 'https://app.example.test/integrations/integration-1/reconnect',
      now: new Date('2026-12-01T09:00:00Z'),
    });

  it('is a configuration failure that leaves the counters and the status untouched in every daily check, telling no user', async () => {
    const outcome = await outcomeOf('facebook', responses.metaError(100, 'Invalid parameter'));
    expect(outcome).toEqual({
      type: 'config',
      code: 'META_100',
      message: MESSAGE_FOR.config('META_100'),
      httpStatus: 400,
    });
    for (let check = 1; check <= 3; check += 1) expect(decideFor(outcome)).toEqual({ state: null, messages: [] });
  });

  it('unlike code 190, which is a dead token: the connection needs reauthorization at once', async () => {
    const decision = decideFor(await outcomeOf('facebook', responses.metaError(190, 'Session has expired', 463)));
    expect(decision.state).toMatchObject({ status: 'needs_reauthorization', consecutiveFailures: 2 });
    expect(decision.messages.map((m) => m.type)).toEqual(['integration_disconnected']);
  });
});

describe('Slack oauth.v2.access errors (docs.slack.dev/reference/methods/oauth.v2.access)', () => {
  it.each<[string, FailureType, string]>([
    ['invalid_refresh_token', 'invalid_grant', 'slack:invalid_refresh_token'],
    ['token_expired', 'invalid_grant', 'slack:token_expired'],
    ['token_revoked', 'invalid_grant', 'slack:token_revoked'],
    ['account_inactive', 'invalid_grant', 'slack:account_inactive'],
    ['invalid_client_id', 'config', 'slack:invalid_client_id'],
    ['bad_client_secret', 'config', 'slack:bad_client_secret'],
    ['invalid_grant_type', 'config', 'slack:invalid_grant_type'],
    ['invalid_arguments', 'config', 'slack:invalid_arguments'],
    ['invalid_form_data', 'config', 'slack:invalid_form_data'],
    ['method_deprecated', 'config', 'slack:method_deprecated'],
    ['ratelimited', 'transient', 'http_429'],
    ['internal_error', 'transient', 'http_503'],
    ['fatal_error', 'transient', 'http_503'],
    ['service_unavailable', 'transient', 'http_503'],
    ['team_added_to_org', 'transient', 'http_503'],
    ['invalid_auth', 'auth', 'slack:invalid_auth'],
  ])('classifies ok:false %s as %s (%s)', async (error, type, code) => {
    expect(await outcomeOf('slack', responses.slackOkFalse(error))).toMatchObject({ type, code });
  });
});

describe('GitHub token errors (docs.github.com, refreshing user access tokens and troubleshooting)', () => {
  it.each<[string, FailureType]>([
    ['bad_refresh_token', 'invalid_grant'],
    ['bad_verification_code', 'invalid_grant'],
    ['incorrect_client_credentials', 'config'],
    ['unsupported_grant_type', 'config'],
    ['unverified_user_email', 'auth'],
  ])('classifies a 200 with error %s as %s', async (error, type) => {
    expect(await outcomeOf('github', responses.githubErrorOn200(error))).toMatchObject({ type, code: `github:${error}` });
  });
});

describe('Microsoft Entra AADSTS codes (learn.microsoft.com/entra/identity-platform/reference-error-codes)', () => {
  it.each<[number, string, FailureType]>([
    [9002313, 'invalid_grant', 'config'],
    [900144, 'invalid_request', 'config'],
    [90014, 'invalid_grant', 'config'],
    [50033, 'invalid_grant', 'transient'],
    [90006, 'invalid_request', 'transient'],
    [90024, 'invalid_grant', 'transient'],
    [90033, 'invalid_request', 'transient'],
    [90055, 'invalid_grant', 'transient'],
    [90090, 'invalid_request', 'transient'],
  ])('classifies AADSTS%i, whatever its error (%s), as %s', async (code, error, type) => {
    expect(await outcomeOf('microsoft', entra(code, error))).toMatchObject({ type, code: `AADSTS${code}` });
  });
});

describe('token types a provider documents besides Bearer and DPoP', () => {
  const tokensOfType = (tokenType: string): FaultResponse => ({
    status: 200,
    json: { access_token: 'at-new', token_type: tokenType, expires_in: 3600, refresh_token: 'rt-new' },
  });

  it('accepts Slack\'s "bot" and "user", any letter case, but no other provider\'s', async () => {
    expect(await attemptOf('slack', tokensOfType('Bot'))).toMatchObject({ kind: 'tokens', tokens: { accessToken: 'at-new' } });
    expect(await attemptOf('slack', tokensOfType('user'))).toMatchObject({ kind: 'tokens', tokens: { accessToken: 'at-new' } });
    expect(await attemptOf('google', tokensOfType('bot'))).toEqual({ kind: 'http_error', httpStatus: 200, failure: 'unsupported_token_type', retryAfterSeconds: undefined });
  });

  it("treats tokens of a type the provider's profile does not name as the app's configuration, not the user's", async () => {
    expect(await outcomeOf('google', tokensOfType('bot'))).toMatchObject({ type: 'config', code: 'unsupported_token_type', httpStatus: 200 });
  });

  it.each(['constructor', '__proto__', 'tostring', 'hasownproperty'])('does not take the token_type %s for a documented one', async (tokenType) => {
    expect(await outcomeOf('slack', tokensOfType(tokenType))).toMatchObject({ type: 'config', code: 'unsupported_token_type' });
  });

  it('still accepts Bearer and DPoP from every provider', async () => {
    expect(await attemptOf('google', tokensOfType('Bearer'))).toMatchObject({ kind: 'tokens' });
    expect(await attemptOf('google', tokensOfType('DPoP'))).toMatchObject({ kind: 'tokens' });
    expect(await attemptOf('slack', tokensOfType('bearer'))).toMatchObject({ kind: 'tokens' });
  });
});
