import type { Db, Queryable } from '../lib/db/client';
import { listIntegrationsPage, type ListCursor, type ListScope } from '../lib/db/integrations';
import { listRefreshLogs } from '../lib/db/refresh-logs';
import { asUser } from '../lib/db/user-context';
import { benchDatabase, median, note, report, round, since } from './support';

/**
 * The dashboard list (lib/db/integrations.ts listIntegrationsPage, as app/page.tsx calls it:
 * inside asUser, as `authenticated`, RLS on) with ORG_ROWS connections in one organization,
 * among other organizations' rows, and the operator log query (lib/db/refresh-logs.ts
 * listRefreshLogs, service connection) over LOG_ROWS log rows. Each line is the median wall
 * time of RUNS calls; bound 50 ms a page, ratio = value / bound. A page includes its capped
 * count (up to 10,001 rows), which is what grows with the organization.
 */

const ORG_ROWS = Number(process.env.BENCH_LIST_ROWS ?? 10_000);
const OTHER_ROWS = Number(process.env.BENCH_LIST_OTHER_ROWS ?? 40_000);
const LOG_ROWS = Number(process.env.BENCH_LOG_ROWS ?? 200_000);
const RUNS = Number(process.env.BENCH_LIST_RUNS ?? 20);
const WARMUP = 3;
const PAGE = 50;
const BOUND_MS = 50;
const MEMBERS = 20;

export async function seed(db: Db): Promise<{ viewer: string; org: string; orgs: string[] }> {
  await db.query(`insert into auth.users (email) select 'list-' || g || '@bench.example' from generate_series(1, $1::int) g`, [MEMBERS * 5]);
  await db.query(`insert into public.organizations (name) select 'List org ' || g from generate_series(1, 5) g`);
  const orgs = (await db.query<{ id: string }>(`select id from public.organizations order by name`)).map((row) => row.id);
  const users = (await db.query<{ id: string }>(`select id from auth.users order by email`)).map((row) => row.id);
  const viewer = users[0]!;
  // The viewer is a plain member of the big organization and of one other; MEMBERS users per organization.
  await db.query(
    `insert into public.organization_members (organization_id, user_id, role)
     select o.id, u.id, case when u.r % $1 = 1 then 'owner' else 'member' end
     from (select id, row_number() over (order by name) as r from public.organizations) o
     join (select id, row_number() over (order by email) as r from auth.users) u on (u.r - 1) / $1 + 1 = o.r
     on conflict do nothing`,
    [MEMBERS],
  );
  await db.query(`insert into public.organization_members (organization_id, user_id, role) values ($1, $2, 'member') on conflict do nothing`, [orgs[1], viewer]);
  const org = orgs[0]!;
  // Rows 1..ORG_ROWS in the big organization (made by its members), the rest spread over the
  // other four; statuses and expiries as a fleet has them, with ties on expiry (whole hours).
  await db.query(
    `with m as (select organization_id, array_agg(user_id order by user_id) as ids from public.organization_members group by organization_id),
          rows as (select g, case when g <= $1 then $3::uuid else (select id from public.organizations order by name offset 1 + g % 4 limit 1) end as org
                   from generate_series(1, $1::int + $2::int) g)
     insert into public.integrations
       (user_id, organization_id, provider, account_label, status, access_token_encrypted, refresh_token_encrypted, token_key_id,
        expires_at, refresh_due_at, consecutive_failures, consecutive_transient_failures)
     select m.ids[1 + g % array_length(m.ids, 1)], rows.org,
            (array['google', 'microsoft', 'slack', 'hubspot', 'xero'])[1 + g % 5],
            'account ' || g,
            case when g % 20 = 3 then 'needs_reauthorization' when g % 20 = 7 then 'disconnected' else 'connected' end,
            case when g % 20 = 7 then null else 'tw1.bench.' || md5(g::text) end,
            case when g % 20 = 7 or g % 9 = 0 then null else 'tw1.bench.' || md5((-g)::text) end,
            'bench',
            case when g % 20 = 7 or g % 13 = 0 then null else date_trunc('hour', now()) + make_interval(hours => g % 500) end,
            case when g % 20 = 7 then null else date_trunc('hour', now()) + make_interval(hours => g % 500) - interval '10 minutes' end,
            case when g % 20 = 3 then 3 when g % 20 = 11 then 1 else 0 end,
            case when g % 20 = 13 then 2 else 0 end
     from rows join m on m.organization_id = rows.org`,
    [ORG_ROWS, OTHER_ROWS, org],
  );
  // Logs: through the trigger that fills organization_id (migration 20261203090000).
  await db.query(
    `insert into public.token_refresh_logs (integration_id, provider, trigger, outcome, duration_ms, attempts, created_at)
     select i.id, i.provider, (array['cron', 'manual', 'forced', 'on_demand'])[1 + g % 4],
            (array['refreshed', 'refreshed', 'refreshed', 'refreshed', 'refreshed', 'refreshed', 'skipped', 'transient_failure', 'auth_failure', 'config_failure'])[1 + g % 10],
            g % 900, 1, now() - make_interval(secs => g * 3)
     from generate_series(1, $1::int) g
     join (select id, provider, row_number() over (order by id) as r from public.integrations) i on i.r = 1 + g % $2`,
    [LOG_ROWS, ORG_ROWS + OTHER_ROWS],
  );
  // As autovacuum leaves a table at rest: statistics and the visibility map.
  await db.query(`vacuum analyze`);
  return { viewer, org, orgs };
}

