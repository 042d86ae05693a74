import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

/**
 * Real HTTP for end-to-end tests: `next build` (once, and again only when sources changed
 * since the last build), then `next start` or the demo script on a free loopback port.
 */

export const ROOT = resolve(import.meta.dirname, '..', '..');
const NEXT_BIN = join(ROOT, 'node_modules', 'next', 'dist', 'bin', 'next');
const SOURCES = ['app', 'lib', 'instrumentation.ts', 'next.config.ts', 'package-lock.json'];

function newestSourceTime(path: string): number {
  if (!existsSync(path)) return 0;
  const stat = statSync(path);
  if (!stat.isDirectory()) return stat.mtimeMs;
  return Math.max(stat.mtimeMs, ...readdirSync(path).map((name) => newestSourceTime(join(path, name))));
}

/** Builds the app unless .next holds a build newer than every source file. */
export function ensureBuild(): void {
  const lock = join(ROOT, '.next-build-lock');
  // Test files run in parallel processes: one builds, the others wait for its lock.
  for (let waited = 0; ; waited += 1) {
    try {
      mkdirSync(lock);
      break;
    } catch {
      if (waited > 600) throw new Error(`${lock} held for 10 minutes; remove it if no build is running`);
      spawnSync('sleep', ['1']);
    }
  }
  try {
    const buildId = join(ROOT, '.next', 'BUILD_ID');
    const built = existsSync(buildId) ? statSync(buildId).mtimeMs : 0;
    const newest = Math.max(...SOURCES.map((source) => newestSourceTime(join(ROOT, source))));
    if (built > newest) return;
    const result = spawnSync(process.execPath, [NEXT_BIN, 'build'], {
      cwd: ROOT,
      env: { ...process.env, NEXT_TELEMETRY_DISABLED: '1' },
      encoding: 'utf8',
    });
    if (result.status !== 0) throw new Error(`next build failed:\n${result.stdout}\n${result.stderr}`);
  } finally {
    rmSync(lock, { recursive: true, force: true });
  }
}

export function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => resolvePort(typeof address === 'object' && address ? address.port : 0));
    });
  });
}

export interface RunningServer {
  url: string;
  child: ChildProcess;
  output(): string;
  /** Resolves with the exit code once the process has ended. */
  exited: Promise<number | null>;
  stop(): Promise<void>;
}

/** Spawns a server and waits until it answers HTTP (or exits, or the timeout passes). */
export async function spawnServer(
  command: string,
  args: string[],
  options: { env: Record<string, string | undefined>; port: number; timeoutMs?: number; readyPath?: string },
): Promise<RunningServer> {
  const child = spawn(command, args, {
    cwd: ROOT,
    env: { ...options.env, NEXT_TELEMETRY_DISABLED: '1' } as Record<string, string> as NodeJS.ProcessEnv,
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true, // its own process group, so stop() also ends the servers it starts
  });
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<number | null>((resolveExit) => child.on('exit', (code) => resolveExit(code)));
  const url = `http://127.0.0.1:${options.port}`;
  const server: RunningServer = {
    url,
    child,
    output: () => output,
    exited,
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      try {
        process.kill(-child.pid!, 'SIGTERM');
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'ESRCH') throw error;
      }
      await Promise.race([exited, new Promise((r) => setTimeout(r, 5000))]);
      if (child.exitCode === null && child.signalCode === null) process.kill(-child.pid!, 'SIGKILL');
    },
  };
  const deadline = Date.now() + (options.timeoutMs ?? 60_000);
  let ended = false;
  void exited.then(() => (ended = true));
  while (Date.now() < deadline && !ended) {
    try {
      await fetch(`${url}${options.readyPath ?? '/sign-in'}`, { redirect: 'manual', signal: AbortSignal.timeout(30_000) });
      return server;
    } catch {
      await new Promise((r) => setTimeout(r, 250));
    }
  }
  if (ended) return server; // the caller inspects exit code and output
  await server.stop();
  throw new Error(`server did not answer within the timeout:\n${output}`);
}

/**
 * The environment of a production `next start` whose users sign in through the Supabase Auth
 * stand-in (tests/support/supabase-auth-mock.ts): only what the server needs, a fresh
 * encryption key unless the test seals tokens with its own, and the test's extra variables.
 */
export function supabaseServerEnv(
  input: { databaseUrl: string | null | undefined; auth: { url: string; anonKey: string }; key?: Buffer },
  extra: Record<string, string | undefined> = {},
): Record<string, string | undefined> {
  return {
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    NODE_ENV: 'production',
    DATABASE_URL: input.databaseUrl ?? undefined,
    TOKEN_ENCRYPTION_KEYS: `k1:${(input.key ?? randomBytes(32)).toString('base64')}`,
    SUPABASE_URL: input.auth.url,
    SUPABASE_ANON_KEY: input.auth.anonKey,
    ...extra,
  };
}

/** `next start` (production mode) of the current build. */
export function startNext(env: Record<string, string | undefined>, port: number): Promise<RunningServer> {
  return spawnServer(process.execPath, [NEXT_BIN, 'start', '--port', String(port), '--hostname', '127.0.0.1'], { env, port });
}

export interface DemoServer extends RunningServer {
  /** The demo's APP_URL (http://localhost:PORT): its links and its OAuth callback are on this origin. */
  app: string;
}

/**
 * `scripts/demo.ts` in a fresh data folder of its own, with its bundled OAuth server on a port
 * of its own, so test files running side by side share nothing but the build. `start` (the
 * default) runs the demo on `next start` of the shared build (DEMO_SERVER=start; built here
 * first when the sources changed), as the browser tests ask; `dev` is what
 * `npm run demo` runs for a newcomer.
 */
export async function startDemo(options: { dataDirPrefix: string; server?: 'start' | 'dev'; tickSeconds?: number }): Promise<DemoServer> {
  const server = options.server ?? 'start';
  // Also before `next dev`: with another test file's `next build` running beside it in the
  // same folder, the dev demo's sign-in was seen to loop (both write under .next). Once built,
  // ensureBuild is a no-op, so a dev server never runs beside a build.
  ensureBuild();
  const port = await freePort();
  const running = await spawnServer(process.execPath, [join(ROOT, 'node_modules', 'tsx', 'dist', 'cli.mjs'), 'scripts/demo.ts'], {
    env: {
      PATH: process.env.PATH,
      HOME: process.env.HOME,
      PORT: String(port),
      DEMO_OAUTH_PORT: String(await freePort()),
      DEMO_TICK_SECONDS: String(options.tickSeconds ?? 3),
      DEMO_SERVER: server,
      TOKENWARDEN_DATA_DIR: mkdtempSync(join(tmpdir(), options.dataDirPrefix)),
    },
    port,
    timeoutMs: 120_000,
  });
  if (running.child.exitCode !== null) throw new Error(`the demo exited with ${running.child.exitCode}:\n${running.output()}`);
  return Object.assign(running, { app: `http://localhost:${port}` });
}
