import { describe, expect, it, vi } from 'vitest';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { z } from 'zod';
import { createWithUser, NotFoundError, UserInputError, type WithUserDeps } from '../../lib/auth/with-user';
import type { SessionUser } from '../../lib/auth/session';
import type { OrganizationRole } from '../../lib/db/organization-members';

const ORG = '00000000-0000-4000-8000-000000000001';
const alice: SessionUser = { id: 'u-alice', email: 'alice@example.com', via: 'local' };

class LimitError extends Error {}

/** withUser over stand-in deps: who is signed in and their roles, nothing else. */
function wrapper(user: SessionUser | null, roles: Record<string, OrganizationRole> = {}) {
  const deps: WithUserDeps = {
    resolveUser: async () => user,
    organizationRole: async (_userId, orgId) => roles[orgId] ?? null,
    mapError: (error) => (error instanceof LimitError ? { status: 409, body: { error: 'Limit reached' } } : null),
  };
  return createWithUser(() => deps);
}

const noParams = { params: Promise.resolve({}) };
const orgParams = { params: Promise.resolve({ orgId: ORG }) };
const params = z.object({ orgId: z.uuid('must be an organization id (uuid)') });

function post(body: unknown, headers: Record<string, string> = {}): Request {
  return new Request('http://app.test/api/x', { method: 'POST', body: JSON.stringify(body), headers: { host: 'app.test', ...headers } });
}

