import postgres from 'postgres';
import type { Db, Queryable, Row } from '../lib/db/client';
import { claimDue, countDue, type ClaimOptions } from '../lib/refresh/claim';
import { benchDatabase, median, note, report, round, since } from './support';

/**
 * The claim statement (lib/refresh/claim.ts, unchanged) with 1,000 due integrations among a
 * table grown 10k → 100k → 1M. At each size: median wall time of claiming a batch of 100
 * over RUNS runs (leases given back between runs), and the plan from EXPLAIN (ANALYZE),
 * which must walk the partial index integrations_refresh_due_idx. Users grow with the table
 * (one per ten integrations), as they would in a deployment: the claim's RETURNING clause
 * looks up each claimed row's user and recipients.
 */

const SIZES = (process.env.BENCH_CLAIM_SIZES ?? '10000,100000,1000000').split(',').map(Number);
const DUE = 1_000;
const BATCH = 100;
const RUNS = Number(process.env.BENCH_CLAIM_RUNS ?? 20);
const WARMUP = 3;
/** Integrations per user as the table grows (10k → 1k users, 1M → 100k users). */
const INTEGRATIONS_PER_USER = 10;
const ORGANIZATIONS = 20;
const THRESHOLD_MINUTES = 10;
const DUE_INDEX = 'integrations_refresh_due_idx';

/**
 * Rows `from + 1 .. to` in one statement. Rows 1..DUE are connected and due (oldest first);
 * of the rest, one in five is not connected and overdue (excluded by status, not by date),
 * the others connected and due days to weeks from now. One in ten belongs to an organization.
 * The ciphertexts are dummies of the real shape and length: the claim never decrypts.
 */
async function grow(db: Db, from: number, to: number): Promise<void> {
  await db.query(
    `with u as (select array_agg(id order by id) as ids from auth.users),
          o as (select array_agg(id order by id) as ids from public.organizations),
          rows as (
            select g,
                   case when g <= $3 then 'connected'
                        when g % 10 = 3 then 'needs_reauthorization'
                        when g % 10 = 7 then 'disconnected'
                        else 'connected' end as status
            from generate_series($1::int + 1, $2::int) as g
          )
     insert into public.integrations
       (user_id, organization_id, provider, account_label, status, access_token_encrypted, refresh_token_encrypted,
        token_key_id, expires_at, refresh_due_at, consecutive_failures, last_error_code, last_failure_at)
     select u.ids[1 + g % array_length(u.ids, 1)],
            case when g % 10 = 1 then o.ids[1 + g % array_length(o.ids, 1)] end,
            (array['google', 'microsoft', 'slack', 'hubspot', 'xero'])[1 + g % 5],
            'account ' || g,
            rows.status,
            'tw1.bench.' || substr(md5(g::text), 1, 16) || '.' || repeat('A', 96) || '.' || substr(md5(g::text), 17, 16),
            'tw1.bench.' || substr(md5((-g)::text), 1, 16) || '.' || repeat('B', 96) || '.' || substr(md5((-g)::text), 17, 16),
            'bench',
            case when g <= $3 then now() + interval '5 minutes'
                 when rows.status <> 'connected' then now() - interval '1 day'
                 else now() + interval '7 days' + make_interval(secs => g) end,
            case when g <= $3 then now() - make_interval(secs => g)
                 when rows.status <> 'connected' then now() - interval '1 day'
                 else now() + interval '7 days' + make_interval(secs => g) - interval '10 minutes' end,
            case when rows.status <> 'connected' then 3 else 0 end,
            case when rows.status <> 'connected' then 'invalid_grant' end,
            case when rows.status <> 'connected' then now() - interval '1 day' end
     from rows, u, o`,
    [from, to, DUE],
  );
}

async function growUsers(db: Db, from: number, to: number): Promise<void> {
  await db.query(`insert into auth.users (email) select 'claim-' || g || '@bench.example' from generate_series($1::int + 1, $2::int) g`, [
    from,
    to,
  ]);
}

async function seedOrganizations(db: Db): Promise<void> {
  await db.query(`insert into public.organizations (name) select 'Bench org ' || g from generate_series(1, $1::int) g`, [ORGANIZATIONS]);
  // Five members per organization: an owner, an admin, a manager and two plain members.
  await db.query(
    `insert into public.organization_members (organization_id, user_id, role, can_manage_integrations)
     select o.id, u.id, (array['owner', 'admin', 'member', 'member', 'member'])[k], k = 3
     from (select id, row_number() over (order by id) as r from public.organizations) o
     cross join generate_series(1, 5) as k
     join (select id, row_number() over (order by id) as r from auth.users) u on u.r = (o.r - 1) * 5 + k`,
  );
}

