import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseEnv } from '../lib/env';
import { dataDir } from '../lib/data-dir';
import { openDatabase, describeDatabase } from '../lib/db/open';
import { migrate } from '../lib/db/migrate';
import { loadKeyRing } from '../lib/crypto/load-key-ring';
import { loadProviderRegistry } from '../lib/providers/registry';
import { seedDemo } from '../lib/demo/seed';

/**
 * `npm run demo`: the whole product on the embedded default. Prepares the data folder
 * (migrate + seed, then closes it: one PGlite folder, one process), then runs the app.
 * Background services (the local OAuth provider, the cron scheduler) join the `services`
 * list as they arrive and are stopped with the app.
 */

const PORT = Number(process.env.PORT ?? 3000);
// Loopback only: the demo's local sign-in must not be reachable from the network.
const HOST = process.env.DEMO_HOST ?? '127.0.0.1';
const log = (line: string) => process.stderr.write(`[demo] ${line}\n`);

function demoSecrets(dir: string): { CRON_SECRET: string } {
  const file = join(dir, 'demo-secrets.json');
  if (existsSync(file)) return JSON.parse(readFileSync(file, 'utf8')) as { CRON_SECRET: string };
  const secrets = { CRON_SECRET: randomBytes(24).toString('base64url') };
  mkdirSync(dir, { recursive: true });
  writeFileSync(file, JSON.stringify(secrets, null, 2), { mode: 0o600 });
  return secrets;
}

async function prepare(): Promise<Record<string, string>> {
  const base = parseEnv(process.env);
  if (base.NODE_ENV === 'production') throw new Error('npm run demo is for development; unset NODE_ENV=production');
  const dir = dataDir(base);
  const secrets = demoSecrets(dir);
  const childEnv: Record<string, string> = {
    ...(process.env as Record<string, string>),
    NEXT_TELEMETRY_DISABLED: '1',
    CRON_SECRET: process.env.CRON_SECRET ?? secrets.CRON_SECRET,
    TOKENWARDEN_DATA_DIR: dir,
    APP_URL: process.env.APP_URL ?? `http://localhost:${PORT}`,
  };
  const env = parseEnv(childEnv);
  const db = await openDatabase(env);
  try {
    log(`database: ${describeDatabase(env)}`);
    const { applied } = await migrate(db, { log: (line) => log(line) });
    if (applied.length === 0) log('migrations: up to date');
    const keyRing = loadKeyRing(env);
    const providers = loadProviderRegistry({ providersFile: env.TOKENWARDEN_PROVIDERS_FILE, env: childEnv });
    const seeded = await seedDemo(db, { keyRing, providers });
    log(seeded.seeded ? `seeded ${seeded.integrations} demo connections` : 'demo data already present (delete .data/ to start over)');
  } finally {
    await db.close();
  }
  return childEnv;
}

function start(command: string, args: string[], env: Record<string, string>): ChildProcess {
  return spawn(command, args, { env: env as NodeJS.ProcessEnv, stdio: 'inherit' });
}

async function main(): Promise<void> {
  const env = await prepare();
  const services: ChildProcess[] = [];
  const app = start(process.execPath, [join('node_modules', 'next', 'dist', 'bin', 'next'), 'dev', '--port', String(PORT), '--hostname', HOST], env);
  log(`app: http://localhost:${PORT} (sign in as a demo user on the first page)`);

  const stopAll = (signal: NodeJS.Signals) => {
    for (const child of [app, ...services]) if (child.exitCode === null) child.kill(signal);
  };
  process.on('SIGINT', () => stopAll('SIGINT'));
  process.on('SIGTERM', () => stopAll('SIGTERM'));
  app.on('exit', (code) => {
    stopAll('SIGTERM');
    process.exit(code ?? 0);
  });
}

main().catch((error: unknown) => {
  process.stderr.write(`[demo] ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
