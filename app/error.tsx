'use client';

/**
 * What a page shows when it fails to render (e.g. the database is unreachable): words and a
 * way to try again, never the error itself (in production Next passes only a digest to match
 * the server's log line).
 */
export default function PageError({ error, retry }: { error: unknown; retry: () => void }) {
  const digest = error instanceof Error && 'digest' in error && typeof error.digest === 'string' ? error.digest : null;
  return (
    <section role="alert" aria-labelledby="page-error-title">
      <h1 id="page-error-title">This page could not be loaded</h1>
      <p>Tokenwarden could not reach what it needs to show it (its database may be unreachable). Your connections keep their tokens; try again in a moment.</p>
      {digest ? <p className="muted">Reference for the operators: {digest}</p> : null}
      <button type="button" onClick={() => retry()}>
        Try again
      </button>
    </section>
  );
}
