'use client';

import type { ReactNode } from 'react';
import { ActionButton, type Said } from '@/app/_components/action-button';
import { summarize } from './action-summary';

/**
 * A POST to an admin route (the shared ActionButton), optionally from a form: the fields sent
 * as JSON (same-origin, so withUser accepts the cookie session), the answer shown in words.
 * The page is not re-rendered: a Retry's row would change and take its answer with it.
 */
export function AdminAction({ action, children, submitLabel, accessibleName, fixed, describe }: {
  action: string;
  children?: ReactNode;
  submitLabel: string;
  /** Where the label alone does not say what it acts on (a row's Retry: which email or delivery). */
  accessibleName?: string;
  /** Fields sent whatever the form holds (e.g. the row a Retry button is for). */
  fixed?: Record<string, string | boolean>;
  describe: 'pass' | 'redrive';
}) {
  return (
    <ActionButton
      url={action}
      label={submitLabel}
      accessibleName={accessibleName}
      pending="Working…"
      fields={children}
      body={(form) => formBody(form, fixed)}
      describe={(answer: Record<string, unknown>): Said => ({ text: summarize(describe, answer), error: false })}
      failure={(words, status) => (status === null ? `Failed: ${words}` : `Failed (${status}): ${words}`)}
      refreshOnSuccess={false}
    />
  );
}

/** The form's non-empty fields over the fixed ones; the `force` checkbox as true. */
function formBody(form: FormData | null, fixed: Record<string, string | boolean> = {}): Record<string, string | boolean> {
  const body: Record<string, string | boolean> = { ...fixed };
  if (!form) return body;
  for (const [key, value] of form.entries()) if (typeof value === 'string' && value !== '') body[key] = value;
  if (form.has('force')) body.force = true;
  return body;
}
