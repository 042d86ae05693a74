import { describe, expect, it } from 'vitest';
import { normaliserFor, normalisers, type RawAnswer } from '../../lib/providers/normalisers';
import { github } from '../../lib/providers/normalisers/github';
import { hubspot } from '../../lib/providers/normalisers/hubspot';
import { meta } from '../../lib/providers/normalisers/meta';
import { microsoft } from '../../lib/providers/normalisers/microsoft';
import { slack } from '../../lib/providers/normalisers/slack';
import { classify } from '../../lib/refresh/classify';
import type { OutcomeType } from '../../lib/refresh/outcome';
import { responses, type AadstsCode, type FaultResponse } from '../support/fault-provider';
import { attemptOf } from '../support/recorded-answer';

/** What the normaliser sees of a recorded answer: its status and its parsed JSON body. */
function raw(response: FaultResponse): RawAnswer {
  if (!('status' in response)) throw new Error('not an HTTP answer');
  return { status: response.status, json: response.json };
}

/** The outcome of a recorded answer from a provider, through the real provider call (oauth4webapi included). */
async function outcomeOf(providerId: string, response: FaultResponse): Promise<{ type: OutcomeType; code?: string }> {
  const outcome = classify(await attemptOf(providerId, response));
  return outcome.type === 'refreshed' ? { type: outcome.type } : { type: outcome.type, code: outcome.code };
}

const metaError = responses.metaError;
const slackRefreshed = (tokenType: string) => responses.slackRotated(tokenType);

describe('normaliser registry', () => {
  it('has a normaliser for each provider that deviates from RFC 6749, found by the provider id', () => {
    expect(Object.keys(normalisers).sort()).toEqual(['facebook', 'github', 'hubspot', 'instagram', 'microsoft', 'slack']);
    expect(normalisers.facebook).toBe(meta);
    expect(normalisers.instagram).toBe(meta);
    expect(normaliserFor('facebook')).toBe(meta);
    expect(normaliserFor('instagram')).toBe(meta);
    expect(normaliserFor('slack')).toBe(slack);
    expect(normaliserFor('google')).toBeUndefined();
  });

  it.each(['constructor', '__proto__', 'toString', 'hasOwnProperty'])(
    'finds no normaliser for a providers-file id named after an Object member (%s)',
    (id) => {
      expect(normaliserFor(id)).toBeUndefined();
    },
  );
});

