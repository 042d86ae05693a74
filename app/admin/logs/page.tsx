import Link from 'next/link';
import { FilterProblems } from '@/app/_components/filter-problems';
import { ProviderSelect } from '@/app/_components/provider-select';
import { z } from 'zod';
import { getDb } from '@/lib/db';
import { listRefreshLogs, REFRESH_OUTCOMES, REFRESH_TRIGGERS, refreshTriggerWords } from '@/lib/db/refresh-logs';
import { AdminNav } from '../_components/admin-nav';
import { LocalTime } from '@/app/_components/local-time';
import { requireOperator } from '../_components/require-operator';

export const dynamic = 'force-dynamic';

const PAGE_SIZE = 50;

const blankToNull = (value: unknown) => (value === '' || value === undefined ? null : value);
/** A datetime-local value is read as UTC, as its label says (the server's zone must not decide). */
const utcDate = (label: string) =>
  z.preprocess(
    (value) => (typeof value === 'string' && /^\d{4}-\d\d-\d\dT\d\d(:\d\d)?$/.test(value) ? `${value}Z` : blankToNull(value)),
    z.coerce.date({ message: `${label} must be a date and time (UTC)` }).nullable(),
  );
// Each filter says what is wrong with it: a filter silently dropped would show every row as if it applied.
const search = z
  .object({
    provider: z.preprocess(blankToNull, z.string().regex(/^[a-z0-9_-]{1,64}$/, 'Provider must be a provider id').nullable()),
    outcome: z.preprocess(blankToNull, z.enum(REFRESH_OUTCOMES, { message: `Outcome must be one of ${REFRESH_OUTCOMES.join(', ')}` }).nullable()),
    trigger: z.preprocess(blankToNull, z.enum(REFRESH_TRIGGERS, { message: `Trigger must be one of ${REFRESH_TRIGGERS.join(', ')}` }).nullable()),
    organization: z.preprocess(blankToNull, z.uuid({ message: 'Organization id must be a UUID' }).nullable()),
    from: utcDate('From'),
    to: utcDate('To'),
    before_at: z.preprocess(blankToNull, z.iso.datetime({ message: 'This page link is not valid; start from the newest' }).nullable()),
    before_id: z.preprocess(blankToNull, z.uuid({ message: 'This page link is not valid; start from the newest' }).nullable()),
  })
  .refine((q) => !q.from || !q.to || q.from < q.to, { message: 'From must be before To', path: ['to'] });

type Search = Record<string, string | string[] | undefined>;

const SEARCH_KEYS = ['provider', 'outcome', 'trigger', 'organization', 'from', 'to', 'before_at', 'before_id'] as const;

