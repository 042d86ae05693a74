import { describe, expect, it } from 'vitest';
import { KvUnavailableError } from '../../lib/kv/errors';

/**
 * KvUnavailableError's message is what the outage log prints (lib/kv/kv-log.ts). @upstash/redis
 * words a refused command as `<Redis error>, command was: <the whole command as JSON>`, and a
 * cache write's command holds the value (a session's user id and email): the message keeps the
 * Redis error and drops the command, the cause is kept whole.
 */
describe('KvUnavailableError', () => {
  it("keeps the Redis error of an Upstash refusal, not the command's values", () => {
    const cause = new Error('OOM command not allowed when used memory > maxmemory, command was: ["set","tw:cache:session:abc","{\\"v\\":{\\"identity\\":{\\"email\\":\\"who@example.com\\"}}}","px","60000"]');
    const error = new KvUnavailableError('cache set', { cause });
    expect(error.message).toContain('OOM command not allowed');
    expect(error.message).not.toContain('who@example.com');
    expect(error.message).not.toContain('tw:cache:session');
    expect(error.cause).toBe(cause);
  });

  it('keeps other causes as they are', () => {
    expect(new KvUnavailableError('limit sign_in', { cause: new Error('fetch failed') }).message).toBe('KV store unavailable during limit sign_in: Error: fetch failed');
  });
});
