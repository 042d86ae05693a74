import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

/**
 * The plumbing the tests' stand-in servers share (fault provider, Resend capture, webhook
 * receiver): 127.0.0.1 on a free port, a handler whose own failure resets the connection
 * loudly instead of looking like an answer, and a close() that does not wait for hanging
 * requests or keep-alive sockets.
 */
export interface LocalHttpServer {
  url: string;
  port: number;
  close(): Promise<void>;
}

export async function startLocalHttpServer(
  name: string,
  handle: (req: IncomingMessage, res: ServerResponse) => Promise<void>,
): Promise<LocalHttpServer> {
  const sockets = new Set<Socket>();
  const server = createServer((req, res) => {
    void handle(req, res).catch((error: unknown) => {
      console.error(`${name} failed to answer:`, error);
      req.socket.destroy();
    });
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    async close() {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

export async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}
