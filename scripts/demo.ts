import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseEnv } from '../lib/env';
import { dataDir } from '../lib/data-dir';
import { openDatabase, describeDatabase } from '../lib/db/open';
import { migrate } from '../lib/db/migrate';
import { DEV_KEY_FILE, loadKeyRing } from '../lib/crypto/load-key-ring';
import { loadProviderRegistry } from '../lib/providers/registry';
import { seedDemo, demoProviderIds } from '../lib/demo/seed';
import { startLocalOAuthProvider, type LocalOAuthProvider } from '../lib/demo/local-oauth-provider';
import { readCrons, startScheduler } from '../lib/demo/scheduler';

/**
 * `npm run demo`: the whole product on the embedded default.
 *
 * 1. A bundled OAuth server (oidc-provider) on 127.0.0.1:DEMO_OAUTH_PORT issues tokens that
 *    live a few minutes, with rotating refresh tokens; its state persists in .data/.
 * 2. The data folder is migrated and seeded with connections holding real tokens from it
 *    (one whose grant is revoked), then closed: one PGlite folder, one process.
 * 3. The app runs in development mode (`next dev`), or with DEMO_SERVER=start on the
 *    production server (`next start` of the last `next build`), with the seeded providers
 *    pointed at the local server and the local sign-in on (TOKENWARDEN_LOCAL_AUTH=1, refused
 *    at start on a deployment).
 * 4. A scheduler calls the cron routes of vercel.json as Vercel would; the 5-minute refresh
 *    runs every DEMO_TICK_SECONDS (default 30) so a visitor sees it work, or, with 0, only
 *    when someone asks (Refresh now, or the operator's Trigger refresh in /admin/operations).
 */

const PORT = Number(process.env.PORT ?? 3000);
// Loopback only: the demo's local sign-in must not be reachable from the network.
const HOST = process.env.DEMO_HOST ?? '127.0.0.1';
const OAUTH_PORT = Number(process.env.DEMO_OAUTH_PORT ?? 3010);
const TOKEN_TTL_SECONDS = Number(process.env.DEMO_TOKEN_TTL_SECONDS ?? 240);
const TICK_SECONDS = Number(process.env.DEMO_TICK_SECONDS ?? 30);
/** `dev` (the default, what a newcomer runs) or `start`: the production server of the last build. */
const SERVER = process.env.DEMO_SERVER ?? 'dev';
const DEMO_CLIENT = { clientId: 'tokenwarden-demo', auth: 'client_secret_basic' as const };
const log = (line: string) => process.stderr.write(`[demo] ${line}\n`);
/** The built-in catalog alone (no file, no credentials): what each demo provider asks for. */
const builtinCatalog = loadProviderRegistry({ providersFile: null, env: {} });

interface DemoSecrets {
  CRON_SECRET: string;
  OAUTH_CLIENT_SECRET: string;
}

function demoSecrets(dir: string): DemoSecrets {
  const file = join(dir, 'demo-secrets.json');
  if (existsSync(file)) {
    const stored = JSON.parse(readFileSync(file, 'utf8')) as Partial<DemoSecrets>;
    if (stored.CRON_SECRET && stored.OAUTH_CLIENT_SECRET) return stored as DemoSecrets;
  }
  const secrets: DemoSecrets = {
    CRON_SECRET: randomBytes(24).toString('base64url'),
    OAUTH_CLIENT_SECRET: randomBytes(24).toString('base64url'),
  };
  mkdirSync(dir, { recursive: true });
  writeFileSync(file, JSON.stringify(secrets, null, 2), { mode: 0o600 });
  return secrets;
}

/**
 * The scopes a demo provider asks for at the local OAuth server: its catalog scopes and offline
 * scopes, with `openid email` so that every one is an OpenID provider there (the ID token's
 * `sub` is the account, `email` its label; lib/providers/registry.ts).
 */
function demoScopes(id: string): string[] {
  const profile = builtinCatalog.get(id);
  return [...new Set(['openid', 'email', ...(profile?.scopes ?? []), ...(profile?.offlineScopes ?? [])])];
}

