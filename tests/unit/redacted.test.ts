import { inspect } from 'node:util';
import * as oauth from 'oauth4webapi';
import { describe, expect, it } from 'vitest';
import { redacted } from '../../lib/refresh/provider-call';

describe('redacted (lib/refresh/provider-call.ts)', () => {
  it('blanks the given secrets out of the message', () => {
    const copy = redacted(new Error('refused rt-secret-1 for %2Fsecret'), ['rt-secret-1', '/secret']) as Error;
    expect(copy.message).toBe('refused [redacted] for [redacted]');
    expect(inspect(copy)).not.toContain('rt-secret-1');
  });

  it('keeps an error with nothing to hide as it is', () => {
    const error = new TypeError('fetch failed');
    expect(redacted(error, ['x-secret'])).toBe(error);
  });

  it('never keeps a structured cause: oauth4webapi puts the whole token answer there', async () => {
    const response = Response.json({ access_token: 'at-leaky', refresh_token: 'rt-leaky', token_type: 'Bearer', expires_in: 'soon' });
    const error = await oauth
      .processRefreshTokenResponse({ issuer: 'https://as.example' }, { client_id: 'c' }, response)
      .catch((thrown: unknown) => thrown);
    expect(error).toBeInstanceOf(oauth.OperationProcessingError);
    expect(inspect(error, { depth: null })).toContain('rt-leaky'); // what would have been kept
    const copy = redacted(error, []) as Error & { code?: string };
    expect(copy.cause).toBeUndefined();
    expect(copy).toMatchObject({ name: 'OperationProcessingError', code: oauth.INVALID_RESPONSE });
    const deep = inspect(copy, { depth: null, showHidden: true });
    expect(deep).not.toContain('at-leaky');
    expect(deep).not.toContain('rt-leaky');
  });
});
