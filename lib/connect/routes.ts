import { z } from 'zod';
import type { SessionUser } from '../auth/session';
import { completeConnect } from './callback';
import type { ConnectDeps } from './deps';
import { ConnectError } from './errors';
import { connectPage } from './page';
import { startConnect } from './start';

/**
 * What the two connect routes do, so that their files stay thin: parse, call the flow, and
 * turn its answer into a redirect or a page. No token, code or state in any answer's body.
 */

const startQuery = z.object({
  organization: z.uuid().optional(),
  integration: z.uuid().optional(),
  return_to: z.string().optional(),
});

const TITLES: Partial<Record<ConnectError['code'], string>> = {
  cancelled: 'Connect cancelled',
  wrong_account: 'Signed in as another account',
  not_found: 'Not found',
  unknown_provider: 'Unknown provider',
};

function errorPage(error: ConnectError, setCookie?: string | null): Response {
  return connectPage({ status: error.status, title: TITLES[error.code] ?? 'Could not connect', message: error.message, code: error.code, setCookie });
}

export async function handleConnectStart(deps: ConnectDeps, request: Request, provider: string, user: SessionUser | null): Promise<Response> {
  const url = new URL(request.url);
  if (!user) return new Response(null, { status: 303, headers: { location: '/sign-in', 'cache-control': 'no-store' } });
  const query = startQuery.safeParse(Object.fromEntries(url.searchParams));
  if (!query.success) {
    const field = query.error.issues[0]?.path.join('.') ?? 'query';
    return connectPage({ status: 400, title: 'Could not connect', message: `The link is malformed: "${field}" must be an id.`, code: 'bad_request' });
  }
  // Another site sent the browser here (Fetch Metadata): a page that asks first, instead of a
  // connect that a provider which skips its consent screen could complete without the user
  // noticing. Following the link from this page is a same-origin navigation.
  if (request.headers.get('sec-fetch-site') === 'cross-site') {
    const name = deps.providers.get(provider)?.name ?? provider;
    return connectPage({
      status: 200,
      title: `Connect ${name}?`,
      message: `Another site sent you here to connect ${name} to Tokenwarden. Continue only if you meant to.`,
      code: 'confirm',
      action: { href: `${url.pathname}${url.search}`, label: `Continue to ${name}` },
    });
  }
  if (query.data.organization && query.data.integration) {
    return connectPage({ status: 400, title: 'Could not connect', message: 'Give either an organization (a new connection) or an integration (a reconnect), not both.', code: 'bad_request' });
  }
  try {
    const started = await startConnect(deps, {
      user,
      provider,
      organizationId: query.data.organization ?? null,
      integrationId: query.data.integration ?? null,
      returnTo: query.data.return_to ?? null,
      parameters: Object.fromEntries(url.searchParams),
    });
    const headers = new Headers({ location: started.location, 'cache-control': 'no-store', 'referrer-policy': 'no-referrer' });
    headers.append('set-cookie', started.setCookie);
    return new Response(null, { status: 303, headers });
  } catch (error) {
    if (error instanceof ConnectError) return errorPage(error);
    throw error;
  }
}

export async function handleConnectCallback(deps: ConnectDeps, request: Request, cookies: { name: string; value: string }[], user: SessionUser | null): Promise<Response> {
  const result = await completeConnect(deps, { params: new URL(request.url).searchParams, cookies, signedInUserId: user?.id ?? null });
  if (!result.ok) {
    if (!['cancelled', 'unknown_state', 'state_used', 'state_expired', 'foreign_browser', 'missing_parameters'].includes(result.error.code)) {
      // The code and our own sentence only: the sentence never holds a secret, the cause is not printed.
      console.warn(`[connect] callback refused: ${result.error.code}`);
    }
    return errorPage(result.error, result.clearCookie);
  }
  const headers = new Headers({ location: result.location, 'cache-control': 'no-store', 'referrer-policy': 'no-referrer' });
  if (result.clearCookie) headers.append('set-cookie', result.clearCookie);
  return new Response(null, { status: 303, headers });
}