describe('slack normaliser', () => {
  it('turns ok:false invalid_refresh_token on HTTP 200 into a 400 invalid_grant', () => {
    expect(slack(raw(responses.slackOkFalse('invalid_refresh_token')))).toEqual({
      status: 400,
      json: { error: 'invalid_grant' },
      providerCode: 'slack:invalid_refresh_token',
    });
  });

  it.each(['token_revoked', 'token_expired'])('turns ok:false %s into invalid_grant', (error) => {
    expect(slack(raw(responses.slackOkFalse(error)))).toMatchObject({ status: 400, json: { error: 'invalid_grant' } });
  });

  it('turns ok:false ratelimited into a 429', () => {
    expect(slack(raw(responses.slackOkFalse('ratelimited')))).toEqual({
      status: 429,
      json: { error: 'temporarily_unavailable' },
      providerCode: 'slack:ratelimited',
    });
  });

  it('turns ok:false invalid_client_id into a 401 invalid_client', () => {
    expect(slack(raw(responses.slackOkFalse('invalid_client_id')))).toEqual({
      status: 401,
      json: { error: 'invalid_client' },
      providerCode: 'slack:invalid_client_id',
    });
  });

  it('turns ok:false internal_error into a 503 server_error', () => {
    expect(slack(raw(responses.slackOkFalse('internal_error')))).toMatchObject({ status: 503, json: { error: 'server_error' } });
  });

  it('keeps an undocumented Slack error as a 400 with its own code', () => {
    expect(slack(raw(responses.slackOkFalse('something_new')))).toEqual({
      status: 400,
      json: { error: 'something_new' },
      providerCode: 'slack:something_new',
    });
  });

  it('calls an ok:false without an error unknown_error', () => {
    expect(slack({ status: 200, json: { ok: false } })).toMatchObject({ status: 400, json: { error: 'unknown_error' } });
  });

  it('does not mistake a Slack error named after an Object member for a table entry', () => {
    expect(slack(raw(responses.slackOkFalse('constructor')))).toEqual({
      status: 400,
      json: { error: 'constructor' },
      providerCode: 'slack:constructor',
    });
  });

  it('passes an ok:true answer with a standard token_type through unchanged', () => {
    const answer = raw(slackRefreshed('Bearer'));
    expect(slack(answer)).toBe(answer);
  });

  it('passes answers without a JSON object body through unchanged', () => {
    const html = raw(responses.serviceUnavailable());
    expect(slack(html)).toBe(html);
    const tokens = raw(responses.tokens());
    expect(slack(tokens)).toBe(tokens);
  });

  it.each(['bot', 'user'])('passes an ok:true answer with token_type "%s" through as Slack sent it: no type is rewritten', (tokenType) => {
    const answer = raw(slackRefreshed(tokenType));
    const normalised = slack(answer);
    expect(normalised).toBe(answer);
    expect(normalised.status).toBe(200);
    expect(normalised.providerCode).toBeUndefined();
    expect((answer.json as Record<string, unknown>).token_type).toBe(tokenType); // the input is not mutated
  });

  it.each(['bot', 'user'])('has oauth4webapi accept the token_type "%s" as Slack sent it, and hands over its tokens', async (tokenType) => {
    expect(await attemptOf('slack', slackRefreshed(tokenType))).toEqual({
      kind: 'tokens',
      httpStatus: 200,
      tokens: {
        accessToken: 'xoxe.xoxb-1-example',
        refreshToken: 'xoxe-1-example',
        expiresInSeconds: 43200,
        refreshTokenExpiresInSeconds: undefined,
        scopes: ['chat:write', 'channels:read'],
      },
    });
  });

  it.each<[string, FaultResponse, OutcomeType, string | undefined]>([
    ['invalid_refresh_token', responses.slackOkFalse('invalid_refresh_token'), 'invalid_grant', 'slack:invalid_refresh_token'],
    ['token_revoked', responses.slackOkFalse('token_revoked'), 'invalid_grant', 'slack:token_revoked'],
    ['ratelimited', responses.slackOkFalse('ratelimited'), 'transient', 'http_429'],
    ['internal_error', responses.slackOkFalse('internal_error'), 'transient', 'http_503'],
    ['invalid_client_id', responses.slackOkFalse('invalid_client_id'), 'config', 'slack:invalid_client_id'],
    ['bad_client_secret', responses.slackOkFalse('bad_client_secret'), 'config', 'slack:bad_client_secret'],
    ['a bot token rotation', slackRefreshed('bot'), 'refreshed', undefined],
    ['a user token rotation', slackRefreshed('user'), 'refreshed', undefined],
  ])('classifies Slack %s as %s', async (_name, response, type, code) => {
    expect(await outcomeOf('slack', response)).toEqual(code === undefined ? { type } : { type, code });
  });
});

describe('github normaliser', () => {
  it('turns a 200 with error bad_refresh_token into a 400 invalid_grant', () => {
    expect(github(raw(responses.githubErrorOn200('bad_refresh_token')))).toEqual({
      status: 400,
      json: { error: 'invalid_grant' },
      providerCode: 'github:bad_refresh_token',
    });
  });

  it('turns a 200 with incorrect_client_credentials into a 401 invalid_client', () => {
    expect(github(raw(responses.githubErrorOn200('incorrect_client_credentials')))).toEqual({
      status: 401,
      json: { error: 'invalid_client' },
      providerCode: 'github:incorrect_client_credentials',
    });
  });

  it('keeps an undocumented GitHub error on 200 as a 400 with its own code', () => {
    expect(github(raw(responses.githubErrorOn200('redirect_uri_mismatch')))).toEqual({
      status: 400,
      json: { error: 'redirect_uri_mismatch' },
      providerCode: 'github:redirect_uri_mismatch',
    });
  });

  it('does not mistake a GitHub error named after an Object member for a table entry', () => {
    expect(github(raw(responses.githubErrorOn200('toString')))).toMatchObject({ status: 400, json: { error: 'toString' } });
  });

  it('passes a 200 success through unchanged', () => {
    const answer = raw(responses.tokens({ refreshToken: 'ghr_next', expiresIn: 28800 }));
    expect(github(answer)).toBe(answer);
  });

  it('passes a non-200 answer through unchanged', () => {
    const answer = raw(responses.oauthError(400, 'invalid_request'));
    expect(github(answer)).toBe(answer);
  });

  it.each<[string, FaultResponse, OutcomeType, string | undefined]>([
    ['bad_refresh_token', responses.githubErrorOn200('bad_refresh_token'), 'invalid_grant', 'github:bad_refresh_token'],
    ['incorrect_client_credentials', responses.githubErrorOn200('incorrect_client_credentials'), 'config', 'github:incorrect_client_credentials'],
    ['unsupported_grant_type', responses.githubErrorOn200('unsupported_grant_type'), 'config', 'github:unsupported_grant_type'],
    ['a success', responses.tokens({ refreshToken: 'ghr_next' }), 'refreshed', undefined],
  ])('classifies GitHub %s as %s', async (_name, response, type, code) => {
    expect(await outcomeOf('github', response)).toEqual(code === undefined ? { type } : { type, code });
  });
});

