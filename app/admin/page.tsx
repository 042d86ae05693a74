import { notFound, redirect } from 'next/navigation';
import { getEnv } from '@/lib/env';
import { getDb } from '@/lib/db';
import { listTroubleGroups } from '@/lib/db/integrations';
import { listOperatorAlerts } from '@/lib/notify/outbox-queries';
import { isOperator } from '@/lib/auth/operators';
import { getCurrentUser } from '../_server/current-user';

export const dynamic = 'force-dynamic';

/** Operators (OPERATOR_EMAILS, verified: lib/auth/operators.ts) see the alerts meant for them: configuration and outages. */
export default async function AdminPage() {
  const user = await getCurrentUser();
  if (!user) redirect('/sign-in');
  const db = await getDb();
  if (!(await isOperator(db, user.id, getEnv().OPERATOR_EMAILS))) notFound();
  const alerts = await listOperatorAlerts(db);
  const failing = await listTroubleGroups(db);
  return (
    <>
      <h1>Operator alerts</h1>
      <p className="muted">Configuration failures and provider outages. Users are not told about these; operators fix them.</p>
      <table>
        <thead>
          <tr>
            <th>When</th>
            <th>Kind</th>
            <th>Alert</th>
          </tr>
        </thead>
        <tbody>
          {alerts.map((alert) => (
            <tr key={alert.id}>
              <td>{alert.created_at.toISOString().replace('T', ' ').slice(0, 16)}</td>
              <td>
                <span className={`badge ${alert.severity === 'error' ? 'needs_reauthorization' : 'trouble'}`}>{alert.kind}</span>
              </td>
              <td>
                <strong>{alert.title}</strong>
                <div className="muted">{alert.message}</div>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      {alerts.length === 0 ? <p className="muted">No alerts.</p> : null}
      <h2>Connections in trouble</h2>
      <table>
        <thead>
          <tr>
            <th>Provider</th>
            <th>Status</th>
            <th>Connections</th>
            <th>Auth / transient failures (sum)</th>
          </tr>
        </thead>
        <tbody>
          {failing.map((row) => (
            <tr key={`${row.provider}/${row.status}`}>
              <td>{row.provider}</td>
              <td>{row.status}</td>
              <td>{row.n}</td>
              <td>
                {row.auth} / {row.transient}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </>
  );
}
