import { z } from 'zod';
import type { ListCursor } from '@/lib/db/integrations';

/**
 * The dashboard list's cursor in a URL: the sort key of a row (lib/db/integrations.ts
 * ListCursor) as base64url JSON, opaque to the user. Decoding validates every part, so a
 * hand-edited or truncated cursor never reaches SQL: it is null, and the page shows the first
 * page with a notice.
 */

/** PostgreSQL's text of a timestamptz (`2026-12-02 03:00:00.123456+00`) or `infinity` (no expiry). */
const PG_TIMESTAMPTZ = /^(infinity|\d{4}-\d\d-\d\d \d\d:\d\d:\d\d(\.\d{1,6})?[+-]\d\d(:\d\d){0,2})$/;

const cursorSchema = z.tuple([
  z.number().int().min(0).max(3),
  z.string().max(40).regex(PG_TIMESTAMPTZ),
  z.string().regex(/^[a-z][a-z0-9_]{1,39}$/),
  z.uuid(),
]);

export function encodeListCursor(cursor: ListCursor): string {
  return Buffer.from(JSON.stringify([cursor.rank, cursor.expires, cursor.provider, cursor.id]), 'utf8').toString('base64url');
}

/** The cursor, or null when the value is not one this page made. */
export function decodeListCursor(value: string): ListCursor | null {
  if (value.length > 300 || !/^[A-Za-z0-9_-]+$/.test(value)) return null;
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(value, 'base64url').toString('utf8'));
  } catch (error) {
    if (error instanceof SyntaxError) return null; // not JSON: not our cursor
    throw error;
  }
  const checked = cursorSchema.safeParse(parsed);
  if (!checked.success) return null;
  const [rank, expires, provider, id] = checked.data;
  return { rank, expires, provider, id };
}
