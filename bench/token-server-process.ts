import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export interface TokenServerStats {
  served: number;
  refused: number;
  /** TCP connections accepted so far (keep-alive: about one per concurrent request). */
  connections: number;
  /** CPU the server process used, microseconds. */
  cpu: { user: number; system: number };
}

export interface TokenServer {
  url: string;
  stats(): Promise<TokenServerStats>;
  stop(): Promise<void>;
}

/** Forks bench/token-server.ts (under tsx) and waits for its port. */
export async function startTokenServer(latencyMs: number): Promise<TokenServer> {
  const child: ChildProcess = fork(fileURLToPath(new URL('./token-server.ts', import.meta.url)), [], {
    execArgv: ['--import', 'tsx'],
    env: { ...process.env, TOKEN_SERVER_LATENCY_MS: String(latencyMs) },
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      await exited;
    }
  };
  try {
    const port = await new Promise<number>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('token server did not start within 15 s')), 15_000);
      child.once('error', reject);
      child.once('exit', (code) => reject(new Error(`token server exited with ${code}`)));
      child.on('message', (message: { type?: string; port?: number }) => {
        if (message.type === 'listening' && message.port) {
          clearTimeout(timer);
          resolve(message.port);
        }
      });
    });
    return {
      url: `http://127.0.0.1:${port}/token`,
      stats: () =>
        new Promise((resolve) => {
          const listener = (message: { type?: string } & TokenServerStats) => {
            if (message.type !== 'stats') return;
            child.off('message', listener);
            resolve({ served: message.served, refused: message.refused, connections: message.connections, cpu: message.cpu });
          };
          child.on('message', listener);
          child.send('stats');
        }),
      stop,
    };
  } catch (error) {
    await stop();
    throw error;
  }
}
