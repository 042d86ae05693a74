'use client';

import { PageFailure } from './_components/page-failure';

/** A page that fails to render (e.g. the database is unreachable) inside the root layout. */
export default function PageError({ error, retry }: { error: unknown; retry: () => void }) {
  return <PageFailure error={error} retry={retry} titleId="page-error-title" />;
}
