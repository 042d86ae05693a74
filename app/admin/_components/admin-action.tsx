'use client';

import { useState, type FormEvent, type ReactNode } from 'react';

/**
 * A POST to an admin route from a form: the fields sent as JSON (same-origin, so withUser
 * accepts the cookie session), the answer shown in words in a live region.
 */
export function AdminAction({ action, children, submitLabel, fixed, describe }: {
  action: string;
  children?: ReactNode;
  submitLabel: string;
  /** Fields sent whatever the form holds (e.g. the row a Retry button is for). */
  fixed?: Record<string, string | boolean>;
  describe: 'pass' | 'redrive';
}) {
  const [status, setStatus] = useState<string>('');
  const [busy, setBusy] = useState(false);
  async function submit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const form = new FormData(event.currentTarget);
    const body: Record<string, string | boolean> = { ...fixed };
    for (const [key, value] of form.entries()) if (typeof value === 'string' && value !== '') body[key] = value;
    if (form.has('force')) body.force = true;
    setBusy(true);
    setStatus('Working…');
    try {
      const response = await fetch(action, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
      const answer = (await response.json()) as Record<string, unknown>;
      setStatus(response.ok ? summarize(describe, answer) : `Failed (${response.status}): ${String(answer.message ?? answer.error ?? 'error')}`);
    } catch (error) {
      setStatus(`Failed: ${error instanceof Error ? error.message : String(error)}`);
    } finally {
      setBusy(false);
    }
  }
  return (
    <form onSubmit={submit} style={{ display: 'inline' }}>
      {children}
      <button type="submit" disabled={busy}>
        {submitLabel}
      </button>{' '}
      <span role="status" aria-live="polite">
        {status}
      </span>
    </form>
  );
}

function summarize(kind: 'pass' | 'redrive', answer: Record<string, unknown>): string {
  if (kind === 'redrive') return `Re-queued ${Number(answer.emails ?? 0)} email(s) and ${Number(answer.webhooks ?? 0)} webhook delivery(ies).`;
  const n = (key: string) => Number(answer[key] ?? 0);
  return (
    `Pass done in ${n('durationMs')} ms: claimed ${n('claimed')}, ${n('refreshed')} refreshed, ${n('skipped')} skipped, ` +
    `${n('transientFailures')} transient, ${n('authFailures')} auth, ${n('configFailures')} config failures; ${n('disconnected')} need reauthorization.`
  );
}