/**
 * Points every seeded provider at the local OAuth server (a providers file in .data/): token
 * endpoint for refreshes, authorization endpoint for Connect and Reconnect, revocation
 * endpoint for Disconnect, userinfo for Test connection (except Slack, whose health check reads
 * Slack's own `ok` body, which a userinfo answer does not have: its test names the failure).
 */
function writeProvidersFile(dir: string, oauth: LocalOAuthProvider, clientSecret: string): string {
  const file = join(dir, 'demo-providers.json');
  const providers = demoProviderIds().map((id) => ({
    id,
    tokenUrl: oauth.tokenUrl,
    authorizationUrl: oauth.authorizationUrl,
    revocationUrl: oauth.revocationUrl,
    ...(id === 'slack' ? {} : { healthCheckUrl: oauth.userinfoUrl }),
    scopes: demoScopes(id),
    clientId: DEMO_CLIENT.clientId,
    clientSecret,
    clientAuth: DEMO_CLIENT.auth,
  }));
  writeFileSync(file, JSON.stringify({ providers }, null, 2), { mode: 0o600 });
  return file;
}

async function prepare(): Promise<{ env: Record<string, string>; oauth: LocalOAuthProvider }> {
  const base = parseEnv(process.env);
  // Said by whoever starts it, NODE_ENV=production means "this is a deployment": no demo there.
  // DEMO_SERVER=start sets it only for its own `next start` child (see appEnvironment).
  if (base.NODE_ENV === 'production') throw new Error('npm run demo is for development; unset NODE_ENV=production');
  if (SERVER !== 'dev' && SERVER !== 'start') throw new Error(`DEMO_SERVER must be dev or start, not ${SERVER}`);
  if (!Number.isFinite(TICK_SECONDS) || TICK_SECONDS < 0) throw new Error(`DEMO_TICK_SECONDS must be 0 (no automatic refresh) or a number of seconds`);
  if (SERVER === 'start' && !existsSync(join('.next', 'BUILD_ID'))) {
    throw new Error('DEMO_SERVER=start runs the last `next build`: run `npm run build` first');
  }
  const dir = dataDir(base);
  const secrets = demoSecrets(dir);
  const appUrl = process.env.APP_URL ?? `http://localhost:${PORT}`;
  const oauth = await startLocalOAuthProvider({
    port: OAUTH_PORT,
    accessTokenTtlSeconds: TOKEN_TTL_SECONDS,
    clients: [{ ...DEMO_CLIENT, clientSecret: secrets.OAUTH_CLIENT_SECRET }],
    persistFile: join(dir, 'oauth-provider.json'),
    // Its own sign-in and consent pages, so Connect and Reconnect work in the browser. The app
    // is reached as localhost or 127.0.0.1; the callback is registered under both.
    loginPages: true,
    redirectUris: [...new Set([`${appUrl}/api/connect/callback`, `http://127.0.0.1:${PORT}/api/connect/callback`])],
    scopes: [...new Set(demoProviderIds().flatMap(demoScopes))],
  });
  log(`oauth provider: ${oauth.issuer} (access tokens live ${TOKEN_TTL_SECONDS} s, refresh tokens rotate; sign-in page for Connect and Reconnect)`);
  const childEnv: Record<string, string> = {
    ...(process.env as Record<string, string>),
    NEXT_TELEMETRY_DISABLED: '1',
    CRON_SECRET: process.env.CRON_SECRET ?? secrets.CRON_SECRET,
    TOKENWARDEN_DATA_DIR: dir,
    TOKENWARDEN_PROVIDERS_FILE: writeProvidersFile(dir, oauth, secrets.OAUTH_CLIENT_SECRET),
    APP_URL: appUrl,
    // The demo is signed into by picking a user; lib/env.ts refuses this if the database is not on this machine.
    TOKENWARDEN_LOCAL_AUTH: '1',
    // The demo owner is also the operator, so the admin page and operator emails show.
    OPERATOR_EMAILS: process.env.OPERATOR_EMAILS ?? 'dana@demo.tokenwarden.dev',
  };
  const env = parseEnv(childEnv);
  const db = await openDatabase(env);
  try {
    log(`database: ${describeDatabase(env)}`);
    const { applied } = await migrate(db, { log: (line) => log(line) });
    if (applied.length === 0) log('migrations: up to date');
    const keyRing = loadKeyRing(env);
    const providers = loadProviderRegistry({ providersFile: env.TOKENWARDEN_PROVIDERS_FILE, env: childEnv });
    const seeded = await seedDemo(db, {
      keyRing,
      providers,
      tokens: {
        mint: (connection) =>
          oauth.mintTokens({ accountId: connection.accountId, clientId: DEMO_CLIENT.clientId, scope: demoScopes(connection.provider).join(' ') }),
        revoke: (grantId) => oauth.revokeGrant(grantId),
      },
    });
    log(seeded.seeded ? `seeded ${seeded.integrations} demo connections` : 'demo data already present (delete .data/ to start over)');
  } finally {
    await db.close();
  }
  return { env: SERVER === 'start' ? appEnvironment(childEnv, dir) : childEnv, oauth };
}

