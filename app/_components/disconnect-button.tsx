'use client';

import { useRouter } from 'next/navigation';
import { useState } from 'react';

/**
 * Disconnects one connection through POST /api/integrations/{id}/disconnect (withUser,
 * same-origin), after the user confirms; then re-renders the page. A refusal shows the
 * route's JSON error in words.
 */
export function DisconnectButton({ id, name }: { id: string; name: string }) {
  const router = useRouter();
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  return (
    <span className="disconnect">
      <button
        type="button"
        disabled={busy}
        aria-label={`Disconnect ${name}`}
        onClick={async () => {
          if (!window.confirm(`Disconnect ${name}? Tokenwarden revokes its access at the provider and stops renewing it.`)) return;
          setBusy(true);
          setError(null);
          try {
            const response = await fetch(`/api/integrations/${encodeURIComponent(id)}/disconnect`, {
              method: 'POST',
              credentials: 'same-origin',
              headers: { accept: 'application/json' },
            });
            if (response.ok) {
              router.refresh();
              return;
            }
            setError(await errorText(response));
          } catch (failure) {
            setError(failure instanceof Error ? failure.message : String(failure));
          } finally {
            setBusy(false);
          }
        }}
      >
        {busy ? 'Disconnecting…' : 'Disconnect'}
      </button>
      {error ? (
        <span role="alert" className="error">
          Could not disconnect: {error}
        </span>
      ) : null}
    </span>
  );
}

/** The route's `{ error, message }` JSON in words, else the HTTP status. */
async function errorText(response: Response): Promise<string> {
  if (!response.headers.get('content-type')?.includes('application/json')) return `the server answered ${response.status}`;
  // A malformed body throws here, and the caller shows that error instead.
  const body = (await response.json()) as { error?: unknown; message?: unknown };
  if (typeof body.message === 'string') return body.message;
  if (typeof body.error === 'string') return body.error;
  return `the server answered ${response.status}`;
}
