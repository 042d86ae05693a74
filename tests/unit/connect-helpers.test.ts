import { describe, expect, it } from 'vitest';
import { ConnectError, safeCode } from '../../lib/connect/errors';
import { connectPage, escapeHtml } from '../../lib/connect/page';
import { checkReturnTo, returnUrl } from '../../lib/connect/return-to';
import { bindingCookie, bindingCookieName, bindingMatches, clearedBindingCookie, randomToken, sha256Hex } from '../../lib/connect/session-cookie';

describe('connect helpers', () => {
  it('accepts only same-origin paths as return_to', () => {
    expect(checkReturnTo(undefined)).toBe('/');
    expect(checkReturnTo('')).toBe('/');
    expect(checkReturnTo('/integrations/x/reconnect?tab=1')).toBe('/integrations/x/reconnect?tab=1');
    for (const bad of ['//evil.example', '/\\evil.example', 'https://evil.example/', 'evil', '/a\nb', ' /x']) {
      expect(() => checkReturnTo(bad), bad).toThrow(ConnectError);
    }
    // Read as a browser or a router may: dot segments, percent-encoded slashes, backslashes and controls.
    for (const bad of ['/.//evil.example', '/a/..//evil.example', '/%2F%2Fevil.example', '/%2f/evil.example', '/%5Cevil.example', '/%5C%5Cevil.example', '/x%09/', '/x%0a', '/%E0%A4%A']) {
      expect(() => checkReturnTo(bad), bad).toThrow(ConnectError);
    }
    expect(checkReturnTo('/integrations?next=https://app.example/x')).toBe('/integrations?next=https://app.example/x');
    expect(checkReturnTo('/caf%C3%A9')).toBe('/caf%C3%A9');
  });

  it('adds the outcome to return_to and never leaves the app origin', () => {
    expect(returnUrl('https://app.example.com', '/?a=1', { connect: 'connected', integration: 'i' })).toBe('https://app.example.com/?a=1&connect=connected&integration=i');
    expect(returnUrl('https://app.example.com/base', '/x', {})).toBe('https://app.example.com/x');
  });

  it('binds a flow to the browser with a cookie only the callback receives', () => {
    const stateHash = sha256Hex('state');
    const value = randomToken();
    expect(bindingCookieName(stateHash)).toBe(`tw_connect_${stateHash.slice(0, 16)}`);
    expect(bindingCookie(stateHash, value, 'http://127.0.0.1:3000')).toBe(`${bindingCookieName(stateHash)}=${value}; HttpOnly; SameSite=Lax; Path=/api/connect/callback; Max-Age=600`);
    expect(bindingCookie(stateHash, value, 'https://app.example.com')).toMatch(/; Secure$/);
    expect(clearedBindingCookie(stateHash, 'https://app.example.com')).toMatch(/=; HttpOnly; SameSite=Lax; Path=\/api\/connect\/callback; Max-Age=0; Secure$/);
    expect(bindingMatches(value, sha256Hex(value))).toBe(true);
    expect(bindingMatches(`${value}x`, sha256Hex(value))).toBe(false);
    expect(bindingMatches(undefined, sha256Hex(value))).toBe(false);
    expect(bindingMatches(value, 'not-hex')).toBe(false);
  });

  it('escapes every value of the outcome page and shows a provider code only when it is plain', async () => {
    expect(escapeHtml(`<script>"'&`)).toBe('&lt;script&gt;&quot;&#39;&amp;');
    const page = connectPage({ status: 409, title: 'A <b>', message: 'as <img src=x onerror=alert(1)>', code: 'wrong_account' });
    expect(page.status).toBe(409);
    expect(page.headers.get('cache-control')).toBe('no-store');
    const html = await page.text();
    expect(html).not.toContain('<img');
    expect(html).toContain('&lt;img src=x onerror=alert(1)&gt;');
    expect(safeCode('access_denied')).toBe('access_denied');
    expect(safeCode('bad <html> code')).toBe('unknown');
    expect(safeCode(null)).toBe('unknown');
  });
});
