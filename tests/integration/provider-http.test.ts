import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createProviderFetch } from '../../lib/refresh/http-client';
import { callTokenEndpoint } from '../../lib/refresh/provider-call';
import { loadProviderRegistry } from '../../lib/providers/registry';
import { startFaultProvider, responses, type FaultProvider } from '../support/fault-provider';

describe('the provider HTTP client (undici keep-alive, shaped as fetch)', () => {
  let fault: FaultProvider;
  const providerFetch = createProviderFetch();

  beforeAll(async () => {
    fault = await startFaultProvider();
  });
  afterAll(async () => fault?.close());

  it('sends form bodies with their content type and returns status, headers and body', async () => {
    fault.enqueue(responses.tooManyRequests(7));
    const response = await providerFetch(fault.tokenUrl, {
      method: 'POST',
      headers: { accept: 'application/json' },
      body: new URLSearchParams({ grant_type: 'refresh_token', refresh_token: 'rt-1' }),
    });
    expect(response.status).toBe(429);
    expect(response.headers.get('retry-after')).toBe('7');
    expect(response).toBeInstanceOf(Response);
    const request = fault.requests.at(-1)!;
    expect(request.form).toMatchObject({ grant_type: 'refresh_token', refresh_token: 'rt-1' });
    expect(String(request.headers['content-type'])).toMatch(/^application\/x-www-form-urlencoded/);
  });

  it('reports a timeout the way fetch does, so it is classified as one', async () => {
    fault.enqueue({ hang: true });
    const failure = await providerFetch(fault.tokenUrl, { method: 'POST', body: 'x=1', signal: AbortSignal.timeout(200) }).catch((e: unknown) => e);
    expect((failure as Error).name).toBe('TimeoutError');
  });

  it('reports a refused connection as a TypeError, as fetch does', async () => {
    const failure = await providerFetch('http://127.0.0.1:1/token', { method: 'POST', body: 'x=1' }).catch((e: unknown) => e);
    expect(failure).toBeInstanceOf(TypeError);
  });

  it('carries a whole refresh through oauth4webapi and the normalisers', async () => {
    const providers = loadProviderRegistry({ env: {} });
    const slack = { ...providers.get('slack')!, tokenUrl: fault.tokenUrl, credentials: { clientId: 'c', clientSecret: 's' } };
    fault.enqueue(responses.slackOkFalse('invalid_refresh_token'));
    const failed = await callTokenEndpoint(
      { provider: slack, credentials: slack.credentials, accessToken: 'xoxe-a', refreshToken: 'xoxe-r', parameters: {} },
      { fetch: providerFetch, timeoutMs: 2000 },
    );
    expect(failed).toMatchObject({ kind: 'oauth_error', httpStatus: 400, error: 'invalid_grant', providerCode: 'slack:invalid_refresh_token' });
    fault.enqueue(responses.tokens({ accessToken: 'new-access', refreshToken: 'new-refresh', expiresIn: 43200 }));
    const refreshed = await callTokenEndpoint(
      { provider: slack, credentials: slack.credentials, accessToken: 'xoxe-a', refreshToken: 'xoxe-r', parameters: {} },
      { fetch: providerFetch, timeoutMs: 2000 },
    );
    expect(refreshed).toMatchObject({ kind: 'tokens', tokens: { accessToken: 'new-access', refreshToken: 'new-refresh', expiresInSeconds: 43200 } });
  });

  it("names the client as TikTok does (client_key) in a refresh's form body, and as everyone else does elsewhere", async () => {
    const providers = loadProviderRegistry({ env: {} });
    for (const id of ['tiktok', 'google'] as const) {
      const provider = { ...providers.get(id)!, tokenUrl: fault.tokenUrl, credentials: { clientId: 'the-client', clientSecret: 's' } };
      fault.enqueue(responses.tokens({ accessToken: 'new-access', refreshToken: 'new-refresh', expiresIn: 7200 }));
      const refreshed = await callTokenEndpoint(
        { provider, credentials: provider.credentials, accessToken: 'a', refreshToken: 'r', parameters: {} },
        { fetch: providerFetch, timeoutMs: 2000 },
      );
      expect(refreshed).toMatchObject({ kind: 'tokens' });
      const form = fault.requests.at(-1)!.form;
      if (id === 'tiktok') {
        expect(form).toMatchObject({ client_key: 'the-client', client_secret: 's', grant_type: 'refresh_token', refresh_token: 'r' });
        expect(form).not.toHaveProperty('client_id');
      } else {
        expect(form).toMatchObject({ client_id: 'the-client', grant_type: 'refresh_token' });
        expect(form).not.toHaveProperty('client_key');
      }
    }
  });
});
