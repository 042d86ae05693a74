/**
 * CSRF guard for form posts and JSON mutations: the browser's Origin (or, failing that,
 * Referer) must be this app's own origin. Cookies are SameSite=Lax as a second line.
 */
export function isSameOrigin(request: Request): boolean {
  const target = new URL(request.url);
  const host = request.headers.get('x-forwarded-host') ?? request.headers.get('host') ?? target.host;
  const source = request.headers.get('origin') ?? request.headers.get('referer');
  if (!source) return false;
  try {
    return new URL(source).host === host;
  } catch (error) {
    if (error instanceof TypeError) return false; // not a URL: not our origin
    throw error;
  }
}
