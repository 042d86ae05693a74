import Link from 'next/link';
import { notFound, redirect } from 'next/navigation';
import { localSignInAllowed } from '@/lib/local-auth';
import { getCurrentUser } from '@/app/_server/current-user';
import { getEnv } from '@/lib/env';
import { getDb } from '@/lib/db';
import { listOutbox } from '@/lib/notify/outbox-queries';

export const dynamic = 'force-dynamic';

/** With the local sign-in only: every email the outbox holds, so emails can be read without Resend. */
export default async function MailboxPage() {
  // Everyone's emails: only where the local sign-in is on, and only to a signed-in user.
  if (!localSignInAllowed(getEnv())) notFound();
  if (!(await getCurrentUser())) redirect('/sign-in');
  const rows = await listOutbox(await getDb());
  return (
    <>
      <h1>Dev mailbox</h1>
      <p className="muted">
        The email outbox, newest first. Without RESEND_API_KEY emails are not sent: they become <code>skipped</code> and can be read here.
      </p>
      <table>
        <thead>
          <tr>
            <th>Created</th>
            <th>To</th>
            <th>Template</th>
            <th>Status</th>
            <th>Attempts</th>
          </tr>
        </thead>
        <tbody>
          {rows.map((row) => (
            <tr key={row.id} data-email-id={row.id}>
              <td>{row.created_at.toISOString().replace('T', ' ').slice(0, 19)}</td>
              <td>{row.to_email}</td>
              <td>
                <Link href={`/dev/mailbox/${row.id}`}>{row.template}</Link>
              </td>
              <td>
                {row.status}
                {row.last_error ? <div className="muted">{row.last_error}</div> : null}
              </td>
              <td>{row.attempts}</td>
            </tr>
          ))}
        </tbody>
      </table>
      {rows.length === 0 ? <p className="muted">No emails yet.</p> : null}
    </>
  );
}