async function timed(runs: number, fn: () => Promise<void>): Promise<{ median: number; min: number; max: number }> {
  const times: number[] = [];
  for (let run = 0; run < WARMUP + runs; run += 1) {
    const started = performance.now();
    await fn();
    if (run >= WARMUP) times.push(since(started));
  }
  const sorted = [...times].sort((a, b) => a - b);
  return { median: median(times), min: sorted[0] ?? 0, max: sorted[sorted.length - 1] ?? 0 };
}

interface PlanNode {
  'Node Type': string;
  'Index Name'?: string;
  'Actual Rows'?: number;
  Plans?: PlanNode[];
  [key: string]: unknown;
}

function* walk(node: PlanNode): Generator<PlanNode> {
  yield node;
  for (const child of node.Plans ?? []) yield* walk(child);
}

/**
 * The plans of the statements listIntegrationsPage sends (the page, then the capped count), as
 * the viewer, with the server's execution time of each: where a page's time goes.
 */
async function planOfPage(db: Db, viewer: string, scope: ListScope, after: ListCursor | null): Promise<Record<string, unknown>> {
  const explained: { plan: PlanNode; ms: number }[] = [];
  await asUser(db, viewer, async (tx) => {
    const explaining: Queryable = {
      async query<T extends Record<string, unknown>>(text: string, params?: readonly unknown[]): Promise<T[]> {
        const [row] = await tx.query<{ 'QUERY PLAN': { Plan: PlanNode; 'Execution Time': number }[] }>(`explain (analyze, format json) ${text}`, params);
        const top = row?.['QUERY PLAN'][0];
        if (top) explained.push({ plan: top.Plan, ms: top['Execution Time'] });
        return tx.query<T>(text, params);
      },
      exec: (sqlText) => tx.exec(sqlText),
    };
    await listIntegrationsPage(explaining, { scope, status: null, provider: null, limit: PAGE, after });
  });
  const shape = (plan: PlanNode | undefined) =>
    plan
      ? [...walk(plan)]
          .filter((node) => node['Index Name'] || /Sort|Scan/.test(node['Node Type']))
          .map((node) => `${node['Node Type']}${node['Index Name'] ? ` using ${node['Index Name']}` : ''} (${String(node['Actual Rows'])} rows)`)
          .join('; ')
      : 'no plan';
  return {
    plan: shape(explained[0]?.plan),
    pageServerMs: round(explained[0]?.ms ?? 0, 3),
    countPlan: shape(explained[1]?.plan),
    countServerMs: round(explained[1]?.ms ?? 0, 3),
  };
}