interface PlanNode {
  'Node Type': string;
  'Relation Name'?: string;
  'Index Name'?: string;
  Plans?: PlanNode[];
  [key: string]: unknown;
}

function* walk(node: PlanNode): Generator<PlanNode> {
  yield node;
  for (const child of node.Plans ?? []) yield* walk(child);
}

interface Explained {
  Plan: PlanNode;
  'Execution Time': number;
  'Planning Time': number;
}

class Rollback extends Error {}

/** EXPLAIN (ANALYZE) of the very statement claimDue sends, in a transaction rolled back after. */
async function explainClaim(db: Db, options: ClaimOptions): Promise<{ plan: PlanNode; executionMs: number; planningMs: number }> {
  let explained: Explained | undefined;
  await db
    .transaction(async (tx) => {
      const explaining: Queryable = {
        async query<T extends Row = Row>(text: string, params?: readonly unknown[]): Promise<T[]> {
          const [row] = await tx.query<{ 'QUERY PLAN': Explained[] }>(`explain (analyze, buffers, format json) ${text}`, params);
          explained = row?.['QUERY PLAN'][0];
          return [];
        },
        exec: (sqlText) => tx.exec(sqlText),
      };
      await claimDue(explaining, options);
      throw new Rollback();
    })
    .catch((error: unknown) => {
      if (!(error instanceof Rollback)) throw error;
    });
  if (!explained) throw new Error('EXPLAIN returned no plan');
  return { plan: explained.Plan, executionMs: explained['Execution Time'], planningMs: explained['Planning Time'] };
}

/**
 * Statements the claim runs inside functions (the RETURNING clause calls SQL functions whose
 * plans EXPLAIN does not show): auto_explain with nested statements, its LOG messages sent to
 * this client. Scans summed per kind and table, e.g. { "Seq Scan on users": { count: 100, ms: 700 } }.
 * Null when auto_explain cannot be loaded (a managed server).
 */
async function nestedScans(url: string, options: ClaimOptions): Promise<Record<string, { count: number; ms: number }> | null> {
  const messages: string[] = [];
  const sql = postgres(url, { max: 1, prepare: false, onnotice: (notice) => messages.push(String(notice.message)) });
  try {
    await sql
      .begin(async (tx) => {
        await tx.unsafe(`load 'auto_explain'`);
        for (const setting of [
          'auto_explain.log_min_duration = 0',
          'auto_explain.log_nested_statements = on',
          'auto_explain.log_analyze = on',
          "auto_explain.log_format = 'json'",
          'client_min_messages = log',
        ]) {
          await tx.unsafe(`set local ${setting}`);
        }
        const client: Queryable = {
          query: async <T extends Row = Row>(text: string, params?: readonly unknown[]) =>
            (await tx.unsafe(text, (params ?? []) as postgres.ParameterOrJSON<never>[])) as unknown as T[],
          exec: async (text: string) => {
            await tx.unsafe(text);
          },
        };
        await claimDue(client, options);
        throw new Rollback();
      })
      .catch((error: unknown) => {
        if (!(error instanceof Rollback)) throw error;
      });
  } catch {
    return null; // no auto_explain here: the top-level plan is all there is
  } finally {
    await sql.end({ timeout: 5 });
  }
  const scans: Record<string, { count: number; ms: number }> = {};
  for (const message of messages) {
    const start = message.indexOf('{');
    if (start < 0) continue;
    const logged = JSON.parse(message.slice(start)) as { 'Query Text'?: string; Plan?: PlanNode };
    if (!logged.Plan || logged['Query Text']?.trimStart().startsWith('with due')) continue; // the claim itself
    for (const node of walk(logged.Plan)) {
      if (!node['Relation Name']) continue;
      const key = `${node['Node Type']} on ${node['Relation Name']}`;
      const entry = (scans[key] ??= { count: 0, ms: 0 });
      entry.count += 1;
      entry.ms = round(entry.ms + Number(node['Actual Total Time'] ?? 0) * Number(node['Actual Loops'] ?? 1), 2);
    }
  }
  return scans;
}

