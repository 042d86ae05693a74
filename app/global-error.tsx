'use client';

import './globals.css';

/**
 * When the root layout itself fails (it reads the unread count and the banners, so a signed-in
 * page fails here when the database is unreachable): its own document, words and a retry,
 * never the error itself.
 */
export default function GlobalError({ error, retry }: { error: unknown; retry: () => void }) {
  const digest = error instanceof Error && 'digest' in error && typeof error.digest === 'string' ? error.digest : null;
  return (
    <html lang="en">
      <body>
        <title>Tokenwarden is unavailable</title>
        <main>
          <section role="alert" aria-labelledby="global-error-title">
            <h1 id="global-error-title">This page could not be loaded</h1>
            <p>Tokenwarden could not reach what it needs to show it (its database may be unreachable). Your connections keep their tokens; try again in a moment.</p>
            {digest ? <p className="muted">Reference for the operators: {digest}</p> : null}
            <button type="button" onClick={() => retry()}>
              Try again
            </button>
          </section>
        </main>
      </body>
    </html>
  );
}
