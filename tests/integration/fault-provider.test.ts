import { afterEach, describe, expect, it } from 'vitest';
import { responses, startFaultProvider, type FaultProvider } from '../support/fault-provider';

let provider: FaultProvider | undefined;

afterEach(async () => {
  await provider?.close();
  provider = undefined;
});

function refresh(url: string, refreshToken: string, init: { signal?: AbortSignal } = {}) {
  return fetch(url, {
    method: 'POST',
    headers: {
      authorization: `Basic ${Buffer.from('client:secret').toString('base64')}`,
      'content-type': 'application/x-www-form-urlencoded',
    },
    body: new URLSearchParams({ grant_type: 'refresh_token', refresh_token: refreshToken }),
    signal: init.signal,
  });
}

describe('fault provider', () => {
  it('answers queued responses in order, then the fallback', async () => {
    provider = await startFaultProvider();
    provider.setFallback(responses.oauthError(400, 'invalid_request'));
    provider.enqueue(responses.tooManyRequests(7), responses.serviceUnavailable());

    const first = await refresh(provider.tokenUrl, 'rt');
    expect(first.status).toBe(429);
    expect(first.headers.get('retry-after')).toBe('7');

    const second = await refresh(provider.tokenUrl, 'rt');
    expect(second.status).toBe(503);
    expect(second.headers.get('content-type')).toMatch(/^text\/html/);
    expect(await second.text()).toContain('Service Unavailable');

    const third = await refresh(provider.tokenUrl, 'rt');
    expect(third.status).toBe(400);
    expect(await third.json()).toEqual({ error: 'invalid_request' });
  });

  it('records every request with its headers and form body', async () => {
    provider = await startFaultProvider();
    provider.enqueue(responses.tokens({ accessToken: 'at-1' }));

    await refresh(provider.tokenUrl, 'rt-recorded');

    expect(provider.requests).toHaveLength(1);
    const [request] = provider.requests;
    expect(request).toMatchObject({
      method: 'POST',
      path: '/token',
      form: { grant_type: 'refresh_token', refresh_token: 'rt-recorded' },
    });
    expect(request?.headers.authorization).toBe(`Basic ${Buffer.from('client:secret').toString('base64')}`);
  });

  it("answers and records Meta's GET exchange with its query as the form", async () => {
    provider = await startFaultProvider();
    provider.enqueue(responses.metaExchange());
    const query = new URLSearchParams({
      grant_type: 'fb_exchange_token',
      client_id: 'app',
      client_secret: 'app-secret',
      fb_exchange_token: 'short-lived',
    });

    const response = await fetch(`${provider.url}/oauth/access_token?${query}`);

    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({ token_type: 'bearer', expires_in: 5183944 });
    expect(provider.requests[0]).toMatchObject({
      method: 'GET',
      path: '/oauth/access_token',
      form: { grant_type: 'fb_exchange_token', fb_exchange_token: 'short-lived' },
    });
  });

  it('sends the recorded provider shapes', async () => {
    provider = await startFaultProvider();
    provider.enqueue(
      responses.microsoftAadsts(50196),
      responses.invalidClient(),
      responses.hubspotBadRefreshToken(),
      responses.salesforceNoExpiresIn(),
    );

    const aadsts = await refresh(provider.tokenUrl, 'rt');
    expect(aadsts.status).toBe(400);
    const aadstsBody = (await aadsts.json()) as Record<string, unknown>;
    expect(aadstsBody).toMatchObject({ error_codes: [50196] });
    expect(aadstsBody.error_description).toMatch(/^AADSTS50196: /);
    expect(Object.keys(aadstsBody)).toEqual(
      expect.arrayContaining(['error', 'timestamp', 'trace_id', 'correlation_id']),
    );

    const invalidClient = await refresh(provider.tokenUrl, 'rt');
    expect(invalidClient.status).toBe(401);
    expect(invalidClient.headers.get('www-authenticate')).toMatch(/^Basic realm=/);

    const hubspot = await refresh(provider.tokenUrl, 'rt');
    expect(hubspot.status).toBe(400);
    expect(await hubspot.json()).toMatchObject({ status: 'BAD_REFRESH_TOKEN', correlationId: expect.any(String) });

    const salesforce = (await (await refresh(provider.tokenUrl, 'rt')).json()) as Record<string, unknown>;
    expect(salesforce).toMatchObject({ token_type: 'Bearer', instance_url: expect.any(String) });
    expect(salesforce).not.toHaveProperty('expires_in');
    expect(salesforce).not.toHaveProperty('refresh_token');
  });

  it('rotates refresh tokens and accepts a reused one only within the grace period', async () => {
    provider = await startFaultProvider({ graceSeconds: 60, accessTokenTtlSeconds: 300 });
    provider.rotating.seed('rt-0');

    const first = (await (await refresh(provider.tokenUrl, 'rt-0')).json()) as Record<string, unknown>;
    expect(first).toMatchObject({ token_type: 'Bearer', expires_in: 300 });
    expect(first.refresh_token).not.toBe('rt-0');

    // Within the grace period a racing worker's reuse gets the same, newest refresh token.
    const racing = await refresh(provider.tokenUrl, 'rt-0');
    expect(racing.status).toBe(200);
    expect(((await racing.json()) as Record<string, unknown>).refresh_token).toBe(first.refresh_token);

    provider.rotating.graceSeconds = 0;
    const late = await refresh(provider.tokenUrl, 'rt-0');
    expect(late.status).toBe(400);
    expect(await late.json()).toMatchObject({ error: 'invalid_grant' });

    const unknown = await refresh(provider.tokenUrl, 'never-issued');
    expect(unknown.status).toBe(400);

    expect(provider.rotating.issuedCount()).toBe(1);
    expect(provider.rotating.reuseCount()).toBe(2);
  });

  it('delays rotating answers by the configured latency', async () => {
    provider = await startFaultProvider({ latencyMs: 150 });
    provider.rotating.seed('rt-slow');

    const started = performance.now();
    const response = await refresh(provider.tokenUrl, 'rt-slow');

    expect(response.status).toBe(200);
    expect(performance.now() - started).toBeGreaterThanOrEqual(140);
  });

  it('can hang so that only a client timeout ends the call', async () => {
    provider = await startFaultProvider();
    provider.enqueue({ hang: true });

    const error = await refresh(provider.tokenUrl, 'rt', { signal: AbortSignal.timeout(200) }).catch((e: unknown) => e);

    expect(error).toBeInstanceOf(DOMException);
    expect((error as DOMException).name).toBe('TimeoutError');
    // close() still returns promptly with the request hanging.
  });

  it('can reset the connection', async () => {
    provider = await startFaultProvider();
    provider.enqueue({ destroy: true });

    await expect(refresh(provider.tokenUrl, 'rt')).rejects.toThrow(TypeError);
  });

  it('answers 404 off the token paths', async () => {
    provider = await startFaultProvider();
    const response = await fetch(`${provider.url}/elsewhere`, { method: 'POST' });
    expect(response.status).toBe(404);
    expect(provider.requests[0]?.path).toBe('/elsewhere');
  });
});
