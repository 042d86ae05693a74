import { connect, createServer, type Socket } from 'node:net';

/**
 * A TCP proxy in front of the test PostgreSQL that a test can cut: every open connection is
 * dropped and new ones are closed at once, as when the database host goes away, until the
 * test restores it. The shared server itself is never touched.
 *
 * With `reset`, connections are reset (RST) instead of closed: postgres.js fails a waiting
 * query at once on ECONNRESET, whereas after a clean close during its startup it reconnects
 * at once, again and again, and the query waits until the proxy is restored.
 */
export interface TcpProxy {
  port: number;
  /** The same connection string, through the proxy. */
  via(url: string): string;
  cut(): void;
  restore(): void;
  close(): Promise<void>;
}

export async function startTcpProxy(target: { host: string; port: number }, options: { reset?: boolean } = {}): Promise<TcpProxy> {
  const drop = (socket: Socket) => (options.reset ? socket.resetAndDestroy() : socket.destroy());
  const open = new Set<Socket>();
  let down = false;
  const server = createServer((client) => {
    if (down) {
      drop(client);
      return;
    }
    const upstream = connect(target.port, target.host);
    const pair = [client, upstream];
    for (const socket of pair) {
      open.add(socket);
      socket.on('error', () => pair.forEach((s) => s.destroy()));
      socket.on('close', () => {
        open.delete(socket);
        pair.forEach((s) => s.destroy());
      });
    }
    client.pipe(upstream);
    upstream.pipe(client);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  return {
    port,
    via(url) {
      const parsed = new URL(url);
      parsed.hostname = '127.0.0.1';
      parsed.port = String(port);
      return parsed.toString();
    },
    cut() {
      down = true;
      for (const socket of open) drop(socket);
    },
    restore() {
      down = false;
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of open) socket.destroy();
        server.close(() => resolve());
      }),
  };
}
