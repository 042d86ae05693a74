'use client';

import { useRouter } from 'next/navigation';
import { useState, type FormEvent, type ReactNode } from 'react';
import { refusalText } from './action-answer';

/** What a button says after a press: `error` puts it in an alert, else in a status. */
export interface Said {
  text: string;
  error: boolean;
}

export interface ActionButtonProps<Answer> {
  /** The route to POST to (withUser; same-origin, so the cookie session passes its origin check). */
  url: string;
  label: string;
  /** The label while the request runs (default: `label`). */
  busyLabel?: string;
  /** The button's accessible name where `label` alone does not say which connection. */
  accessibleName?: string;
  /** The wrapper's class: the pages and tests find each button's words through it. */
  className?: string;
  /** Asked with window.confirm before anything is sent; Cancel sends nothing. */
  confirm?: string;
  /** Said while the request runs (e.g. "Working…"); default: nothing. */
  pending?: string;
  /** A success's JSON answer in words; null says nothing. */
  describe: (answer: Answer) => Said | null;
  /** A refusal (its status) or a failed request (null) in words, given what refusalText read. */
  failure?: (words: string, status: number | null) => string;
  /** Re-render the page's server components after a success (default true). */
  refreshOnSuccess?: boolean;
  /** Refusals after which the page is re-rendered too (e.g. 409: the status changed under us). */
  refreshOnStatus?: readonly number[];
  /**
   * Form fields shown before the button: the button then submits a form whose non-empty
   * fields, through `body`, are sent as the JSON body.
   */
  fields?: ReactNode;
  body?: (form: FormData | null) => Record<string, unknown>;
}

/**
 * Every dashboard and console action: POST, busy while it runs, the answer in words in a
 * live region (an alert for a failure, a status otherwise; a 429 says when to try again,
 * action-answer.ts), then router.refresh() so the page shows what changed.
 */
export function ActionButton<Answer>(props: ActionButtonProps<Answer>) {
  const { label, busyLabel = label, accessibleName, className, fields } = props;
  const router = useRouter();
  const [busy, setBusy] = useState(false);
  const [said, setSaid] = useState<Said | null>(null);

  async function run(form: FormData | null) {
    if (props.confirm !== undefined && !window.confirm(props.confirm)) return;
    const failure = props.failure ?? ((words: string) => words);
    setBusy(true);
    setSaid(props.pending === undefined ? null : { text: props.pending, error: false });
    try {
      const payload = props.body?.(form);
      const response = await fetch(props.url, {
        method: 'POST',
        credentials: 'same-origin',
        headers: payload === undefined ? { accept: 'application/json' } : { accept: 'application/json', 'content-type': 'application/json' },
        ...(payload === undefined ? {} : { body: JSON.stringify(payload) }),
      });
      if (response.ok) {
        setSaid(props.describe((await response.json()) as Answer));
        if (props.refreshOnSuccess ?? true) router.refresh();
        return;
      }
      setSaid({ text: failure(await refusalText(response), response.status), error: true });
      if (props.refreshOnStatus?.includes(response.status)) router.refresh();
    } catch (error) {
      setSaid({ text: failure(error instanceof Error ? error.message : String(error), null), error: true });
    } finally {
      setBusy(false);
    }
  }

  const button = (
    <button type={fields === undefined ? 'button' : 'submit'} disabled={busy} aria-label={accessibleName} onClick={fields === undefined ? () => void run(null) : undefined}>
      {busy ? busyLabel : label}
    </button>
  );
  const words = said ? (
    <span role={said.error ? 'alert' : 'status'} className={said.error ? 'error' : 'ok'}>
      {said.text}
    </span>
  ) : null;
  if (fields === undefined) {
    return (
      <span className={className}>
        {button}
        {words}
      </span>
    );
  }
  const submit = (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    void run(new FormData(event.currentTarget));
  };
  return (
    <form onSubmit={submit} className={className} style={{ display: 'inline' }}>
      {fields}
      {button} {words}
    </form>
  );
}
