import { ConnectError } from './errors';

/**
 * Where the callback sends the browser back: a path of this app only. A single leading `/`,
 * no `//` (a protocol-relative URL is another host), no backslash (browsers read `/\evil` as
 * `//evil`), no control characters. Absent: `/`.
 */
export function checkReturnTo(value: string | null | undefined): string {
  if (value === null || value === undefined || value === '') return '/';
  const ok = value.startsWith('/') && !value.startsWith('//') && !value.includes('\\') && !/[\u0000-\u001f\u007f]/.test(value) && value.length <= 2000;
  if (!ok) throw new ConnectError('bad_return_to', 'The return address must be a page of this app (a path starting with a single "/").');
  return value;
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
