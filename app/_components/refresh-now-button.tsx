'use client';

import { ActionButton, type Said } from './action-button';

const OUTCOME_WORDS: Record<string, string> = {
  refreshed: 'Refreshed',
  skipped: 'Nothing to refresh yet',
  transient_failure: 'The provider could not refresh it right now',
  auth_failure: 'The provider refused the refresh',
  config_failure: 'Tokenwarden is not configured to refresh this provider',
};

/** POST /api/integrations/{id}/refresh's answer (docs/contracts.md §3) in words. */
function outcomeWords(body: { outcome?: string; errorCode?: string }): Said {
  const words = (body.outcome && OUTCOME_WORDS[body.outcome]) ?? String(body.outcome);
  return { text: body.errorCode ? `${words} (${body.errorCode})` : words, error: body.outcome !== 'refreshed' && body.outcome !== 'skipped' };
}

/**
 * Refresh now through POST /api/integrations/{id}/refresh (5 an hour per user): shows the
 * outcome, or the refusal with when to try again, then re-renders the page's status (after a
 * 409 too: the connection needs reconnecting, which the page should now say).
 */
export function RefreshNowButton({ id, name }: { id: string; name: string }) {
  return (
    <ActionButton
      url={`/api/integrations/${encodeURIComponent(id)}/refresh`}
      label="Refresh now"
      busyLabel="Refreshing…"
      accessibleName={`Refresh ${name} now`}
      className="refresh-now"
      describe={outcomeWords}
      refreshOnStatus={[409]}
    />
  );
}
