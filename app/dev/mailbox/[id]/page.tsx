import Link from 'next/link';
import { notFound, redirect } from 'next/navigation';
import { localSignInAllowed } from '@/lib/local-auth';
import { getCurrentUser } from '@/app/_server/current-user';
import { z } from 'zod';
import { getEnv } from '@/lib/env';
import { getDb } from '@/lib/db';
import { getOutboxRow } from '@/lib/notify/outbox-queries';
import { renderOutboxEmail } from '@/lib/notify/render-outbox';

export const dynamic = 'force-dynamic';

export default async function MailboxEmailPage({ params }: { params: Promise<{ id: string }> }) {
  // Everyone's emails: only where the local sign-in is on, and only to a signed-in user.
  if (!localSignInAllowed(getEnv())) notFound();
  if (!(await getCurrentUser())) redirect('/sign-in');
  const id = z.uuid().safeParse((await params).id);
  if (!id.success) notFound();
  const row = await getOutboxRow(await getDb(), id.data);
  if (!row) notFound();
  const rendered = await renderOutboxEmail(row.template, row.payload);
  return (
    <>
      <p>
        <Link href="/dev/mailbox">← Dev mailbox</Link>
      </p>
      <h1>{rendered.ok ? rendered.email.subject : row.template}</h1>
      <p className="muted">
        To {row.to_email} · {row.status} · created {row.created_at.toISOString()}
      </p>
      {rendered.ok ? (
        <>
          {/* Sandboxed: the email's HTML never runs as this app. */}
          <iframe title="HTML part" sandbox="" srcDoc={rendered.email.html} style={{ width: '100%', height: 520, border: '1px solid #e0e1e6', borderRadius: 8 }} />
          <h2>Plain text</h2>
          <pre style={{ whiteSpace: 'pre-wrap', background: 'white', border: '1px solid #e0e1e6', padding: 16, borderRadius: 8 }}>{rendered.email.text}</pre>
        </>
      ) : (
        <p>Cannot render this email: {rendered.problem}</p>
      )}
    </>
  );
}