describe('hubspot normaliser', () => {
  it('turns a 400 BAD_REFRESH_TOKEN into invalid_grant, keeping BAD_REFRESH_TOKEN as provider code', () => {
    expect(hubspot(raw(responses.hubspotBadRefreshToken()))).toEqual({
      status: 400,
      json: { error: 'invalid_grant' },
      providerCode: 'BAD_REFRESH_TOKEN',
    });
  });

  it.each(['BAD_CLIENT_ID', 'BAD_CLIENT_SECRET'])('turns %s into invalid_client', (status) => {
    expect(hubspot({ status: 400, json: { status, message: 'm', correlationId: 'c' } })).toEqual({
      status: 400,
      json: { error: 'invalid_client' },
      providerCode: status,
    });
  });

  it('passes a standard {error} body through unchanged', () => {
    const answer = raw(responses.oauthError(400, 'invalid_grant', 'refresh token is invalid'));
    expect(hubspot(answer)).toBe(answer);
  });

  it('passes an unknown HubSpot status, and one named after an Object member, through unchanged', () => {
    for (const status of ['SOMETHING_NEW', 'constructor']) {
      const answer: RawAnswer = { status: 400, json: { status, message: 'm', correlationId: 'c' } };
      expect(hubspot(answer)).toBe(answer);
    }
  });

  it('passes a success through unchanged', () => {
    const answer = raw(responses.tokens({ refreshToken: 'rt-next', expiresIn: 1800 }));
    expect(hubspot(answer)).toBe(answer);
  });

  it.each<[string, FaultResponse, OutcomeType, string | undefined]>([
    ['BAD_REFRESH_TOKEN', responses.hubspotBadRefreshToken(), 'invalid_grant', 'BAD_REFRESH_TOKEN'],
    ['a standard invalid_grant', responses.oauthError(400, 'invalid_grant'), 'invalid_grant', 'invalid_grant'],
    ['a 429', responses.tooManyRequests(10), 'transient', 'http_429'],
    ['a success', responses.tokens({ refreshToken: 'rt-next' }), 'refreshed', undefined],
  ])('classifies HubSpot %s as %s', async (_name, response, type, code) => {
    expect(await outcomeOf('hubspot', response)).toEqual(code === undefined ? { type } : { type, code });
  });

  it('keeps the Retry-After of a HubSpot 429 through to the outcome', async () => {
    const response = responses.tooManyRequests(10);
    expect(classify(await attemptOf('hubspot', response))).toMatchObject({ type: 'transient', retryAfterSeconds: 10 });
  });
});

describe('microsoft normaliser', () => {
  it.each([700082, 50173, 65001, 50076, 7000215, 7000222] as const)(
    'adds AADSTS%i from error_codes as the provider code, leaving status and body as they are',
    (code) => {
      const answer = raw(responses.microsoftAadsts(code));
      const normalised = microsoft(answer);
      expect(normalised).toEqual({ ...answer, providerCode: `AADSTS${code}` });
      expect(normalised.json).toBe(answer.json);
    },
  );

  it("adds AADSTS50196 from error_codes as the provider code, leaving the status and the body but for its invalid_grant, which becomes temporarily_unavailable", () => {
    const answer = raw(responses.microsoftAadsts(50196));
    expect((answer.json as Record<string, unknown>).error).toBe('invalid_grant');
    const normalised = microsoft(answer);
    expect(normalised).toEqual({
      status: answer.status,
      json: { ...(answer.json as Record<string, unknown>), error: 'temporarily_unavailable' },
      providerCode: 'AADSTS50196',
    });
    expect((answer.json as Record<string, unknown>).error).toBe('invalid_grant'); // the input is not mutated
  });

  it('keeps the provider code of an AADSTS code nobody mapped, with the error Entra sent', () => {
    const answer: RawAnswer = { status: 400, json: { error: 'invalid_grant', error_codes: [1] } };
    expect(microsoft(answer)).toEqual({ ...answer, providerCode: 'AADSTS1' });
  });

  it('passes a success through unchanged', () => {
    const answer = raw(responses.tokens({ refreshToken: 'rt-next' }));
    expect(microsoft(answer)).toBe(answer);
  });

  it('passes an error without numeric error_codes through unchanged', () => {
    const standard = raw(responses.oauthError(400, 'invalid_grant'));
    expect(microsoft(standard)).toBe(standard);
    const odd: RawAnswer = { status: 400, json: { error: 'invalid_grant', error_codes: ['50196'] } };
    expect(microsoft(odd)).toBe(odd);
  });

  it.each<[AadstsCode, string | undefined, OutcomeType]>([
    [50196, undefined, 'transient'],
    [700082, undefined, 'invalid_grant'],
    [50173, undefined, 'invalid_grant'],
    [65001, undefined, 'invalid_grant'],
    [50076, undefined, 'invalid_grant'],
    [7000215, undefined, 'config'],
    [7000222, undefined, 'config'],
    // The same code decides whatever `error` rides along.
    [50196, 'temporarily_unavailable', 'transient'],
    [700082, 'interaction_required', 'invalid_grant'],
  ])('classifies AADSTS%i (error %s) as %s', async (code, error, type) => {
    const response = responses.microsoftAadsts(code, error);
    expect(await outcomeOf('microsoft', response)).toEqual({ type, code: `AADSTS${code}` });
  });
});

