import { createHash, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { REDIS_HOST, REDIS_PORT } from './redis';
import { RespConnection, RespError, type RespValue } from './resp-client';

/**
 * A small server speaking Upstash's Redis REST protocol in front of a real Redis, so that the
 * real @vercel/kv client (and @upstash/ratelimit on it) runs against real Redis in tests and
 * the benchmark: POST `/` with one command as a JSON array, `/pipeline` and `/multi-exec` with
 * an array of them, a bearer token, `{ result }` / `{ error }` answers, and strings base64-encoded
 * when the client sends `Upstash-Encoding: base64` (as @upstash/redis does by default).
 *
 * Scripts: @upstash/ratelimit's begin with `#!lua flags=allow-key-locking`, a flag Upstash
 * accepts and Redis 7.0 refuses; the bridge strips flags Redis 7.0 does not know and maps the
 * client's SHA-1 of the original script to the SHA-1 Redis stores for the stripped one, so
 * EVALSHA with the library's hash finds it.
 */
export interface UpstashBridge {
  url: string;
  token: string;
  /** HTTP requests answered, and Redis commands sent, so far. */
  stats: { requests: number; commands: number };
  close(): Promise<void>;
}

/** The script flags Redis 7.0 knows (https://redis.io/docs/latest/develop/programmability/lua-api/, "Script flags"). */
const KNOWN_SCRIPT_FLAGS = new Set(['no-writes', 'allow-oom', 'allow-stale', 'no-cluster', 'allow-cross-slot-keys']);

type Command = string[];

export async function startUpstashBridge(
  options: { redis?: { host: string; port: number }; token?: string; port?: number } = {},
): Promise<UpstashBridge> {
  const token = options.token ?? `bridge-${createHash('sha1').update(String(Math.random())).digest('hex').slice(0, 16)}`;
  const redis = new RespConnection(options.redis ?? { host: REDIS_HOST, port: REDIS_PORT });
  /** The client's SHA-1 of a script as sent → the SHA-1 of the script Redis holds. */
  const scriptHashes = new Map<string, string>();
  const stats = { requests: 0, commands: 0 };

  const rewrite = (command: Command): { sent: Command; answerAs?: string } => {
    const name = (command[0] ?? '').toLowerCase();
    if ((name === 'eval' || name === 'eval_ro') && command[1] !== undefined) {
      return { sent: [command[0] ?? name, stripFlags(command[1], scriptHashes), ...command.slice(2)] };
    }
    if ((name === 'evalsha' || name === 'evalsha_ro') && command[1] !== undefined) {
      return { sent: [command[0] ?? name, scriptHashes.get(command[1].toLowerCase()) ?? command[1], ...command.slice(2)] };
    }
    if (name === 'script' && (command[1] ?? '').toLowerCase() === 'load' && command[2] !== undefined) {
      // The client expects the hash of what it sent.
      return { sent: ['SCRIPT', 'LOAD', stripFlags(command[2], scriptHashes)], answerAs: sha1(command[2]) };
    }
    return { sent: command };
  };

  const run = async (commands: Command[]): Promise<RespValue[]> => {
    const rewritten = commands.map(rewrite);
    stats.commands += commands.length;
    const replies = await redis.send(rewritten.map((r) => r.sent));
    return replies.map((reply, i) => {
      const answerAs = rewritten[i]?.answerAs;
      return answerAs !== undefined && !(reply instanceof RespError) ? answerAs : reply;
    });
  };

  const server = createServer((req, res) => {
    stats.requests += 1;
    handle(req, res).catch((error: unknown) => {
      send(res, 500, { error: `ERR bridge: ${error instanceof Error ? error.message : String(error)}` });
    });
  });

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    if (!authorized(req.headers.authorization, token)) {
      send(res, 401, { error: 'Unauthorized' });
      return;
    }
    const base64 = String(req.headers['upstash-encoding'] ?? '').toLowerCase() === 'base64';
    const out = (value: RespValue) => (base64 ? encodeBase64(value) : plain(value));
    let body: unknown;
    try {
      body = JSON.parse(await readBody(req));
    } catch {
      send(res, 400, { error: 'ERR the body must be a JSON array' });
      return;
    }
    const path = new URL(req.url ?? '/', 'http://bridge').pathname.replace(/\/+$/, '') || '/';
    try {
      if (path === '/') {
        const command = toCommand(body);
        const [reply] = await run([command]);
        if (reply instanceof RespError) send(res, 400, { error: reply.message });
        else send(res, 200, { result: out(reply ?? null) });
        return;
      }
      if (path === '/pipeline' || path === '/multi-exec') {
        if (!Array.isArray(body)) throw new TypeError('the body must be an array of commands');
        const commands = body.map(toCommand);
        if (path === '/pipeline') {
          const replies = await run(commands);
          send(res, 200, replies.map((reply) => (reply instanceof RespError ? { error: reply.message } : { result: out(reply) })));
          return;
        }
        const replies = await run([['MULTI'], ...commands, ['EXEC']]);
        const queued = replies.slice(1, -1).find((reply) => reply instanceof RespError);
        const exec = replies.at(-1);
        if (queued instanceof RespError) send(res, 400, { error: queued.message });
        else if (exec instanceof RespError) send(res, 400, { error: exec.message });
        else if (!Array.isArray(exec)) send(res, 400, { error: 'ERR transaction aborted' });
        else send(res, 200, exec.map((reply) => (reply instanceof RespError ? { error: reply.message } : { result: out(reply) })));
        return;
      }
      send(res, 404, { error: `ERR unknown path ${path}` });
    } catch (error) {
      if (error instanceof TypeError) {
        send(res, 400, { error: `ERR ${error.message}` });
        return;
      }
      // Redis unreachable: what the client sees of an Upstash outage.
      send(res, 503, { error: `ERR Redis unreachable: ${error instanceof Error ? error.message : String(error)}` });
    }
  }

  await new Promise<void>((resolve) => server.listen(options.port ?? 0, '127.0.0.1', resolve));
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  return {
    url: `http://127.0.0.1:${port}`,
    token,
    stats,
    close: () =>
      new Promise<void>((resolve) => {
        redis.close();
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

function authorized(header: string | undefined, token: string): boolean {
  const given = Buffer.from(header ?? '');
  const wanted = Buffer.from(`Bearer ${token}`);
  return given.length === wanted.length && timingSafeEqual(given, wanted);
}

function sha1(text: string): string {
  return createHash('sha1').update(text).digest('hex');
}

/** The script with only the shebang flags Redis 7.0 knows; records the hash mapping. */
function stripFlags(script: string, hashes: Map<string, string>): string {
  const match = /^#!lua([^\n]*)(\n|$)/.exec(script);
  if (!match) return script;
  const flagsPart = /\bflags=(\S*)/.exec(match[1] ?? '');
  const flags = (flagsPart?.[1] ?? '').split(',').filter(Boolean);
  const kept = flags.filter((flag) => KNOWN_SCRIPT_FLAGS.has(flag));
  if (kept.length === flags.length) return script;
  const stripped = `#!lua${kept.length > 0 ? ` flags=${kept.join(',')}` : ''}${match[2] ?? ''}${script.slice(match[0].length)}`;
  hashes.set(sha1(script), sha1(stripped));
  return stripped;
}

/** Upstash's command arrays hold strings, numbers, booleans and null; Redis takes strings. */
function toCommand(value: unknown): Command {
  if (!Array.isArray(value) || value.length === 0) throw new TypeError('a command is a non-empty JSON array');
  return value.map((arg) => {
    if (typeof arg === 'string') return arg;
    if (typeof arg === 'number' || typeof arg === 'boolean') return String(arg);
    if (arg === null) return '';
    return JSON.stringify(arg);
  });
}

function plain(value: RespValue): unknown {
  if (value instanceof RespError) return value.message;
  if (Array.isArray(value)) return value.map(plain);
  return value;
}

/** Upstash's base64 answers: every string encoded, except the status reply "OK"; numbers and null as they are. */
function encodeBase64(value: RespValue): unknown {
  if (value instanceof RespError) return value.message;
  if (Array.isArray(value)) return value.map(encodeBase64);
  if (typeof value === 'string') return value === 'OK' ? value : Buffer.from(value, 'utf8').toString('base64');
  return value;
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

function send(res: ServerResponse, status: number, body: unknown): void {
  if (res.headersSent) return;
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}
