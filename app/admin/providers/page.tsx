import { getEnv } from '@/lib/env';
import { getDb } from '@/lib/db';
import { providerRecentHealth } from '@/lib/db/refresh-logs';
import { getProviders } from '@/lib/runtime';
import { redirectUri as connectRedirectUri } from '@/lib/connect/deps';
import { AdminNav } from '../_components/admin-nav';
import { requireOperator } from '../_components/require-operator';

export const dynamic = 'force-dynamic';

/** Every catalog and providers-file provider: credentials set or not (never shown), the redirect URI to register, the last 24 hours. */
export default async function AdminProvidersPage() {
  await requireOperator();
  const now = new Date();
  const since = new Date(now.getTime() - 24 * 3_600_000);
  const health = new Map((await providerRecentHealth(await getDb(), since)).map((row) => [row.provider, row]));
  const redirectUri = connectRedirectUri(getEnv().APP_URL);
  return (
    <>
      <AdminNav current="/admin/providers" />
      <h1>Providers</h1>
      <p>
        Redirect URI to register with every provider: <code>{redirectUri}</code>
      </p>
      <table>
        <caption>Providers of the catalog and the providers file, last 24 hours</caption>
        <thead>
          <tr>
            <th scope="col">Provider</th>
            <th scope="col">Source</th>
            <th scope="col">Credentials</th>
            <th scope="col">Redirect URI</th>
            <th scope="col">Success, 24 h</th>
            <th scope="col">Recent error codes</th>
          </tr>
        </thead>
        <tbody>
          {getProviders()
            .list()
            .map((provider) => {
              const row = health.get(provider.id);
              return (
                <tr key={provider.id}>
                  <th scope="row">
                    {provider.name} <span className="muted">({provider.id})</span>
                  </th>
                  <td>{provider.source}</td>
                  <td>
                    {provider.credentials ? (
                      <span className="badge connected">✓ Set</span>
                    ) : (
                      <span className="badge needs_reauthorization">✗ Not set</span>
                    )}
                  </td>
                  <td>
                    <code>{redirectUri}</code>
                  </td>
                  <td>{row && row.attempted > 0 ? `${((row.refreshed / row.attempted) * 100).toFixed(1)} % of ${row.attempted}` : 'No attempts'}</td>
                  <td>{row && row.errorCodes.length > 0 ? row.errorCodes.join(', ') : 'None'}</td>
                </tr>
              );
            })}
        </tbody>
      </table>
    </>
  );
}