describe('meta normaliser', () => {
  it('turns error code 190 into invalid_grant with provider code META_190', () => {
    expect(meta(raw(metaError(190, 'Error validating access token: Session has expired.', 463)))).toEqual({
      status: 400,
      json: { error: 'invalid_grant' },
      providerCode: 'META_190',
    });
  });

  it('keeps error code 4 as provider code META_4, its error the standard temporarily_unavailable', () => {
    expect(meta(raw(metaError(4, '(#4) Application request limit reached')))).toEqual({
      status: 400,
      json: { error: 'temporarily_unavailable' },
      providerCode: 'META_4',
    });
  });

  it('turns error code 100 (invalid parameter: our request) into invalid_request with provider code META_100', () => {
    expect(meta(raw(metaError(100, 'Invalid parameter')))).toEqual({
      status: 400,
      json: { error: 'invalid_request' },
      providerCode: 'META_100',
    });
  });

  it('keeps an undocumented Meta code as a non-standard error, so the status decides', () => {
    expect(meta(raw(metaError(12345, 'Something new')))).toEqual({ status: 400, json: { error: 'meta_error' }, providerCode: 'META_12345' });
  });

  it('gives an error answered with HTTP 200 an error status', () => {
    expect(meta(raw(metaError(190, 'expired', undefined, 200)))).toMatchObject({ status: 400, providerCode: 'META_190' });
  });

  it('keeps the status of an error answered with a 5xx', () => {
    expect(meta(raw(metaError(2, 'Service temporarily unavailable', undefined, 500)))).toMatchObject({ status: 500, providerCode: 'META_2' });
  });

  it('leaves out the provider code when the error has no numeric code', () => {
    expect(meta({ status: 400, json: { error: { message: 'm', type: 'OAuthException' } } })).toEqual({
      status: 400,
      json: { error: 'meta_error' },
      providerCode: undefined,
    });
  });

  it('passes the long-lived token exchange through unchanged', () => {
    const answer = raw(responses.metaExchange());
    expect(meta(answer)).toBe(answer);
  });

  it('passes a standard string error through unchanged', () => {
    const answer = raw(responses.oauthError(400, 'invalid_request'));
    expect(meta(answer)).toBe(answer);
  });

  it.each<[string, FaultResponse, OutcomeType, string | undefined]>([
    ['code 190 (expired token)', metaError(190, 'Error validating access token: Session has expired.', 463), 'invalid_grant', 'META_190'],
    ['code 190 (password changed)', metaError(190, 'Error validating access token: password changed.', 460), 'invalid_grant', 'META_190'],
    ['code 4 (app request limit)', metaError(4, '(#4) Application request limit reached'), 'transient', 'META_4'],
    ['code 17 (user request limit)', metaError(17, '(#17) User request limit reached'), 'transient', 'META_17'],
    ['code 32 (page request limit)', metaError(32, '(#32) Page request limit reached'), 'transient', 'META_32'],
    ['code 613 (rate limit)', metaError(613, 'Calls to this api have exceeded the rate limit.'), 'transient', 'META_613'],
    ['code 10 (permission denied)', metaError(10, 'Permission denied'), 'auth', 'META_10'],
    ['the long-lived token exchange', responses.metaExchange(), 'refreshed', undefined],
  ])('classifies Meta %s as %s', async (_name, response, type, code) => {
    expect(await outcomeOf('facebook', response)).toEqual(code === undefined ? { type } : { type, code });
  });
});