describe('withUser', () => {
  it('answers 401 JSON without a session, and never calls the handler', async () => {
    const handler = vi.fn(async () => ({ ok: true }));
    const response = await wrapper(null)({}, handler)(new Request('http://app.test/api/x'), noParams);
    expect(response.status).toBe(401);
    expect(await response.json()).toEqual({ error: 'Unauthorized', message: 'Sign in first' });
    expect(response.headers.get('cache-control')).toBe('no-store');
    expect(handler).not.toHaveBeenCalled();
  });

  it('refuses a cookie-session mutation from another origin (or none) with 403', async () => {
    const route = wrapper(alice)({}, async () => ({ ok: true }));
    const crossSite = await route(post({}, { origin: 'https://evil.example' }), noParams);
    expect(crossSite.status).toBe(403);
    expect(await crossSite.json()).toEqual({ error: 'Cross-site request refused' });
    expect((await route(post({}), noParams)).status).toBe(403);
    expect((await route(post({}, { origin: 'http://app.test' }), noParams)).status).toBe(200);
  });

  it('answers 404 before the 401 and the cross-site 403 to anyone a visibleTo route is not for', async () => {
    const handler = vi.fn(async () => ({ ok: true }));
    const operatorsOnly = async (who: SessionUser | null) => who?.id === 'u-operator';
    for (const who of [null, alice]) {
      const route = wrapper(who)({ visibleTo: operatorsOnly }, handler);
      for (const request of [post({}, { origin: 'https://evil.example' }), post({}), new Request('http://app.test/api/x')]) {
        const response = await route(request, noParams);
        expect(response.status).toBe(404);
        expect(await response.json()).toEqual({ error: 'Not found' });
      }
    }
    expect(handler).not.toHaveBeenCalled();
    const operator = wrapper({ ...alice, id: 'u-operator' })({ visibleTo: operatorsOnly }, handler);
    expect((await operator(post({}, { origin: 'https://evil.example' }), noParams)).status).toBe(403);
    expect((await operator(post({}, { origin: 'http://app.test' }), noParams)).status).toBe(200);
  });

  it('lets a bearer-token client mutate without an Origin header', async () => {
    const route = wrapper({ ...alice, via: 'supabase_bearer' })({}, async () => ({ ok: true }));
    const response = await route(post({}), noParams);
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ ok: true });
  });

  it('answers 400 naming the bad field of params, query and body', async () => {
    const route = wrapper(alice)(
      { params, query: z.strictObject({ days: z.coerce.number().int('must be a whole number').default(7) }), body: z.object({ url: z.url('must be a URL') }) },
      async ({ body }) => ({ url: body.url }),
    );
    const badParam = await route(post({ url: 'https://x.example' }, { origin: 'http://app.test' }), { params: Promise.resolve({ orgId: 'nope' }) });
    expect(badParam.status).toBe(400);
    expect(await badParam.json()).toEqual({ error: 'Invalid input', field: 'orgId', message: 'must be an organization id (uuid)' });
    const badQuery = await route(new Request('http://app.test/api/x?days=1.5', { method: 'POST', body: '{}', headers: { origin: 'http://app.test', host: 'app.test' } }), orgParams);
    expect(await badQuery.json()).toEqual({ error: 'Invalid input', field: 'days', message: 'must be a whole number' });
    const badBody = await route(post({ url: 'not a url' }, { origin: 'http://app.test' }), orgParams);
    expect(badBody.status).toBe(400);
    expect(await badBody.json()).toEqual({ error: 'Invalid input', field: 'url', message: 'must be a URL' });
    const notJson = await route(new Request('http://app.test/api/x', { method: 'POST', body: '{', headers: { origin: 'http://app.test', host: 'app.test' } }), orgParams);
    expect(notJson.status).toBe(400);
    expect(notJson.headers.get('cache-control')).toBe('no-store');
  });

  it('answers 404 to a non-member, so an organization does not show it exists', async () => {
    const handler = vi.fn(async () => ({ ok: true }));
    const response = await wrapper(alice, {})({ params, role: 'member' }, handler)(new Request('http://app.test/api/x'), orgParams);
    expect(response.status).toBe(404);
    expect(await response.json()).toEqual({ error: 'Not found' });
    expect(handler).not.toHaveBeenCalled();
  });

  it('answers 403 to a member without the role the route needs, and lets owners and admins in', async () => {
    const handler = async () => ({ ok: true });
    const asMember = await wrapper(alice, { [ORG]: 'member' })({ params, role: 'manager' }, handler)(new Request('http://app.test/api/x'), orgParams);
    expect(asMember.status).toBe(403);
    expect(await asMember.json()).toEqual({ error: 'Forbidden', message: 'Needs the manager role in this organization' });
    for (const role of ['owner', 'admin'] as const) {
      expect((await wrapper(alice, { [ORG]: role })({ params, role: 'manager' }, handler)(new Request('http://app.test/api/x'), orgParams)).status).toBe(200);
    }
    expect((await wrapper(alice, { [ORG]: 'member' })({ params, role: 'member' }, handler)(new Request('http://app.test/api/x'), orgParams)).status).toBe(200);
  });

  it('answers 404 to a member without the role when the route hides the organization from members', async () => {
    const response = await wrapper(alice, { [ORG]: 'member' })({ params, role: 'manager', hideFromMembers: true }, async () => ({ ok: true }))(
      new Request('http://app.test/api/x'),
      orgParams,
    );
    expect(response.status).toBe(404);
    expect(await response.json()).toEqual({ error: 'Not found' });
  });

  it('maps typed errors to statuses, and anything else to a 500 without its message or stack', async () => {
    const throwing = (error: Error) => wrapper(alice)({}, async () => Promise.reject(error))(new Request('http://app.test/api/x'), noParams);
    const input = await throwing(new UserInputError('url', 'must be public'));
    expect([input.status, await input.json()]).toEqual([400, { error: 'Invalid input', field: 'url', message: 'must be public' }]);
    const missing = await throwing(new NotFoundError('id'));
    expect([missing.status, await missing.json()]).toEqual([404, { error: 'Not found', field: 'id' }]);
    const limit = await throwing(new LimitError('too many'));
    expect([limit.status, await limit.json()]).toEqual([409, { error: 'Limit reached' }]);
    const log = vi.spyOn(console, 'error').mockImplementation(() => undefined);
    const crash = await throwing(new Error('token tw_secret_abc leaked'));
    log.mockRestore();
    expect(crash.status).toBe(500);
    const text = await crash.text();
    expect(JSON.parse(text)).toEqual({ error: 'Internal error' });
    expect(text).not.toContain('tw_secret_abc');
  });

  it('sets Cache-Control: no-store on every answer, including a Response the handler built', async () => {
    const plain = await wrapper(alice)({}, async () => ({ ok: true }))(new Request('http://app.test/api/x'), noParams);
    expect(plain.headers.get('cache-control')).toBe('no-store');
    const built = await wrapper(alice)({}, async () => Response.json({ ok: true }, { status: 201 }))(new Request('http://app.test/api/x'), noParams);
    expect([built.status, built.headers.get('cache-control')]).toEqual([201, 'no-store']);
    const redirect = await wrapper(alice)({}, async () => Response.redirect('http://app.test/', 303))(new Request('http://app.test/api/x'), noParams);
    expect([redirect.status, redirect.headers.get('location'), redirect.headers.get('cache-control')]).toEqual([303, 'http://app.test/', 'no-store']);
  });

  it('answers a signed-out visitor on an anonymous route, still same-origin only for mutations', async () => {
    const route = wrapper(null)({ anonymous: true }, async ({ user }) => ({ signedIn: user !== null }));
    expect(await (await route(post({}, { origin: 'http://app.test' }), noParams)).json()).toEqual({ signedIn: false });
    expect((await route(post({}), noParams)).status).toBe(403);
  });
});

describe('user routes', () => {
  function files(dir: string): string[] {
    return readdirSync(dir).flatMap((name) => {
      const path = join(dir, name);
      return statSync(path).isDirectory() ? files(path) : [path];
    });
  }

  it('every route under app/api but cron and local sign-in goes through withUser', () => {
    const root = join(import.meta.dirname, '..', '..');
    const exempt = (path: string) => path.startsWith('app/api/cron/') || path === 'app/api/auth/local-sign-in/route.ts';
    const routes = files(join(root, 'app', 'api'))
      .map((path) => relative(root, path))
      .filter((path) => /route\.tsx?$/.test(path) && !exempt(path));
    expect(routes.length).toBeGreaterThan(5);
    const offenders = routes.filter((path) => {
      const source = readFileSync(join(root, path), 'utf8');
      const exported = [...source.matchAll(/export\s+(?:async\s+function|const)\s+(GET|POST|PUT|PATCH|DELETE)\b[^\n]*/g)].map((m) => m[0]);
      return exported.length === 0 || exported.some((line) => !/=\s*withUser\(/.test(line));
    });
    expect(offenders).toEqual([]);
  });
});
