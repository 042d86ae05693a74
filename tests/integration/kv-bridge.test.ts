import { createHash, randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startUpstashBridge, type UpstashBridge } from '../support/upstash-bridge';

/** The test bridge speaks Upstash's REST protocol as @upstash/redis expects it. */
describe('Upstash REST bridge to Redis', () => {
  let bridge: UpstashBridge;
  const key = `bridge-test:${randomUUID()}`;
  beforeAll(async () => {
    bridge = await startUpstashBridge();
  });
  afterAll(async () => {
    await fetch(bridge.url, { method: 'POST', headers: auth(), body: JSON.stringify(['DEL', key, `${key}:n`]) });
    await bridge.close();
  });
  const auth = (extra: Record<string, string> = {}) => ({ authorization: `Bearer ${bridge.token}`, ...extra });
  const post = async (path: string, body: unknown, headers: Record<string, string> = {}) => {
    const res = await fetch(`${bridge.url}${path}`, { method: 'POST', headers: auth(headers), body: JSON.stringify(body) });
    return { status: res.status, body: (await res.json()) as unknown };
  };

  it('refuses a missing or wrong bearer token', async () => {
    const res = await fetch(bridge.url, { method: 'POST', headers: { authorization: 'Bearer nope' }, body: '["PING"]' });
    expect(res.status).toBe(401);
    expect(await res.json()).toEqual({ error: 'Unauthorized' });
  });

  it('answers one command, plain or base64 when asked', async () => {
    expect(await post('/', ['SET', key, 'héllo wörld'])).toEqual({ status: 200, body: { result: 'OK' } });
    expect(await post('/', ['GET', key])).toEqual({ status: 200, body: { result: 'héllo wörld' } });
    expect(await post('/', ['GET', key], { 'Upstash-Encoding': 'base64' })).toEqual({
      status: 200,
      body: { result: Buffer.from('héllo wörld').toString('base64') },
    });
    expect(await post('/', ['INCRBY', `${key}:n`, 5], { 'Upstash-Encoding': 'base64' })).toEqual({ status: 200, body: { result: 5 } });
    expect(await post('/', ['GET', `${key}:missing`])).toEqual({ status: 200, body: { result: null } });
  });

  it('answers an error as { error } with 400', async () => {
    const answer = await post('/', ['INCR', key]);
    expect(answer.status).toBe(400);
    expect(answer.body).toEqual({ error: expect.stringMatching(/^ERR value is not an integer/) });
  });

  it('pipeline: one result or error per command, in order', async () => {
    const answer = await post('/pipeline', [
      ['SET', `${key}:n`, '1'],
      ['INCR', `${key}:n`],
      ['INCR', key],
      ['GET', `${key}:n`],
    ]);
    expect(answer).toEqual({
      status: 200,
      body: [{ result: 'OK' }, { result: 2 }, { error: expect.stringMatching(/not an integer/) }, { result: '2' }],
    });
  });

  it('multi-exec: the commands as one transaction', async () => {
    const answer = await post('/multi-exec', [
      ['SET', `${key}:n`, '10'],
      ['INCRBY', `${key}:n`, 5],
      ['GET', `${key}:n`],
    ], { 'Upstash-Encoding': 'base64' });
    expect(answer).toEqual({ status: 200, body: [{ result: 'OK' }, { result: 15 }, { result: Buffer.from('15').toString('base64') }] });
  });

  it('runs a script whose shebang carries a flag Redis 7.0 refuses, and finds it again by the client’s hash', async () => {
    const script = '#!lua flags=allow-key-locking,no-writes\nreturn {KEYS[1], ARGV[1]}';
    const hash = createHash('sha1').update(script).digest('hex');
    expect(await post('/', ['EVALSHA', `${'0'.repeat(39)}1`, 1, 'k', 'a'])).toEqual({ status: 400, body: { error: expect.stringMatching(/^NOSCRIPT/) } });
    expect(await post('/', ['EVAL', script, 1, 'k', 'a'])).toEqual({ status: 200, body: { result: ['k', 'a'] } });
    expect(await post('/', ['EVALSHA', hash, 1, 'k2', 'b'])).toEqual({ status: 200, body: { result: ['k2', 'b'] } });
    const loaded = '#!lua flags=allow-key-locking\nreturn 7';
    expect(await post('/', ['SCRIPT', 'LOAD', loaded])).toEqual({ status: 200, body: { result: createHash('sha1').update(loaded).digest('hex') } });
    expect(await post('/', ['EVALSHA', createHash('sha1').update(loaded).digest('hex'), 0])).toEqual({ status: 200, body: { result: 7 } });
  });
});
