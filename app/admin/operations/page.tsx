import Link from 'next/link';
import { ProviderSelect } from '@/app/_components/provider-select';
import { getEnv } from '@/lib/env';
import { getDb } from '@/lib/db';
import { listUndeliveredEmails } from '@/lib/db/email-outbox';
import { listUndeliveredWebhooks } from '@/lib/db/webhook-deliveries';
import { expiringTokens } from '@/lib/notify/expiring-tokens';
import { getProviders } from '@/lib/runtime';
import { AdminAction } from '../_components/admin-action';
import { AdminNav } from '../_components/admin-nav';
import { LocalTime } from '@/app/_components/local-time';
import { requireOperator } from '../_components/require-operator';

export const dynamic = 'force-dynamic';

const EXPIRING_LIMIT = 100;
/** Rows of each delivery table; a full table says so, as the list is then not everything. */
const UNDELIVERED_LIMIT = 50;

/** Trigger a refresh pass, the expiring connections of every organization, and the deliveries that failed, with Retry. */
export default async function AdminOperationsPage() {
  await requireOperator();
  const db = await getDb();
  const env = getEnv();
  const [expiring, emails, webhooks] = await Promise.all([
    expiringTokens(db, { organizationId: null, days: 7, limit: EXPIRING_LIMIT, now: new Date(), providers: getProviders(), appUrl: env.APP_URL, reconnectUrlTemplate: env.RECONNECT_URL_TEMPLATE }),
    listUndeliveredEmails(db, UNDELIVERED_LIMIT),
    listUndeliveredWebhooks(db, UNDELIVERED_LIMIT),
  ]);
  return (
    <>
      <AdminNav current="/admin/operations" />
      <h1>Refresh and deliveries</h1>

      <h2>Trigger a refresh pass</h2>
      <AdminAction action="/api/admin/refresh" submitLabel="Run a pass" describe="pass">
        <label>
          Provider{' '}
          <ProviderSelect value={null} anyLabel="All providers" />
        </label>{' '}
        <label>
          <input type="checkbox" name="force" /> Force (refresh even tokens not yet due)
        </label>{' '}
      </AdminAction>

      <h2>Expiring connections, every organization</h2>
      <table>
        <caption>{`Connections that stop working within 7 days unless someone acts: ${expiring.total_count}${expiring.total_count >= EXPIRING_LIMIT ? ` (first ${EXPIRING_LIMIT})` : ''}`}</caption>
        <thead>
          <tr>
            <th scope="col">Connection</th>
            <th scope="col">Provider</th>
            <th scope="col">Ends</th>
            <th scope="col">Severity</th>
            <th scope="col">Refresh token</th>
          </tr>
        </thead>
        <tbody>
          {expiring.expiring_tokens.map((token) => (
            <tr key={token.integration_id}>
              <th scope="row">
                <Link href={`/integrations/${token.integration_id}`}>{token.username ?? token.integration_id.slice(0, 8)}</Link>
              </th>
              <td>{token.platform_name}</td>
              <td>
                {token.expires_at_human} (<LocalTime iso={token.expires_at} />)
              </td>
              <td>{token.severity}</td>
              <td>{token.has_refresh_token ? 'Yes' : 'No'}</td>
            </tr>
          ))}
        </tbody>
      </table>

      <h2>Email outbox: failed and retrying</h2>
      <AdminAction action="/api/admin/redrive" submitLabel="Retry all failed emails" describe="redrive" fixed={{ kind: 'email' }} />
      <table>
        <caption>{`Emails that failed or are being retried: ${emails.length >= UNDELIVERED_LIMIT ? `the first ${UNDELIVERED_LIMIT}` : emails.length}`}</caption>
        <thead>
          <tr>
            <th scope="col">To</th>
            <th scope="col">Template</th>
            <th scope="col">Status</th>
            <th scope="col">Attempts</th>
            <th scope="col">Last error</th>
            <th scope="col">Last attempt</th>
            <th scope="col">Action</th>
          </tr>
        </thead>
        <tbody>
          {emails.map((email) => (
            <tr key={email.id} data-email-id={email.id}>
              <th scope="row">{email.to_email}</th>
              <td>{email.template}</td>
              <td>{email.status === 'failed' ? 'Failed (gave up)' : 'Retrying'}</td>
              <td>{email.attempts}</td>
              <td>{email.last_error ?? '—'}</td>
              <td>{email.last_attempt_at ? <LocalTime iso={email.last_attempt_at.toISOString()} /> : '—'}</td>
              <td>{email.status === 'failed' ? <AdminAction action="/api/admin/redrive" submitLabel="Retry" accessibleName={`Retry the ${email.template} email to ${email.to_email}`} describe="redrive" fixed={{ kind: 'email', id: email.id }} /> : '—'}</td>
            </tr>
          ))}
        </tbody>
      </table>

      <h2>Webhook deliveries: dead and retrying</h2>
      <AdminAction action="/api/admin/redrive" submitLabel="Retry all dead deliveries" describe="redrive" fixed={{ kind: 'webhook' }} />
      <table>
        <caption>{`Webhook deliveries that died or are being retried: ${webhooks.length >= UNDELIVERED_LIMIT ? `the first ${UNDELIVERED_LIMIT}` : webhooks.length}`}</caption>
        <thead>
          <tr>
            <th scope="col">Event</th>
            <th scope="col">Endpoint</th>
            <th scope="col">Status</th>
            <th scope="col">Attempts</th>
            <th scope="col">Last error</th>
            <th scope="col">Last attempt</th>
            <th scope="col">Action</th>
          </tr>
        </thead>
        <tbody>
          {webhooks.map((delivery) => (
            <tr key={delivery.id}>
              <th scope="row">{delivery.event_type}</th>
              <td>{delivery.endpoint_id.slice(0, 8)}</td>
              <td>{delivery.status === 'dead' ? 'Dead (gave up)' : 'Retrying'}</td>
              <td>{delivery.attempts}</td>
              <td>
                {delivery.last_error ?? '—'}
                {delivery.last_status_code ? ` (HTTP ${delivery.last_status_code})` : ''}
              </td>
              <td>{delivery.last_attempt_at ? <LocalTime iso={delivery.last_attempt_at.toISOString()} /> : '—'}</td>
              <td>{delivery.status === 'dead' ? <AdminAction action="/api/admin/redrive" submitLabel="Retry" accessibleName={`Retry the ${delivery.event_type} delivery to endpoint ${delivery.endpoint_id.slice(0, 8)}`} describe="redrive" fixed={{ kind: 'webhook', id: delivery.id }} /> : '—'}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </>
  );
}
