import { getDb } from '@/lib/db';
import { outcomesPerHour, refreshStats, type ProviderStats } from '@/lib/refresh/stats';
import { AdminNav } from '../_components/admin-nav';
import { OUTCOME_SERIES, OutcomesChart } from '../_components/outcomes-chart';
import { requireOperator } from '../_components/require-operator';

export const dynamic = 'force-dynamic';

const percent = (rate: number | null) => (rate === null ? 'nothing attempted' : `${(rate * 100).toFixed(1)} %`);

function StatsTable({ caption, rows }: { caption: string; rows: (Omit<ProviderStats, 'provider'> & { provider: string })[] }) {
  return (
    <table>
      <caption>{caption}</caption>
      <thead>
        <tr>
          <th scope="col">Provider</th>
          <th scope="col">Attempts</th>
          <th scope="col">Success rate</th>
          <th scope="col">Transient failures</th>
          <th scope="col">Auth failures</th>
          <th scope="col">Config failures</th>
          <th scope="col">p50 duration</th>
          <th scope="col">p95 duration</th>
        </tr>
      </thead>
      <tbody>
        {rows.map((row) => (
          <tr key={row.provider}>
            <th scope="row">{row.provider}</th>
            <td>{row.total - row.skipped}</td>
            <td>{percent(row.successRate)}</td>
            <td>{row.transientFailures}</td>
            <td>{row.authFailures}</td>
            <td>{row.configFailures}</td>
            <td>{row.durationMs.p50} ms</td>
            <td>{row.durationMs.p95} ms</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

/** Refresh statistics per provider over 24 hours and 7 days (the CLI `stats` figures), and outcomes per hour. */
export default async function AdminStatsPage() {
  await requireOperator();
  const db = await getDb();
  const now = new Date();
  const [day, week, hours] = await Promise.all([
    refreshStats(db, { hours: 24, now }),
    refreshStats(db, { hours: 168, now }),
    outcomesPerHour(db, { hours: 24, now }),
  ]);
  return (
    <>
      <AdminNav current="/admin/stats" />
      <h1>Refresh stats</h1>
      <p className="muted">Attempts exclude skips; the success rate is refreshed over attempts, and the durations are those of attempts.</p>
      <StatsTable caption="Last 24 hours" rows={[...day.providers, { provider: 'All providers', ...day.total }]} />
      <StatsTable caption="Last 7 days" rows={[...week.providers, { provider: 'All providers', ...week.total }]} />
      <h2>Outcomes per hour, last 24 hours</h2>
      <OutcomesChart hours={hours} id="outcomes-24h" title="Refresh outcomes per hour over the last 24 hours, stacked by outcome" />
      <details>
        <summary>The chart as a table</summary>
        <table>
          <caption>Refresh outcomes per hour (UTC), last 24 hours</caption>
          <thead>
            <tr>
              <th scope="col">Hour (UTC)</th>
              {OUTCOME_SERIES.map((s) => (
                <th scope="col" key={s.key}>
                  {s.label}
                </th>
              ))}
            </tr>
          </thead>
          <tbody>
            {hours.map((h) => (
              <tr key={h.hour}>
                <th scope="row">{h.hour.slice(0, 13).replace('T', ' ')}:00</th>
                {OUTCOME_SERIES.map((s) => (
                  <td key={s.key}>{h[s.key]}</td>
                ))}
              </tr>
            ))}
          </tbody>
        </table>
      </details>
    </>
  );
}