/**
 * The environment of `next start`, which runs with NODE_ENV=production (it sets that itself;
 * the demo says it explicitly). Production asks for TOKEN_ENCRYPTION_KEYS and never generates
 * a key (lib/env.ts, lib/crypto/load-key-ring.ts), so the demo passes on the key its embedded
 * database was sealed with: the one generated into the data folder above (or the caller's own
 * TOKEN_ENCRYPTION_KEYS). Nothing is loosened for anyone else: the local sign-in and the dev
 * mailbox do not read NODE_ENV at all, and keep refusing every deployment signal (VERCEL,
 * VERCEL_ENV, SUPABASE_URL, a DATABASE_URL elsewhere; lib/local-auth.ts). Parsed here, so a
 * refusal is said before the server starts.
 */
function appEnvironment(childEnv: Record<string, string>, dir: string): Record<string, string> {
  const env = {
    ...childEnv,
    NODE_ENV: 'production',
    TOKEN_ENCRYPTION_KEYS: childEnv.TOKEN_ENCRYPTION_KEYS ?? readFileSync(join(dir, DEV_KEY_FILE), 'utf8').trim(),
  };
  parseEnv(env);
  return env;
}

function start(command: string, args: string[], env: Record<string, string>): ChildProcess {
  return spawn(command, args, { env: env as NodeJS.ProcessEnv, stdio: 'inherit' });
}

async function main(): Promise<void> {
  const { env, oauth } = await prepare();
  const app = start(process.execPath, [join('node_modules', 'next', 'dist', 'bin', 'next'), SERVER, '--port', String(PORT), '--hostname', HOST], env);
  log(`app: http://localhost:${PORT} on next ${SERVER} (sign in as a demo user on the first page)`);
  const refreshPath = '/api/cron/token-refresh';
  if (TICK_SECONDS === 0) log(`${refreshPath}: not scheduled (DEMO_TICK_SECONDS=0): Refresh now, or Trigger refresh in /admin/operations`);
  const scheduler = startScheduler({
    appUrl: `http://${HOST}:${PORT}`,
    cronSecret: env.CRON_SECRET!,
    crons: readCrons().filter((cron) => TICK_SECONDS > 0 || cron.path !== refreshPath),
    ...(TICK_SECONDS > 0 ? { fastPath: { path: refreshPath, everySeconds: TICK_SECONDS } } : {}),
    log: (line) => log(`cron ${line}`),
  });

  let stopping = false;
  const stopAll = async (signal: NodeJS.Signals) => {
    if (stopping) return;
    stopping = true;
    scheduler.stop();
    if (app.exitCode === null) app.kill(signal);
    await oauth.close();
  };
  process.on('SIGINT', () => void stopAll('SIGINT'));
  process.on('SIGTERM', () => void stopAll('SIGTERM'));
  app.on('exit', (code) => {
    void stopAll('SIGTERM').finally(() => process.exit(code ?? 0));
  });
}

main().catch((error: unknown) => {
  process.stderr.write(`[demo] ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
