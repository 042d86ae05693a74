'use client';

import { useRouter } from 'next/navigation';
import { useState } from 'react';
import { refusalText } from './action-answer';

const OUTCOME_WORDS: Record<string, string> = {
  refreshed: 'Refreshed',
  skipped: 'Nothing to refresh yet',
  transient_failure: 'The provider could not refresh it right now',
  auth_failure: 'The provider refused the refresh',
  config_failure: 'Tokenwarden is not configured to refresh this provider',
};

/**
 * Refresh now through POST /api/integrations/{id}/refresh (5 an hour per user): shows the
 * outcome, or the refusal with when to try again, then re-renders the page's status.
 */
export function RefreshNowButton({ id, name }: { id: string; name: string }) {
  const router = useRouter();
  const [busy, setBusy] = useState(false);
  const [said, setSaid] = useState<{ text: string; error: boolean } | null>(null);
  return (
    <span className="refresh-now">
      <button
        type="button"
        disabled={busy}
        aria-label={`Refresh ${name} now`}
        onClick={async () => {
          setBusy(true);
          setSaid(null);
          try {
            const response = await fetch(`/api/integrations/${encodeURIComponent(id)}/refresh`, {
              method: 'POST',
              credentials: 'same-origin',
              headers: { accept: 'application/json' },
            });
            if (response.ok) {
              const body = (await response.json()) as { outcome?: string; errorCode?: string };
              const words = (body.outcome && OUTCOME_WORDS[body.outcome]) ?? String(body.outcome);
              setSaid({ text: body.errorCode ? `${words} (${body.errorCode})` : words, error: body.outcome !== 'refreshed' && body.outcome !== 'skipped' });
              router.refresh();
              return;
            }
            setSaid({ text: await refusalText(response), error: true });
            if (response.status === 409) router.refresh();
          } catch (failure) {
            setSaid({ text: failure instanceof Error ? failure.message : String(failure), error: true });
          } finally {
            setBusy(false);
          }
        }}
      >
        {busy ? 'Refreshing…' : 'Refresh now'}
      </button>
      {said ? (
        <span role={said.error ? 'alert' : 'status'} className={said.error ? 'error' : 'ok'}>
          {said.text}
        </span>
      ) : null}
    </span>
  );
}
