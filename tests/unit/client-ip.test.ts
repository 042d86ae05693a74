import { describe, expect, it } from 'vitest';
import { clientLimitKey, UNTRUSTED_CLIENT_KEY } from '../../lib/auth/client-ip';
import { readHealthAnswer } from '../../lib/providers/health-check';

const withHeaders = (headers: Record<string, string>) => new Request('http://app.test/api/auth/local-sign-in', { headers });

describe('clientLimitKey', () => {
  it("on Vercel, keys on the platform's x-forwarded-for first entry, else x-real-ip", () => {
    expect(clientLimitKey(withHeaders({ 'x-forwarded-for': '203.0.113.9, 10.0.0.1' }), { VERCEL: '1' }, null)).toBe('ip:203.0.113.9');
    expect(clientLimitKey(withHeaders({ 'x-real-ip': '198.51.100.4' }), { VERCEL: '1' }, null)).toBe('ip:198.51.100.4');
  });

  it('elsewhere ignores the client-set headers: the user where signed in, else one shared key', () => {
    const forged = withHeaders({ 'x-forwarded-for': '203.0.113.9', 'x-real-ip': '198.51.100.4' });
    expect(clientLimitKey(forged, {}, null)).toBe(UNTRUSTED_CLIENT_KEY);
    expect(clientLimitKey(forged, {}, { id: 'u-1' })).toBe('user:u-1');
    expect(clientLimitKey(withHeaders({}), { VERCEL: '1' }, { id: 'u-1' })).toBe('user:u-1');
  });
});

describe('readHealthAnswer', () => {
  it('judges by the status, and by the body where the provider data says so (Slack)', () => {
    expect(readHealthAnswer('github', 200, { login: 'x' })).toEqual({ kind: 'healthy' });
    expect(readHealthAnswer('github', 401, undefined)).toEqual({ kind: 'token_refused', error: 'http_401' });
    expect(readHealthAnswer('github', 503, undefined)).toEqual({ kind: 'failing', error: 'http_503' });
    expect(readHealthAnswer('slack', 200, { ok: true })).toEqual({ kind: 'healthy' });
    expect(readHealthAnswer('slack', 200, { ok: false, error: 'invalid_auth' })).toEqual({ kind: 'token_refused', error: 'invalid_auth' });
    expect(readHealthAnswer('slack', 200, { ok: false, error: 'ratelimited' })).toEqual({ kind: 'failing', error: 'ratelimited' });
    expect(readHealthAnswer('slack', 200, 'not json')).toEqual({ kind: 'failing', error: 'not_ok' });
  });
});
