/**
 * The console's answers in words: a refresh pass's summary (docs/contracts.md §3) or a
 * redrive's counts. A pass that ran out of time or could not record results says so, since
 * "done" alone would tell the operator nothing is left.
 */
export function summarize(kind: 'pass' | 'redrive', answer: Record<string, unknown>): string {
  if (kind === 'redrive') return `Re-queued ${Number(answer.emails ?? 0)} email(s) and ${Number(answer.webhooks ?? 0)} webhook delivery(ies).`;
  const n = (key: string) => Number(answer[key] ?? 0);
  const done =
    `Pass done in ${n('durationMs')} ms: claimed ${n('claimed')}, ${n('refreshed')} refreshed, ${n('skipped')} skipped, ` +
    `${n('transientFailures')} transient, ${n('authFailures')} auth, ${n('configFailures')} config failures; ${n('disconnected')} need reauthorization.`;
  // A pass that stopped early or could not record results is not "done" in the operator's sense.
  const ranOut = answer.budgetExhausted === true ? ` Its time ran out: ${n('remainingDue')} still due, left for the next pass.` : '';
  const unwritten = n('writeFailures') > 0 ? ` ${n('writeFailures')} result(s) could not be recorded (see the server log); the next pass retries them.` : '';
  return done + ranOut + unwritten;
}