/** Refresh logs of every organization (operators only), filtered by a GET form, newest first, keyset-paginated. */
export default async function AdminLogsPage({ searchParams }: { searchParams: Promise<Search> }) {
  await requireOperator();
  const raw = await searchParams;
  const first = (key: string) => (Array.isArray(raw[key]) ? raw[key][0] : raw[key]);
  const parsed = search.safeParse(Object.fromEntries(SEARCH_KEYS.map((key) => [key, first(key)])));
  const problems = parsed.success ? [] : [...new Set(parsed.error.issues.map((issue) => issue.message))];
  const q = parsed.success ? parsed.data : null;
  const { rows, next } = q
    ? await listRefreshLogs(
        await getDb(),
        { provider: q.provider, outcome: q.outcome, trigger: q.trigger, organizationId: q.organization, from: q.from, to: q.to },
        { limit: PAGE_SIZE, before: q.before_at && q.before_id ? { createdAt: q.before_at, id: q.before_id } : null },
      )
    : { rows: [], next: null };
  const keep = new URLSearchParams();
  for (const key of ['provider', 'outcome', 'trigger', 'organization', 'from', 'to'] as const) {
    const value = first(key);
    if (value) keep.set(key, value);
  }
  const nextHref = next ? `/admin/logs?${new URLSearchParams([...keep, ['before_at', next.createdAt], ['before_id', next.id]])}` : null;
  const firstHref = `/admin/logs?${keep}`;
  return (
    <>
      <AdminNav current="/admin/logs" />
      <h1>Refresh logs</h1>
      <form method="get" action="/admin/logs" style={{ display: 'flex', flexWrap: 'wrap', gap: '0.75rem', alignItems: 'end' }}>
        <label>
          Provider{' '}
          <ProviderSelect value={q?.provider ?? null} anyLabel="Any" />
        </label>
        <label>
          Outcome{' '}
          <select name="outcome" defaultValue={q?.outcome ?? ''}>
            <option value="">Any</option>
            {REFRESH_OUTCOMES.map((outcome) => (
              <option key={outcome} value={outcome}>
                {outcome}
              </option>
            ))}
          </select>
        </label>
        <label>
          Trigger{' '}
          <select name="trigger" defaultValue={q?.trigger ?? ''}>
            <option value="">Any</option>
            {REFRESH_TRIGGERS.map((trigger) => (
              <option key={trigger} value={trigger}>
                {refreshTriggerWords(trigger)}
              </option>
            ))}
          </select>
        </label>
        <label>
          Organization id <input name="organization" defaultValue={first('organization') ?? ''} size={36} />
        </label>
        <label>
          From (UTC) <input type="datetime-local" name="from" defaultValue={first('from') ?? ''} />
        </label>
        <label>
          To (UTC) <input type="datetime-local" name="to" defaultValue={first('to') ?? ''} />
        </label>
        <button type="submit">Filter</button>
        <Link href="/admin/logs">Clear filters</Link>
      </form>
      <FilterProblems problems={problems} />
      <table>
        <caption>
          {!q ? 'No refresh attempts shown: fix the filters above.' : rows.length === 0 ? 'No refresh attempts match these filters.' : `${rows.length} refresh attempt(s), newest first${q.before_at ? ' (a later page)' : ''}`}
        </caption>
        <thead>
          <tr>
            <th scope="col">When</th>
            <th scope="col">Provider</th>
            <th scope="col">Trigger</th>
            <th scope="col">Outcome</th>
            <th scope="col">Error code</th>
            <th scope="col">HTTP</th>
            <th scope="col">Duration</th>
            <th scope="col">Connection</th>
            <th scope="col">Organization</th>
          </tr>
        </thead>
        <tbody>
          {rows.map((row) => (
            <tr key={row.id}>
              <td>
                <LocalTime iso={row.created_at.toISOString()} />
              </td>
              <td>{row.provider}</td>
              <td title={row.trigger}>{refreshTriggerWords(row.trigger)}</td>
              <td>
                <span className={`badge ${row.outcome === 'refreshed' ? 'connected' : row.outcome === 'skipped' ? '' : row.outcome === 'transient_failure' ? 'trouble' : 'needs_reauthorization'}`}>
                  {row.outcome}
                </span>
              </td>
              <td>{row.error_code ?? '—'}</td>
              <td>{row.http_status ?? '—'}</td>
              <td>{row.duration_ms} ms</td>
              <td>
                <Link href={`/integrations/${row.integration_id}`}>{row.account_label ?? row.integration_id.slice(0, 8)}</Link>
              </td>
              <td>
                {row.organization_id ? <Link href={`/admin/logs?${new URLSearchParams([...keep, ['organization', row.organization_id]])}`}>{row.organization_id.slice(0, 8)}</Link> : '—'}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      <nav aria-label="Pages of refresh logs" style={{ display: 'flex', gap: '1rem' }}>
        {q?.before_at ? <Link href={firstHref}>Newest</Link> : null}
        {nextHref ? <Link href={nextHref}>Older</Link> : <span className="muted">No older attempts.</span>}
      </nav>
    </>
  );
}
