'use client';

import { useRouter } from 'next/navigation';
import { useState } from 'react';
import { refusalText } from './action-answer';

/**
 * Test connection through POST /api/integrations/{id}/test (30 an hour per user): shows the
 * verdict (healthy or the failure, and whether it came from the short cache), or the refusal
 * with when to try again; then re-renders the page, since a failing test may have changed
 * the status.
 */
export function TestConnectionButton({ id, name }: { id: string; name: string }) {
  const router = useRouter();
  const [busy, setBusy] = useState(false);
  const [said, setSaid] = useState<{ text: string; error: boolean } | null>(null);
  return (
    <span className="test-connection">
      <button
        type="button"
        disabled={busy}
        aria-label={`Test ${name}`}
        onClick={async () => {
          setBusy(true);
          setSaid(null);
          try {
            const response = await fetch(`/api/integrations/${encodeURIComponent(id)}/test`, {
              method: 'POST',
              credentials: 'same-origin',
              headers: { accept: 'application/json' },
            });
            if (response.ok) {
              const verdict = (await response.json()) as { healthy: boolean; error?: string; http_status?: number; cached: boolean };
              const cached = verdict.cached ? ' (checked moments ago)' : '';
              setSaid(
                verdict.healthy
                  ? { text: `Working${cached}`, error: false }
                  : { text: `Not working: ${verdict.error ?? `HTTP ${verdict.http_status}`}${cached}`, error: true },
              );
              router.refresh();
              return;
            }
            setSaid({ text: await refusalText(response), error: true });
          } catch (failure) {
            setSaid({ text: failure instanceof Error ? failure.message : String(failure), error: true });
          } finally {
            setBusy(false);
          }
        }}
      >
        {busy ? 'Testing…' : 'Test connection'}
      </button>
      {said ? (
        <span role={said.error ? 'alert' : 'status'} className={said.error ? 'error' : 'ok'}>
          {said.text}
        </span>
      ) : null}
    </span>
  );
}
