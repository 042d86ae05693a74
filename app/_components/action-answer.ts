/**
 * A limited route's answer in words for the dashboard's buttons: the route's message, and for
 * a 429 (docs/contracts.md §3) when to try again, read from its `retry_after` and `reset_at`.
 */
export async function refusalText(response: Response): Promise<string> {
  if (!response.headers.get('content-type')?.includes('application/json')) return `the server answered ${response.status}`;
  // A malformed body throws here, and the caller shows that error instead.
  const body = (await response.json()) as { error?: unknown; message?: unknown; retry_after?: unknown; reset_at?: unknown };
  if (response.status === 429 && typeof body.retry_after === 'number') {
    const at = typeof body.reset_at === 'string' ? new Date(body.reset_at) : null;
    const when = at && !Number.isNaN(at.getTime()) ? ` (at ${at.toLocaleTimeString()})` : '';
    return `Too many tries. Try again in ${waitInWords(body.retry_after)}${when}.`;
  }
  if (typeof body.message === 'string') return body.message;
  if (typeof body.error === 'string') return body.error;
  return `the server answered ${response.status}`;
}

function waitInWords(seconds: number): string {
  if (seconds < 90) return `${seconds} second${seconds === 1 ? '' : 's'}`;
  const minutes = Math.ceil(seconds / 60);
  return `${minutes} minute${minutes === 1 ? '' : 's'}`;
}
