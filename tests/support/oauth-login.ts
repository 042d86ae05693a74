/**
 * Plays the user at the bundled OAuth server's login and consent pages
 * (lib/demo/local-oauth-provider.ts with `loginPages: true`), over real HTTP: follows the
 * authorization URL, fills the sign-in form with `login`, accepts (or denies) consent, and
 * returns the redirect back to the app (its `/api/connect/callback?code&state` URL), without
 * following it. The browser test does the same in Chromium.
 */

export interface AuthorizeOptions {
  /** The login name: the account id (`sub`) of the grant. */
  login: string;
  /** Deny at the consent page instead (the provider answers `error=access_denied`). */
  deny?: boolean;
  /** Where the app's callback lives: the first redirect that starts with it is returned. */
  callbackPrefix: string;
}

interface Form {
  action: string;
  fields: Record<string, string>;
}

/** A form of the page and its hidden fields; `buttonName` picks the submit button's value when set. */
function formsOf(html: string): Form[] {
  const forms: Form[] = [];
  for (const match of html.matchAll(/<form\b([^>]*)>([\s\S]*?)<\/form>/gi)) {
    const action = /action="([^"]*)"/i.exec(match[1] ?? '')?.[1];
    if (!action) continue;
    const fields: Record<string, string> = {};
    for (const input of (match[2] ?? '').matchAll(/<input\b([^>]*)>/gi)) {
      const name = /name="([^"]*)"/i.exec(input[1] ?? '')?.[1];
      const value = /value="([^"]*)"/i.exec(input[1] ?? '')?.[1];
      if (name) fields[name] = decodeEntities(value ?? '');
    }
    forms.push({ action: decodeEntities(action), fields });
  }
  return forms;
}

function decodeEntities(text: string): string {
  return text.replaceAll('&amp;', '&').replaceAll('&quot;', '"').replaceAll('&#39;', "'").replaceAll('&lt;', '<').replaceAll('&gt;', '>');
}

class CookieJar {
  private readonly cookies = new Map<string, string>();

  take(response: Response): void {
    for (const line of response.headers.getSetCookie()) {
      const [pair] = line.split(';');
      const index = pair!.indexOf('=');
      const name = pair!.slice(0, index).trim();
      const value = pair!.slice(index + 1).trim();
      if (/expires=Thu, 01 Jan 1970/i.test(line) || value === '') this.cookies.delete(name);
      else this.cookies.set(name, value);
    }
  }

  header(): string {
    return [...this.cookies].map(([name, value]) => `${name}=${value}`).join('; ');
  }
}

/** Follows the provider's pages from `authorizationUrl` until it redirects to the app's callback. */
export async function authorizeAtLocalProvider(authorizationUrl: string, options: AuthorizeOptions): Promise<URL> {
  const jar = new CookieJar();
  let url = new URL(authorizationUrl);
  let method: 'GET' | 'POST' = 'GET';
  let body: URLSearchParams | undefined;
  for (let step = 0; step < 20; step += 1) {
    if (url.href.startsWith(options.callbackPrefix)) return url;
    const response = await fetch(url, {
      method,
      body,
      redirect: 'manual',
      headers: { cookie: jar.header(), ...(body ? { 'content-type': 'application/x-www-form-urlencoded' } : {}) },
    });
    jar.take(response);
    const location = response.headers.get('location');
    if (response.status >= 300 && response.status < 400 && location) {
      url = new URL(location, url);
      method = 'GET';
      body = undefined;
      continue;
    }
    const html = await response.text();
    if (response.status !== 200) throw new Error(`the OAuth server answered ${response.status} at ${url.pathname}: ${html.slice(0, 300)}`);
    const forms = formsOf(html);
    const form = forms.find((candidate) => 'login' in candidate.fields || candidate.fields.prompt === 'login') ?? forms[0];
    if (!form) throw new Error(`no form on the OAuth server's page at ${url.pathname}: ${html.slice(0, 300)}`);
    const fields = { ...form.fields };
    if ('login' in fields || fields.prompt === 'login') {
      fields.login = options.login;
      fields.password = 'demo';
    } else if (options.deny) {
      // A cancel link or form: the server then redirects back with error=access_denied.
      const abort = forms.find((candidate) => /abort|deny|cancel/i.test(candidate.action))?.action ?? /href="([^"]*(?:abort|deny|cancel)[^"]*)"/i.exec(html)?.[1];
      if (!abort) throw new Error(`no way to deny consent on the OAuth server's page at ${url.pathname}`);
      url = new URL(decodeEntities(abort), url);
      method = 'GET';
      body = undefined;
      continue;
    }
    url = new URL(form.action, url);
    method = 'POST';
    body = new URLSearchParams(fields);
  }
  throw new Error('the OAuth server did not redirect back to the app within 20 steps');
}
