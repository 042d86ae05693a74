/**
 * The one way a route reads a request body: at most MAX_BODY_BYTES, counted as the bytes
 * arrive (a Content-Length header is only a hint: a client may send none, or lie), then
 * parsed. A body over the limit answers 413 and a body that does not parse answers 400,
 * each with a JSON error that says why; nothing bigger than the limit is ever held in memory.
 */

/** 64 KiB: far above any form or JSON body Tokenwarden's routes accept. */
export const MAX_BODY_BYTES = 64 * 1024;

export type BodyResult<T> = { ok: true; value: T } | { ok: false; response: Response };

const tooLarge = (limit: number): BodyResult<never> => ({
  ok: false,
  response: Response.json(
    { error: 'Payload too large', message: `request body must be at most ${limit} bytes`, limit },
    { status: 413 },
  ),
});

const malformed = (message: string): BodyResult<never> => ({
  ok: false,
  response: Response.json({ error: 'Invalid input', field: null, message }, { status: 400 }),
});

/** The body's bytes, or null once it passes the limit (the rest is not read). */
async function readLimited(request: Request, limit: number): Promise<Uint8Array<ArrayBuffer> | null> {
  const declared = Number(request.headers.get('content-length'));
  if (Number.isFinite(declared) && declared > limit) return null;
  if (!request.body) return new Uint8Array(0);
  const reader = request.body.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.byteLength;
    if (total > limit) {
      await reader.cancel();
      return null;
    }
    chunks.push(value);
  }
  const bytes = new Uint8Array(total);
  let offset = 0;
  for (const chunk of chunks) {
    bytes.set(chunk, offset);
    offset += chunk.byteLength;
  }
  return bytes;
}

/** A JSON body: 413 over the limit, 400 when it is not JSON. */
export async function readJsonBody(request: Request, options: { limit?: number } = {}): Promise<BodyResult<unknown>> {
  const limit = options.limit ?? MAX_BODY_BYTES;
  const bytes = await readLimited(request, limit);
  if (!bytes) return tooLarge(limit);
  try {
    return { ok: true, value: JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes)) as unknown };
  } catch (error) {
    if (error instanceof SyntaxError || error instanceof TypeError) return malformed('body must be valid JSON');
    throw error;
  }
}

/** A form body (urlencoded or multipart): 413 over the limit, 400 when it is not a form. */
export async function readFormBody(request: Request, options: { limit?: number } = {}): Promise<BodyResult<FormData>> {
  const limit = options.limit ?? MAX_BODY_BYTES;
  const bytes = await readLimited(request, limit);
  if (!bytes) return tooLarge(limit);
  try {
    // The bytes are already in hand and counted; Response parses them as the request would have.
    const form = await new Response(bytes, { headers: { 'content-type': request.headers.get('content-type') ?? '' } }).formData();
    return { ok: true, value: form };
  } catch (error) {
    if (error instanceof TypeError) return malformed('body must be a form (application/x-www-form-urlencoded or multipart/form-data)');
    throw error;
  }
}
