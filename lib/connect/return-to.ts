import { ConnectError } from './errors';

/**
 * Where the callback sends the browser back: a path of this app only. A single leading `/`,
 * no `//` (a protocol-relative URL is another host), no backslash (browsers read `/\evil` as
 * `//evil`), no control characters. Absent: `/`.
 * The path part (before `?` or `#`) is also checked as a browser or a router may read it:
 * percent-decoded (`/%2F%2Fevil`), and with no `//` anywhere, since a dot segment turns
 * `/.//evil` into `//evil`.
 */
export function checkReturnTo(value: string | null | undefined): string {
  if (value === null || value === undefined || value === '') return '/';
  const ok = value.startsWith('/') && !value.startsWith('//') && !value.includes('\\') && !CONTROL.test(value) && value.length <= 2000 && isPlainPath(value.split(/[?#]/, 1)[0]!);
  if (!ok) throw new ConnectError('bad_return_to', 'The return address must be a page of this app (a path starting with a single "/").');
  return value;
}

const CONTROL = /[\u0000-\u001f\u007f]/;

function isPlainPath(path: string): boolean {
  let decoded: string;
  try {
    decoded = decodeURIComponent(path);
  } catch (error) {
    if (error instanceof URIError) return false; // a broken escape: not a path we wrote
    throw error;
  }
  return [path, decoded].every((form) => !form.includes('//') && !form.includes('\\') && !CONTROL.test(form));
}

/** `return_to` with the outcome added to its query; resolved against the app's origin so it cannot leave it. */
export function returnUrl(appUrl: string, returnTo: string, query: Record<string, string>): string {
  const origin = new URL(appUrl).origin;
  const url = new URL(returnTo, origin);
  // Belt and braces: a path that somehow resolved elsewhere goes home instead.
  const target = url.origin === origin ? url : new URL('/', origin);
  for (const [key, value] of Object.entries(query)) target.searchParams.set(key, value);
  return target.href;
}
