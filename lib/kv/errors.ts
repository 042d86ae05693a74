/**
 * The KV store (Upstash Redis REST, or the in-process store) could not answer: unreachable,
 * too slow (every call is bounded, lib/kv/store.ts), or it refused the command. Callers decide
 * by the limit's `whenKvDown` (lib/kv/limits.ts) whether that fails open or closed.
 */
export class KvUnavailableError extends Error {
  constructor(readonly operation: string, options: { cause: unknown }) {
    super(`KV store unavailable during ${operation}: ${describeCause(options.cause)}`, options);
    this.name = 'KvUnavailableError';
  }
}

/**
 * @upstash/redis words a refused command `<Redis error>, command was: <the command as JSON>`
 * (its HttpClient); the command holds the values written (a cached session's email), so the
 * message, which the outage log prints, stops before it. The cause keeps everything.
 */
const UPSTASH_COMMAND_ECHO = ', command was: ';

function describeCause(cause: unknown): string {
  const text = cause instanceof Error ? `${cause.name}: ${cause.message}` : String(cause);
  const echo = text.indexOf(UPSTASH_COMMAND_ECHO);
  return (echo === -1 ? text : text.slice(0, echo)).slice(0, 300);
}

/** Runs one store call; any failure becomes a KvUnavailableError naming the operation. */
export async function kvCall<T>(operation: string, call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (error) {
    if (error instanceof KvUnavailableError) throw error;
    throw new KvUnavailableError(operation, { cause: error });
  }
}