async function measure(db: Db, url: string | null, size: number, users: number, seedSeconds: number): Promise<string | null> {
  const due = await countDue(db, new Date(), THRESHOLD_MINUTES);
  const [{ rows = 0, connected = 0 } = {}] = await db.query<{ rows: number; connected: number }>(
    `select count(*)::int as rows, count(*) filter (where status = 'connected')::int as connected from public.integrations`,
  );
  if (due !== DUE || rows !== size) throw new Error(`expected ${DUE} due among ${size}, found ${due} among ${rows}`);

  const options = (run: number | string): ClaimOptions => ({
    owner: `bench-claim-${run}`,
    now: new Date(),
    limit: BATCH,
    leaseSeconds: 120,
    thresholdMinutes: THRESHOLD_MINUTES,
  });

  const times: number[] = [];
  for (let run = 0; run < WARMUP + RUNS; run += 1) {
    const started = performance.now();
    const claimed = await claimDue(db, options(run));
    const ms = since(started);
    if (claimed.length !== BATCH) throw new Error(`claimed ${claimed.length}, expected ${BATCH}`);
    if (run >= WARMUP) times.push(ms);
    // Give the batch back exactly as it was: no lease, never attempted.
    await db.query(
      `update public.integrations set lease_owner = null, lease_expires_at = null, last_attempt_at = null
       where id in (select value::uuid from jsonb_array_elements_text($1::jsonb))`,
      [JSON.stringify(claimed.map((row) => row.id))],
    );
  }

  const { plan, executionMs, planningMs } = await explainClaim(db, options('explain'));
  const nested = url ? await nestedScans(url, options('nested')) : null;
  if (process.env.BENCH_CLAIM_PLAN) note(JSON.stringify(plan, null, 1));
  const nodes = [...walk(plan)];
  const dueScan = nodes.find((node) => node['Index Name'] === DUE_INDEX);
  const scanOf = (node: PlanNode) =>
    `${node['Node Type']}${node['Index Name'] ? ` using ${node['Index Name']}` : ''}${node['Actual Loops'] !== 1 ? ` ×${String(node['Actual Loops'])}` : ''}`;
  const integrationScans = nodes.filter((node) => node['Relation Name'] === 'integrations').map(scanOf);
  // Scans of other tables (the RETURNING clause's user and recipient subqueries), with loops and time.
  const otherScans = nodes
    .filter((node) => node['Relation Name'] && node['Relation Name'] !== 'integrations')
    .map((node) => `${scanOf(node)} on ${String(node['Relation Name'])} (${round(Number(node['Actual Total Time']) * Number(node['Actual Loops']), 2)} ms)`);
  const dueWalk = nodes.find((node) => node['Subplan Name'] === 'CTE due');
  const sorted = [...times].sort((a, b) => a - b);
  report({
    name: 'claim-query',
    n: size,
    value: round(median(times), 3),
    unit: 'ms',
    due: DUE,
    batch: BATCH,
    runs: RUNS,
    minMs: round(sorted[0] ?? 0, 3),
    maxMs: round(sorted[sorted.length - 1] ?? 0, 3),
    plan: dueScan?.['Node Type'] ?? 'no scan of the due index',
    planRows: dueScan?.['Actual Rows'],
    integrationScans,
    otherScans,
    users,
    serverExecutionMs: round(executionMs, 3),
    // The due-index walk with its row locks (the CTE): the part that must not grow with the table.
    dueWalkMs: round(Number(dueWalk?.['Actual Total Time'] ?? 0), 3),
    nestedScans: nested,
    planningMs: round(planningMs, 3),
    connected,
    seedSeconds: round(seedSeconds, 2),
  });
  const seqScans = [
    ...otherScans.filter((scan) => scan.startsWith('Seq Scan')),
    ...Object.entries(nested ?? {})
      .filter(([scan]) => scan.startsWith('Seq Scan'))
      .map(([scan, { count, ms }]) => `${scan} ×${count} inside functions (${ms} ms)`),
  ];
  if (seqScans.length > 0) note(`claim at ${size} rows / ${users} users: ${seqScans.join('; ')}`);
  if (!dueScan || !/Index/.test(dueScan['Node Type']) || integrationScans.some((scan) => scan.startsWith('Seq Scan'))) {
    return `at ${size} rows the claim does not walk ${DUE_INDEX}: ${integrationScans.join('; ')}`;
  }
  return null;
}

export async function run(): Promise<void> {
  const { db, url, drop } = await benchDatabase();
  const problems: string[] = [];
  try {
    let rows = 0;
    let users = 0;
    for (const size of SIZES) {
      const started = performance.now();
      const wantedUsers = Math.max(100, Math.ceil(size / INTEGRATIONS_PER_USER));
      await growUsers(db, users, wantedUsers);
      if (users === 0) await seedOrganizations(db);
      users = wantedUsers;
      await grow(db, rows, size);
      await db.query(`analyze public.integrations`);
      const seedSeconds = since(started) / 1000;
      note(`grew integrations ${rows} → ${size}, users → ${users} (+ analyze) in ${seedSeconds.toFixed(1)} s`);
      rows = size;
      const problem = await measure(db, url, size, users, seedSeconds);
      if (problem) problems.push(problem);
    }
  } finally {
    await drop();
  }
  if (problems.length > 0) throw new Error(problems.join('\n'));
}
