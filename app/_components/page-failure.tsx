'use client';

/**
 * What a page that failed to render says (e.g. the database is unreachable): words and a way
 * to try again, never the error itself. In production Next passes only a digest, which matches
 * the server's log line. Used by app/error.tsx and, inside its own document, app/global-error.tsx.
 */
export function PageFailure({ error, retry, titleId }: { error: unknown; retry: () => void; titleId: string }) {
  const digest = error instanceof Error && 'digest' in error && typeof error.digest === 'string' ? error.digest : null;
  return (
    <section role="alert" aria-labelledby={titleId}>
      <h1 id={titleId}>This page could not be loaded</h1>
      <p>Tokenwarden could not reach what it needs to show it (its database may be unreachable). Your connections keep their tokens; try again in a moment.</p>
      {digest ? <p className="muted">Reference for the operators: {digest}</p> : null}
      <button type="button" onClick={() => retry()}>
        Try again
      </button>
    </section>
  );
}
