import type { IncomingMessage, ServerResponse } from 'node:http';
import type Provider from 'oidc-provider';
import { escapeHtml } from '../connect/page';

/**
 * The bundled OAuth server's own sign-in and consent pages (the demo and the tests only).
 * oidc-provider's devInteractions would do, but they load a web font from the network at run
 * time and warn on every start; these are self-contained: no script, no stylesheet link, every
 * value escaped. Any login name is the account id and any password passes: the point is the
 * authorization-code flow, not the accounts.
 */

export const INTERACTION_PATH = '/interaction/';
const UID = /^[A-Za-z0-9_-]{1,64}$/;
const MAX_BODY_BYTES = 16 * 1024;

/** Where oidc-provider sends the browser for an interaction (its `interactions.url`). */
export function interactionUrl(uid: string): string {
  return `${INTERACTION_PATH}${uid}`;
}

function page(title: string, body: string): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)} · Demo OAuth server</title>
<style>
body { font: 16px/1.5 system-ui, sans-serif; max-width: 28rem; margin: 3rem auto; padding: 0 1rem; color: #1a1a1a; }
label { display: block; margin: .75rem 0 .25rem; font-weight: 600; }
input { font: inherit; width: 100%; box-sizing: border-box; padding: .4rem .5rem; }
button { font: inherit; padding: .45rem 1rem; margin-top: 1rem; cursor: pointer; }
.muted { color: #555; }
.actions { display: flex; gap: .75rem; align-items: center; }
</style>
</head>
<body>
<p class="muted">Tokenwarden demo OAuth server (not a real provider)</p>
<h1>${escapeHtml(title)}</h1>
${body}
</body>
</html>`;
}

function loginPage(uid: string, clientName: string, loginHint: string): string {
  return page(
    'Sign in',
    `<p>Sign in to continue to <strong>${escapeHtml(clientName)}</strong>. Any password works here.</p>
<form method="post" action="${escapeHtml(`${interactionUrl(uid)}/login`)}">
<input type="hidden" name="prompt" value="login">
<label for="login">Login</label>
<input id="login" name="login" autocomplete="username" required value="${escapeHtml(loginHint)}">
<label for="password">Password</label>
<input id="password" name="password" type="password" autocomplete="current-password" required>
<button type="submit">Sign in</button>
</form>`,
  );
}

function consentPage(uid: string, clientName: string, accountId: string, scopes: string[]): string {
  const list = scopes.length > 0 ? `<ul>${scopes.map((scope) => `<li>${escapeHtml(scope)}</li>`).join('')}</ul>` : '';
  return page(
    'Allow access',
    `<p><strong>${escapeHtml(clientName)}</strong> asks to access the account <strong>${escapeHtml(accountId)}</strong>${scopes.length > 0 ? ':' : '.'}</p>
${list}
<div class="actions">
<form method="post" action="${escapeHtml(`${interactionUrl(uid)}/confirm`)}">
<input type="hidden" name="prompt" value="consent">
<button type="submit">Allow</button>
</form>
<form method="post" action="${escapeHtml(`${interactionUrl(uid)}/abort`)}">
<button type="submit">Cancel</button>
</form>
</div>`,
  );
}

function send(res: ServerResponse, status: number, html: string): void {
  res.writeHead(status, {
    'content-type': 'text/html; charset=utf-8',
    'cache-control': 'no-store',
    // Nothing here needs a script, a frame or another origin.
    'content-security-policy': "default-src 'none'; style-src 'unsafe-inline'; form-action 'self' http: https:; frame-ancestors 'none'",
  });
  res.end(html);
}

async function readForm(req: IncomingMessage): Promise<URLSearchParams> {
  let size = 0;
  const chunks: Buffer[] = [];
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY_BYTES) throw new Error('form body too large');
    chunks.push(chunk as Buffer);
  }
  return new URLSearchParams(Buffer.concat(chunks).toString('utf8'));
}

/**
 * Answers `/interaction/{uid}[/login|/confirm|/abort]`; returns false for any other path (the
 * provider's own routes). Errors become a plain page naming what went wrong (an expired or
 * unknown interaction, usually), never a token.
 */
export async function handleInteraction(provider: Provider, req: IncomingMessage, res: ServerResponse): Promise<boolean> {
  const url = new URL(req.url ?? '/', 'http://localhost');
  if (!url.pathname.startsWith(INTERACTION_PATH)) return false;
  const [uid, action = '', ...rest] = url.pathname.slice(INTERACTION_PATH.length).split('/');
  if (!uid || !UID.test(uid) || rest.length > 0 || !['', 'login', 'confirm', 'abort'].includes(action)) {
    send(res, 404, page('Not found', '<p>There is no such page here.</p>'));
    return true;
  }
  try {
    const details = await provider.interactionDetails(req, res);
    if (details.uid !== uid) throw new Error('this sign-in belongs to another interaction');
    const clientId = String(details.params.client_id ?? '');
    const client = await provider.Client.find(clientId);
    const clientName = client?.clientName ?? clientId;

    if (action === 'abort') {
      // GET too: a Cancel link works the same as the form.
      await provider.interactionFinished(req, res, { error: 'access_denied', error_description: 'End-User aborted interaction' }, { mergeWithLastSubmission: false });
      return true;
    }
    if (req.method === 'POST' && action === 'login') {
      if (details.prompt.name !== 'login') throw new Error('this interaction does not ask for a sign-in');
      const login = (await readForm(req)).get('login')?.trim() ?? '';
      if (!login) {
        send(res, 400, loginPage(uid, clientName, ''));
        return true;
      }
      await provider.interactionFinished(req, res, { login: { accountId: login } }, { mergeWithLastSubmission: false });
      return true;
    }
    if (req.method === 'POST' && action === 'confirm') {
      if (details.prompt.name !== 'consent') throw new Error('this interaction does not ask for consent');
      await readForm(req);
      const accountId = details.session?.accountId;
      if (!accountId) throw new Error('no one is signed in for this interaction');
      const grant = details.grantId
        ? ((await provider.Grant.find(details.grantId)) ?? new provider.Grant({ accountId, clientId }))
        : new provider.Grant({ accountId, clientId });
      const missing = details.prompt.details as { missingOIDCScope?: string[]; missingOIDCClaims?: string[]; missingResourceScopes?: Record<string, string[]> };
      if (missing.missingOIDCScope) grant.addOIDCScope(missing.missingOIDCScope.join(' '));
      if (missing.missingOIDCClaims) grant.addOIDCClaims(missing.missingOIDCClaims);
      for (const [indicator, scopes] of Object.entries(missing.missingResourceScopes ?? {})) grant.addResourceScope(indicator, scopes.join(' '));
      await provider.interactionFinished(req, res, { consent: { grantId: await grant.save() } }, { mergeWithLastSubmission: true });
      return true;
    }
    if (req.method !== 'GET' || action !== '') {
      send(res, 405, page('Not allowed', '<p>This page only answers the forms it shows.</p>'));
      return true;
    }
    if (details.prompt.name === 'login') {
      send(res, 200, loginPage(uid, clientName, String(details.params.login_hint ?? '')));
    } else if (details.prompt.name === 'consent') {
      const scopes = String(details.params.scope ?? '').split(' ').filter(Boolean);
      send(res, 200, consentPage(uid, clientName, details.session?.accountId ?? '', scopes));
    } else {
      send(res, 501, page('Not supported', `<p>This demo server does not handle the ${escapeHtml(details.prompt.name)} prompt.</p>`));
    }
  } catch (error) {
    // oidc-provider's messages name the interaction's state (e.g. "interaction session not found"), never a token.
    const message = error instanceof Error ? error.message : String(error);
    if (!res.headersSent) {
      send(res, 400, page('Sign-in expired', `<p>This sign-in cannot go on: ${escapeHtml(message)}. Start again from the app.</p>`));
    }
  }
  return true;
}
