import { randomBytes } from 'node:crypto';
import { KeyRing } from '../lib/crypto/key-ring';
import { loadProviderRegistry } from '../lib/providers/registry';
import { validateImportFile } from '../lib/import/validate';
import { importConnections } from '../lib/import/import-connections';
import { createPgliteDb } from '../lib/db/pglite-client';
import { migrate } from '../lib/db/migrate';
import type { Db } from '../lib/db/client';
import { benchDatabase, report } from './support';

const N = Number(process.env.BENCH_IMPORT_ROWS ?? 10_000);
const PROVIDERS = ['google', 'microsoft', 'slack', 'hubspot', 'xero', 'salesforce', 'zoom', 'dropbox'];

function importFile(n: number): unknown[] {
  const now = Date.now();
  return Array.from({ length: n }, (_, i) => ({
    user_email: `user${i % 500}@bench.example`,
    provider: PROVIDERS[i % PROVIDERS.length],
    access_token: `access-${randomBytes(24).toString('hex')}`,
    refresh_token: `refresh-${randomBytes(24).toString('hex')}`,
    expires_at: new Date(now + (i % 3600) * 1000).toISOString(),
    scopes: ['read', 'write'],
    account_label: `account ${i}`,
    organization: i % 4 === 0 ? `Bench org ${i % 20}` : undefined,
  }));
}

/** Whole import path as the CLI runs it: validate every entry, encrypt, batched insert. */
async function measure(db: Db, engine: string): Promise<void> {
  const keyRing = new KeyRing([{ id: 'bench', key: randomBytes(32) }]);
  const providers = loadProviderRegistry({ env: {} });
  const data = JSON.parse(JSON.stringify(importFile(N))) as unknown;
  const started = performance.now();
  const entries = validateImportFile(data, new Set(providers.ids()));
  const result = await importConnections(db, entries, { keyRing, providers });
  const seconds = (performance.now() - started) / 1000;
  if (result.imported !== N) throw new Error(`imported ${result.imported} of ${N}`);
  report({ name: 'import-rate', engine, n: N, value: Math.round(N / seconds), unit: 'rows/s', seconds: Number(seconds.toFixed(3)) });
}

export async function run(): Promise<void> {
  const server = await benchDatabase();
  try {
    await measure(server.db, 'postgres');
  } finally {
    await server.drop();
  }
  const embedded = await createPgliteDb(null);
  try {
    await migrate(embedded);
    await measure(embedded, 'pglite');
  } finally {
    await embedded.close();
  }
}
