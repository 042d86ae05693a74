import { notFound, redirect } from 'next/navigation';
import { z } from 'zod';
import { getDb } from '@/lib/db';
import { asUser } from '@/lib/db/user-context';
import { findReconnectView } from '@/lib/db/integrations';
import { getProviders } from '@/lib/runtime';
import { getCurrentUser } from '@/app/_server/current-user';

export const dynamic = 'force-dynamic';

/**
 * Where the reconnect links of notifications and emails land (unless RECONNECT_URL_TEMPLATE
 * sends them to the host app): what happened to the connection and how to restore it.
 */
export default async function ReconnectPage({ params }: { params: Promise<{ id: string }> }) {
  const user = await getCurrentUser();
  if (!user) redirect('/sign-in');
  const id = z.uuid().safeParse((await params).id);
  if (!id.success) notFound();
  const row = await asUser(await getDb(), user.id, (tx) => findReconnectView(tx, id.data));
  if (!row) notFound(); // not theirs (RLS) or gone
  const name = getProviders().get(row.provider)?.name ?? row.provider;
  return (
    <div className="card" style={{ maxWidth: 640 }}>
      <h1>Reconnect {name}</h1>
      <p className="muted">{row.account_label ?? 'This connection'}</p>
      {row.status === 'connected' ? (
        <p>This connection works: nothing to do.</p>
      ) : (
        <>
          <p>
            <span className="badge needs_reauthorization">{row.status.replace('_', ' ')}</span>
          </p>
          {row.disconnect_reason ? <p>{row.disconnect_reason}</p> : null}
          <p>
            {name} no longer accepts this connection, so Tokenwarden cannot renew it. Sign in to {name} again from the app that
            connected it (its integrations or connections settings) and grant access. The new connection starts working at once,
            and your workflows resume.
          </p>
        </>
      )}
    </div>
  );
}
