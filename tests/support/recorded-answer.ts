import { loadProviderRegistry } from '../../lib/providers/registry';
import { callTokenEndpoint } from '../../lib/refresh/provider-call';
import type { AttemptResult } from '../../lib/refresh/outcome';
import type { FaultResponse } from './fault-provider';

/**
 * One refresh call of the real engine (oauth4webapi, the provider's normaliser, its token
 * types) answered by a recorded provider answer. The fetch is the HTTP boundary: it stands in
 * for the real provider, which cannot be reached from here, and nothing behind it is faked.
 */

const providers = loadProviderRegistry({ env: {} });

/** A request the engine sent, as the provider would have received it. */
export interface SentRequest {
  url: string;
  method: string;
  /** The form body of a POST, or nothing for a GET. */
  form: Record<string, string>;
}

/**
 * A fetch that answers every request with `response`, as the fault provider would send it,
 * and notes each request in `sent`.
 */
export function answering(response: FaultResponse, sent: SentRequest[] = []): typeof fetch {
  return async (input, init) => {
    const body = init?.body;
    sent.push({
      url: input instanceof Request ? input.url : String(input),
      method: init?.method ?? 'GET',
      form: body instanceof URLSearchParams ? Object.fromEntries(body) : {},
    });
    if (!('status' in response)) throw new Error('a recorded answer needs a status');
    const headers = new Headers(response.headers);
    if (response.json !== undefined) {
      headers.set('content-type', response.contentType ?? 'application/json; charset=utf-8');
      return new Response(JSON.stringify(response.json), { status: response.status, headers });
    }
    headers.set('content-type', response.contentType ?? 'text/plain; charset=utf-8');
    return new Response(response.body ?? '', { status: response.status, headers });
  };
}

/** What the engine makes of `response` from the built-in provider `providerId`; its requests go to `sent`. */
export function attemptOf(providerId: string, response: FaultResponse, sent: SentRequest[] = []): Promise<AttemptResult> {
  const provider = providers.get(providerId);
  if (!provider) throw new Error(`no built-in provider ${providerId}`);
  return callTokenEndpoint(
    {
      provider,
      credentials: { clientId: `${providerId}-client-id`, clientSecret: `${providerId}-client-secret` },
      accessToken: 'stored-access-token',
      refreshToken: 'stored-refresh-token',
      parameters: { shop: 'acme-store' },
    },
    { fetch: answering(response, sent), timeoutMs: 2000 },
  );
}
