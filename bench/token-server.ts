import { createServer, type ServerResponse } from 'node:http';
import { randomBytes } from 'node:crypto';

/**
 * A token endpoint for the refresh benchmarks, run in its own process (bench/token-server-process.ts
 * forks it) so its CPU does not share the engine's event loop. Every refresh_token grant gets a
 * standard rotating answer (new access and refresh token, Bearer, expires_in 3600) after a fixed
 * latency. Reports `{ port }` over IPC once listening; answers 'stats' with what it served, the
 * connections it accepted and the CPU it used; exits when the parent goes away.
 */

const latencyMs = Number(process.env.TOKEN_SERVER_LATENCY_MS ?? 50);
let served = 0;
let refused = 0;
let connections = 0;

function send(res: ServerResponse, status: number, body: unknown): void {
  const json = JSON.stringify(body);
  res.writeHead(status, {
    'content-type': 'application/json',
    'cache-control': 'no-store',
    'content-length': Buffer.byteLength(json),
  });
  res.end(json);
}

const server = createServer((req, res) => {
  const chunks: Buffer[] = [];
  req.on('data', (chunk: Buffer) => chunks.push(chunk));
  req.on('end', () => {
    const form = new URLSearchParams(Buffer.concat(chunks).toString('utf8'));
    setTimeout(() => {
      if (req.method !== 'POST' || form.get('grant_type') !== 'refresh_token' || !form.get('refresh_token')) {
        refused += 1;
        send(res, 400, { error: 'invalid_request' });
        return;
      }
      served += 1;
      send(res, 200, {
        access_token: `at-${randomBytes(24).toString('base64url')}`,
        refresh_token: `rt-${randomBytes(24).toString('base64url')}`,
        token_type: 'Bearer',
        expires_in: 3600,
      });
    }, latencyMs);
  });
});
server.on('connection', () => {
  connections += 1;
});
// Keep the engine's pooled connections open for the whole pass.
server.keepAliveTimeout = 60_000;

server.listen(0, '127.0.0.1', () => {
  const address = server.address();
  if (!address || typeof address === 'string') throw new Error('token server: no port');
  process.send?.({ type: 'listening', port: address.port });
});

process.on('message', (message) => {
  if (message === 'stats') process.send?.({ type: 'stats', served, refused, connections, cpu: process.cpuUsage() });
});
// The parent finished (or died): never outlive it.
process.on('disconnect', () => process.exit(0));
