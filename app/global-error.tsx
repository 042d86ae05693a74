'use client';

import './globals.css';
import { PageFailure } from './_components/page-failure';

/**
 * When the root layout itself fails (it reads the unread count and the banners, so a signed-in
 * page fails here when the database is unreachable): its own document around the same words.
 */
export default function GlobalError({ error, retry }: { error: unknown; retry: () => void }) {
  return (
    <html lang="en">
      <body>
        <title>Tokenwarden is unavailable</title>
        <main>
          <PageFailure error={error} retry={retry} titleId="global-error-title" />
        </main>
      </body>
    </html>
  );
}
