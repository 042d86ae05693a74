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

function describeCause(cause: unknown): string {
  if (cause instanceof Error) return `${cause.name}: ${cause.message}`.slice(0, 300);
  return String(cause).slice(0, 300);
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
