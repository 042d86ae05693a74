import Link from 'next/link';
import { notFound, redirect } from 'next/navigation';
import { z } from 'zod';
import { getDb } from '@/lib/db';
import { asUser } from '@/lib/db/user-context';
import { findReconnectPageView, type ReconnectPageView } from '@/lib/db/integrations';
import { getProviders } from '@/lib/runtime';
import { getCurrentUser } from '@/app/_server/current-user';
import { relativeTime } from '@/app/_server/format';
import { reconnectHref } from '@/app/_server/connect-links';
import { ConnectOutcomeBanner, connectOutcomeFrom } from '@/app/_components/connect-outcome';

export const dynamic = 'force-dynamic';

type SearchParams = Record<string, string | string[] | undefined>;

/**
 * Where the reconnect links of notifications and emails land (unless RECONNECT_URL_TEMPLATE
 * sends them to the host app): what happened to the connection, and a Reconnect button that
 * starts the connect flow for this very connection (GET /connect/{provider}?integration=…),
 * which comes back here with the outcome.
 */
export default async function ReconnectPage({ params, searchParams }: { params: Promise<{ id: string }>; searchParams: Promise<SearchParams> }) {
  const user = await getCurrentUser();
  if (!user) redirect('/sign-in');
  const id = z.uuid().safeParse((await params).id);
  if (!id.success) notFound();
  const row = await asUser(await getDb(), user.id, (tx) => findReconnectPageView(tx, id.data));
  if (!row) notFound(); // not theirs (RLS) or gone
  const name = getProviders().get(row.provider)?.name ?? row.provider;
  const outcome = connectOutcomeFrom(await searchParams);
  const now = new Date();
  const here = `/integrations/${row.id}/reconnect`;

  return (
    <div className="card" style={{ maxWidth: 640 }}>
      {outcome && outcome.integration === row.id ? <ConnectOutcomeBanner outcome={outcome} name={name} account={row.account_label} /> : null}
      <h1>{`Reconnect ${name}`}</h1>
      <p className="muted">
        {row.account_label ?? 'This connection'}
        {row.provider_account_id && row.provider_account_id !== row.account_label ? ` (account ${row.provider_account_id})` : ''}
      </p>
      <p>
        Status: <span className={`badge ${row.status}`}>{row.status.replace('_', ' ')}</span>
      </p>
      {row.status === 'connected' ? (
        <>
          <p>This connection works: nothing to do.</p>
          {row.connected_at ? (
            <p className="muted" title={row.connected_at.toISOString()}>
              Connected {relativeTime(row.connected_at, now)}.
            </p>
          ) : null}
          <p>
            <Link href="/">Back to your connections</Link>
          </p>
        </>
      ) : (
        <>
          <WhatHappened row={row} name={name} now={now} />
          {row.can_manage ? (
            <>
              <p>
                {`Reconnecting signs you in to ${name} again, as the same account, and grants access once more. The connection keeps its id and history, starts working at once, and your workflows resume.`}
              </p>
              <p>
                <a className="button primary" href={reconnectHref(row.provider, row.id, here)}>
                  {`Reconnect ${name}`}
                </a>
              </p>
            </>
          ) : (
            <p>Only the person who connected it, or someone who manages the organization&apos;s integrations, can reconnect it.</p>
          )}
          <p>
            <Link href="/">Back to your connections</Link>
          </p>
        </>
      )}
    </div>
  );
}

function WhatHappened({ row, name, now }: { row: ReconnectPageView; name: string; now: Date }) {
  const when = row.last_failure_at ? (
    <span title={row.last_failure_at.toISOString()}>
      {' '}
      ({relativeTime(row.last_failure_at, now)}, {row.last_failure_at.toUTCString()})
    </span>
  ) : null;
  if (row.status === 'disconnected') {
    return (
      <>
        <p>
          <strong>You disconnected it.</strong> Tokenwarden erased its tokens and no longer renews it.
        </p>
        {row.disconnect_reason ? <p className="muted">{row.disconnect_reason}</p> : null}
      </>
    );
  }
  return (
    <>
      <p>
        <strong>{name} no longer accepts this connection</strong>, so Tokenwarden cannot renew it.
        {when ? <> It failed{when}.</> : null}
      </p>
      {row.disconnect_reason ? <p>{row.disconnect_reason}</p> : null}
      {row.last_error_code ? (
        <p className="muted">
          Error code from {name}: <code>{row.last_error_code}</code>
        </p>
      ) : null}
    </>
  );
}
