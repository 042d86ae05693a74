/**
 * One key segment from a caller's value (user id, IP, API key id, host code's key): base64url,
 * so it never contains `:` (segments cannot run into one another, so keys of different users or
 * platforms never collide) nor a glob character (`*?[]`, which a SCAN pattern would read).
 */
export function keySegment(value: string): string {
  return Buffer.from(value, 'utf8').toString('base64url');
}
