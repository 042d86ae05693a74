'use client';

import { useRouter } from 'next/navigation';
import { useState } from 'react';

/** Marks one notification (or all) read through the API, then re-renders the page. */
export function MarkRead({ id, label }: { id?: string; label: string }) {
  const router = useRouter();
  const [busy, setBusy] = useState(false);
  const [failed, setFailed] = useState(false);
  return (
    <button
      type="button"
      disabled={busy}
      onClick={async () => {
        setBusy(true);
        setFailed(false);
        try {
          const response = await fetch(id ? `/api/notifications/${id}/read` : '/api/notifications/read-all', { method: 'POST' });
          if (!response.ok) setFailed(true);
          else router.refresh();
        } catch (error) {
          // The request never got an answer (offline, server gone): say so and let them retry, not a button stuck disabled.
          console.warn('marking read failed', error);
          setFailed(true);
        } finally {
          setBusy(false);
        }
      }}
    >
      {failed ? 'Try again' : label}
    </button>
  );
}
