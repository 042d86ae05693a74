import { Agent, request } from 'undici';

/**
 * The HTTP client for token endpoints: undici's request API over a keep-alive pool, shaped
 * as `fetch` so oauth4webapi and the tests' injected fetch stay interchangeable. The global
 * fetch spends most of a refresh's CPU on web-stream plumbing; this is the same undici
 * underneath without it (see the refresh-throughput benchmark). Bodies are small token
 * responses and are read whole; redirects are never followed.
 */
export function createProviderFetch(options: { connectionsPerOrigin?: number } = {}): typeof fetch {
  const dispatcher = new Agent({
    connections: options.connectionsPerOrigin ?? 128,
    keepAliveTimeout: 30_000,
    keepAliveMaxTimeout: 120_000,
  });

  const providerFetch = async (input: RequestInfo | URL, init: RequestInit = {}): Promise<Response> => {
    const url = typeof input === 'string' ? input : input instanceof URL ? input.href : input.url;
    const headers: Record<string, string> = {};
    new Headers(init.headers).forEach((value, key) => {
      headers[key] = value;
    });
    let body: string | undefined;
    if (init.body instanceof URLSearchParams) {
      body = init.body.toString();
      headers['content-type'] ??= 'application/x-www-form-urlencoded;charset=UTF-8';
    } else if (typeof init.body === 'string') {
      body = init.body;
    } else if (init.body !== undefined && init.body !== null) {
      throw new TypeError('providerFetch sends string or URLSearchParams bodies only');
    }
    try {
      const response = await request(url, {
        method: (init.method ?? 'GET') as 'GET' | 'POST',
        headers,
        body,
        signal: init.signal ?? undefined,
        dispatcher,
      });
      const data = await response.body.arrayBuffer();
      const responseHeaders = new Headers();
      for (const [key, value] of Object.entries(response.headers)) {
        if (Array.isArray(value)) for (const item of value) responseHeaders.append(key, item);
        else if (value !== undefined) responseHeaders.set(key, value);
      }
      const empty = response.statusCode === 204 || response.statusCode === 304;
      return new Response(empty ? null : data, { status: response.statusCode, headers: responseHeaders });
    } catch (error) {
      // Same shapes as fetch(): aborts and timeouts pass through, connection failures are TypeErrors.
      if (error instanceof Error && (error.name === 'AbortError' || error.name === 'TimeoutError')) throw error;
      if (init.signal?.aborted) throw init.signal.reason;
      throw new TypeError('fetch failed', { cause: error });
    }
  };
  return providerFetch as typeof fetch;
}
