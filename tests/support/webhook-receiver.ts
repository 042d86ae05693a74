import type { IncomingMessage, ServerResponse } from 'node:http';
import { readBody, startLocalHttpServer } from './local-http-server';

/**
 * A host application's webhook endpoint on 127.0.0.1: records every request exactly as it
 * arrived (raw body and headers, for signature checks) and answers from a per-path script
 * (queued answers first, then the path's fallback, else 204).
 */

export type ReceiverAnswer =
  | { status: number; headers?: Record<string, string>; body?: string }
  /** Never answered: the sender's timeout must end it. */
  | { hang: true };

export interface ReceivedRequest {
  method: string;
  path: string;
  headers: Record<string, string | string[] | undefined>;
  rawBody: string;
  receivedAt: number;
}

export interface WebhookReceiver {
  url: string;
  port: number;
  requests: ReceivedRequest[];
  /** Requests to one path, in arrival order. */
  at(path: string): ReceivedRequest[];
  /** Answers for the next requests to `path` (FIFO), before its fallback. */
  enqueue(path: string, ...answers: ReceiverAnswer[]): void;
  setFallback(path: string, answer: ReceiverAnswer): void;
  close(): Promise<void>;
}

export async function startWebhookReceiver(): Promise<WebhookReceiver> {
  const requests: ReceivedRequest[] = [];
  const queues = new Map<string, ReceiverAnswer[]>();
  const fallbacks = new Map<string, ReceiverAnswer>();

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = new URL(req.url ?? '/', 'http://127.0.0.1').pathname;
    requests.push({
      method: req.method ?? 'GET',
      path,
      headers: { ...req.headers },
      rawBody: await readBody(req),
      receivedAt: Date.now(),
    });
    const answer = queues.get(path)?.shift() ?? fallbacks.get(path) ?? { status: 204 };
    if ('hang' in answer) return; // close() destroys the socket
    res.writeHead(answer.status, answer.headers ?? {});
    res.end(answer.body ?? '');
  }

  const server = await startLocalHttpServer('webhook receiver', handle);

  return {
    url: server.url,
    port: server.port,
    requests,
    at: (path) => requests.filter((request) => request.path === path),
    enqueue(path, ...answers) {
      queues.set(path, [...(queues.get(path) ?? []), ...answers]);
    },
    setFallback(path, answer) {
      fallbacks.set(path, answer);
    },
    close: () => server.close(),
  };
}
