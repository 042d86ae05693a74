import { getDb } from '@/lib/db';
import { listTroubleGroups, TROUBLE_GROUP_LIMIT } from '@/lib/db/integrations';
import { listOperatorAlerts } from '@/lib/notify/outbox-queries';
import { AdminNav } from './_components/admin-nav';
import { LocalTime } from '@/app/_components/local-time';
import { requireOperator } from './_components/require-operator';

export const dynamic = 'force-dynamic';

/** Operators (OPERATOR_EMAILS, verified: lib/auth/operators.ts) see the alerts meant for them: configuration and outages. */
export default async function AdminPage() {
  // 404 for anyone else, signed out included: the console does not announce itself.
  await requireOperator();
  const db = await getDb();
  const alerts = await listOperatorAlerts(db);
  const failing = await listTroubleGroups(db);
  return (
    <>
      <AdminNav current="/admin" />
      <h1>Operator alerts</h1>
      <p className="muted">Configuration failures and provider outages. Users are not told about these; operators fix them.</p>
      <table>
        <caption>Operator alerts, newest first</caption>
        <thead>
          <tr>
            <th scope="col">When</th>
            <th scope="col">Kind</th>
            <th scope="col">Alert</th>
          </tr>
        </thead>
        <tbody>
          {alerts.map((alert) => (
            <tr key={alert.id}>
              <td>
                <LocalTime iso={alert.created_at.toISOString()} />
              </td>
              <td>
                <span className={`badge ${alert.severity === 'error' ? 'needs_reauthorization' : 'trouble'}`}>
                  {alert.severity === 'error' ? 'Error' : 'Warning'}: {alert.kind}
                </span>
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
        <caption>Connections in trouble, by provider and status</caption>
        <thead>
          <tr>
            <th scope="col">Provider</th>
            <th scope="col">Status</th>
            <th scope="col">Connections</th>
            <th scope="col">Auth / transient failures (sum)</th>
          </tr>
        </thead>
        <tbody>
          {failing.groups.map((row) => (
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
      {failing.groups.length === 0 ? <p className="muted">No connections in trouble.</p> : null}
      {failing.more ? (
        <p className="muted" role="status" data-trouble-cut>
          {`Showing the ${TROUBLE_GROUP_LIMIT} largest groups; there are more. Filter the refresh logs by provider for the rest.`}
        </p>
      ) : null}
    </>
  );
}
