import { describe, expect, it } from 'vitest';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { MAX_BODY_BYTES, readFormBody, readJsonBody } from '../../lib/http/read-body';

/** A request whose body arrives in chunks, with no Content-Length (or a false one). */
function streamed(chunks: Uint8Array[], headers: Record<string, string> = {}): { request: Request; pulled: () => number } {
  let pulled = 0;
  const body = new ReadableStream<Uint8Array>({
    pull(controller) {
      const chunk = chunks[pulled];
      pulled += 1;
      if (chunk) controller.enqueue(chunk);
      else controller.close();
    },
  }, { highWaterMark: 0 }); // pulled only when read, so the test sees what was read
  const request = new Request('http://app.test/api/x', { method: 'POST', body, headers, duplex: 'half' } as RequestInit);
  return { request, pulled: () => pulled };
}

const kib = (n: number) => new Uint8Array(1024 * n).fill(0x20);

describe('readJsonBody', () => {
  it('parses a JSON body within the limit', async () => {
    const result = await readJsonBody(new Request('http://app.test/', { method: 'POST', body: '{"url":"https://hooks.example.com"}' }));
    expect(result).toEqual({ ok: true, value: { url: 'https://hooks.example.com' } });
  });

  it('refuses a body declared larger than the limit with 413 naming the limit, without reading it', async () => {
    const { request, pulled } = streamed([kib(1)], { 'content-length': String(MAX_BODY_BYTES + 1) });
    const result = await readJsonBody(request);
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.response.status).toBe(413);
    expect(await result.response.json()).toEqual({
      error: 'Payload too large',
      message: `request body must be at most ${MAX_BODY_BYTES} bytes`,
      limit: MAX_BODY_BYTES,
    });
    expect(pulled()).toBe(0);
  });

  it('counts the bytes of a streamed body with no Content-Length and stops reading past the limit', async () => {
    const { request, pulled } = streamed(Array.from({ length: 200 }, () => kib(1)));
    const result = await readJsonBody(request);
    expect(result.ok ? 200 : result.response.status).toBe(413);
    // 65 chunks of 1 KiB pass the limit; the other 135 are never pulled.
    expect(pulled()).toBeLessThan(70);
  });

  it('does not trust a Content-Length that understates the body', async () => {
    const { request } = streamed(Array.from({ length: 80 }, () => kib(1)), { 'content-length': '10' });
    const result = await readJsonBody(request);
    expect(result.ok ? 200 : result.response.status).toBe(413);
  });

  it('accepts a body of exactly the limit', async () => {
    const json = new TextEncoder().encode(`"${'a'.repeat(MAX_BODY_BYTES - 2)}"`);
    const result = await readJsonBody(streamed([json.subarray(0, 40_000), json.subarray(40_000)]).request);
    expect(result.ok).toBe(true);
  });

  it.each([
    ['not JSON', 'url=https://x'],
    ['truncated JSON', '{"url": "https://x'],
    ['an empty body', ''],
  ])('refuses %s with 400 saying the body must be JSON', async (_label, text) => {
    const result = await readJsonBody(new Request('http://app.test/', { method: 'POST', body: text }));
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.response.status).toBe(400);
    expect(await result.response.json()).toEqual({ error: 'Invalid input', field: null, message: 'body must be valid JSON' });
  });

  it('refuses bytes that are not UTF-8 as malformed', async () => {
    const result = await readJsonBody(streamed([new Uint8Array([0x22, 0xff, 0xfe, 0x22])]).request);
    expect(result.ok ? 200 : result.response.status).toBe(400);
  });
});

describe('readFormBody', () => {
  it('parses an urlencoded form within the limit', async () => {
    const result = await readFormBody(
      new Request('http://app.test/', { method: 'POST', body: new URLSearchParams({ email: 'dana@example.com' }) }),
    );
    expect(result.ok && result.value.get('email')).toBe('dana@example.com');
  });

  it('refuses a form over the limit with 413', async () => {
    const { request } = streamed([new TextEncoder().encode('email='), ...Array.from({ length: 70 }, () => kib(1))], {
      'content-type': 'application/x-www-form-urlencoded',
    });
    const result = await readFormBody(request);
    expect(result.ok ? 200 : result.response.status).toBe(413);
  });

  it('refuses a body that is not a form with 400 naming what it must be', async () => {
    const result = await readFormBody(
      new Request('http://app.test/', { method: 'POST', body: '{"email":"x"}', headers: { 'content-type': 'application/json' } }),
    );
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.response.status).toBe(400);
    expect((await result.response.json()).message).toMatch(/body must be a form/);
  });
});

describe('route handlers', () => {
  function files(dir: string): string[] {
    return readdirSync(dir).flatMap((name) => {
      const path = join(dir, name);
      return statSync(path).isDirectory() ? files(path) : [path];
    });
  }

  it('read request bodies only through lib/http/read-body', () => {
    const root = join(import.meta.dirname, '..', '..');
    const readers = /\b(?:request|req)\s*\.\s*(?:json|formData|text|arrayBuffer|blob|body)\b/;
    const offenders = files(join(root, 'app'))
      .filter((path) => /\.(ts|tsx)$/.test(path))
      .filter((path) => readers.test(readFileSync(path, 'utf8')))
      .map((path) => relative(root, path));
    expect(offenders).toEqual([]);
  });
});
