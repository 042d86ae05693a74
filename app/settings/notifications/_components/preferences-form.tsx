'use client';

import { useState } from 'react';
import type { NotificationPreferences } from '@/lib/db/notification-preferences';

const CHOICES: { key: keyof NotificationPreferences; label: string; hint: string }[] = [
  { key: 'email_disconnections', label: 'Email me when a connection is disconnected', hint: 'On unless you turn it off.' },
  { key: 'email_expiring', label: 'Email me when a connection is about to expire', hint: 'Less than 3 days before, and again on the last day.' },
  { key: 'email_auth_warning', label: 'Email me when we are having trouble connecting', hint: 'At the second failed sign-in in a row. Off unless you turn it on.' },
];

/** The three email choices, saved as JSON through POST /api/notification-preferences. */
export function PreferencesForm({ initial }: { initial: NotificationPreferences }) {
  const [choices, setChoices] = useState(initial);
  const [status, setStatus] = useState<'idle' | 'saving' | 'saved' | 'failed'>('idle');
  return (
    <form
      onSubmit={async (event) => {
        event.preventDefault();
        setStatus('saving');
        try {
          const response = await fetch('/api/notification-preferences', {
            method: 'POST',
            headers: { 'content-type': 'application/json' },
            body: JSON.stringify(choices),
          });
          setStatus(response.ok ? 'saved' : 'failed');
        } catch (error) {
          // No answer at all (offline, server gone): "Not saved" rather than "Saving…" and a disabled button for ever.
          console.warn('saving preferences failed', error);
          setStatus('failed');
        }
      }}
    >
      <fieldset>
        <legend>Emails</legend>
        {CHOICES.map(({ key, label, hint }) => (
          <div key={key} style={{ margin: '0.5rem 0' }}>
            <input
              type="checkbox"
              id={key}
              name={key}
              checked={choices[key]}
              aria-describedby={`${key}-hint`}
              onChange={(event) => {
                setChoices({ ...choices, [key]: event.target.checked });
                setStatus('idle');
              }}
            />{' '}
            <label htmlFor={key}>{label}</label>
            <div id={`${key}-hint`} className="muted">
              {hint}
            </div>
          </div>
        ))}
      </fieldset>
      <button type="submit" disabled={status === 'saving'}>
        Save
      </button>{' '}
      <span role="status">{status === 'saved' ? 'Saved.' : status === 'failed' ? 'Not saved; try again.' : status === 'saving' ? 'Saving…' : ''}</span>
    </form>
  );
}