export async function run(): Promise<void> {
  const { db, drop } = await benchDatabase();
  try {
    const started = performance.now();
    const { viewer, org, orgs } = await seed(db);
    note(`seeded ${ORG_ROWS} + ${OTHER_ROWS} integrations and ${LOG_ROWS} logs in ${(since(started) / 1000).toFixed(1)} s`);
    const orgScope: ListScope = { kind: 'organization', organizationId: org };
    // A deep page: the cursor of the row 80% of the way down the organization's order.
    const deepAt = Math.floor(ORG_ROWS * 0.8);
    const [deepRow] = await db.query<{ rank: number; expires: string; provider: string; id: string }>(
      `select * from (
         select case when status = 'needs_reauthorization' then 0
                     when status = 'connected' and (consecutive_failures > 0 or consecutive_transient_failures > 0) then 1
                     when status = 'connected' then 2 else 3 end as rank,
                (case when expires_at is null then 'infinity'::timestamptz else expires_at end)::text as expires, provider, id
         from public.integrations where organization_id = $1
       ) k order by rank, expires::timestamptz, provider, id offset $2 limit 1`,
      [org, deepAt],
    );
    if (!deepRow) throw new Error('no deep row');
    const deep: ListCursor = deepRow;
    const page = (scope: ListScope, after: ListCursor | null) => async () => {
      const listed = await asUser(db, viewer, (tx) => listIntegrationsPage(tx, { scope, status: null, provider: null, limit: PAGE, after }));
      if (listed.integrations.length !== PAGE) throw new Error(`page of ${listed.integrations.length} rows`);
    };
    const cases: { name: string; n: number; fn: () => Promise<void>; plan?: () => Promise<Record<string, unknown>>; extra: Record<string, unknown> }[] = [
      { name: 'dashboard-list-page', n: ORG_ROWS, fn: page(orgScope, null), plan: () => planOfPage(db, viewer, orgScope, null), extra: { scope: 'organization', page: 'first' } },
      {
        name: 'dashboard-list-page-deep',
        n: ORG_ROWS,
        fn: page(orgScope, deep),
        plan: () => planOfPage(db, viewer, orgScope, deep),
        extra: { scope: 'organization', page: `after row ${deepAt} (keyset)` },
      },
      {
        name: 'dashboard-list-page-all',
        n: ORG_ROWS,
        fn: page({ kind: 'all' }, null),
        plan: () => planOfPage(db, viewer, { kind: 'all' }, null),
        extra: { scope: 'all (own + 2 organizations)', page: 'first' },
      },
      {
        name: 'admin-logs-by-organization',
        n: LOG_ROWS,
        fn: async () => {
          const { rows } = await listRefreshLogs(db, { organizationId: orgs[2] }, { limit: PAGE });
          if (rows.length !== PAGE) throw new Error(`log page of ${rows.length}`);
        },
        extra: { filter: 'organization (one of five)' },
      },
      {
        name: 'admin-logs-by-outcome',
        n: LOG_ROWS,
        fn: async () => {
          const { rows } = await listRefreshLogs(db, { outcome: 'config_failure' }, { limit: PAGE });
          if (rows.length !== PAGE) throw new Error(`log page of ${rows.length}`);
        },
        extra: { filter: 'outcome config_failure (1 in 10)' },
      },
    ];
    for (const item of cases) {
      const t = await timed(RUNS, item.fn);
      report({
        name: item.name,
        n: item.n,
        value: round(t.median, 3),
        unit: 'ms',
        bound: BOUND_MS,
        ratio: round(t.median / BOUND_MS, 3),
        runs: RUNS,
        minMs: round(t.min, 3),
        maxMs: round(t.max, 3),
        pageSize: PAGE,
        ...item.extra,
        ...(item.plan ? await item.plan() : {}),
      });
    }
  } finally {
    await drop();
  }
}
