'use client';

import { ActionButton, type Said } from './action-button';
import { clockTime } from './local-date';

interface Verdict {
  healthy: boolean;
  checked_at?: string;
  error?: string;
  http_status?: number;
  cached: boolean;
}

/**
 * The verdict and when the provider was actually asked ("Working — checked at 14:03:12", in
 * the viewer's zone and locale): a cached verdict keeps the time of its live call, so the
 * time says how fresh it is.
 */
export function verdictWords(verdict: Verdict): Said {
  const at = verdict.checked_at ? new Date(verdict.checked_at) : null;
  const when = at && !Number.isNaN(at.getTime()) ? ` — checked at ${clockTime(at)}` : '';
  return verdict.healthy
    ? { text: `Working${when}`, error: false }
    : { text: `Not working: ${verdict.error ?? `HTTP ${verdict.http_status}`}${when}`, error: true };
}

/**
 * Test connection through POST /api/integrations/{id}/test (30 an hour per user): shows the
 * verdict and when it was checked, or the refusal with when to try again; then re-renders the
 * page, since a failing test may have changed the status.
 */
export function TestConnectionButton({ id, name }: { id: string; name: string }) {
  return (
    <ActionButton
      url={`/api/integrations/${encodeURIComponent(id)}/test`}
      label="Test connection"
      busyLabel="Testing…"
      accessibleName={`Test ${name}`}
      className="test-connection"
      describe={verdictWords}
    />
  );
}
