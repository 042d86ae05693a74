import type { IncomingMessage, ServerResponse } from 'node:http';
import { readBody, startLocalHttpServer } from './local-http-server';

/**
 * A host application's webhook endpoint on 127.0.0.1: records every request exactly as it
 * arrived (raw body and headers, for signature checks) and answers from a per-path script
 * (queued answers first, then the path's fallback, else 204).
 */

export type ReceiverAnswer =
  | { status: number; headers?: Record<string, string>; body?: string; delayMs?: number }
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
  /** The most requests to `path` that were open at the same time (until answered or dropped). */
  maxConcurrent(path: string): number;
  /** The most requests to any path open at the same time. */
  maxConcurrentOverall(): number;
  close(): Promise<void>;
}

export async function startWebhookReceiver(): Promise<WebhookReceiver> {
  const requests: ReceivedRequest[] = [];
  const queues = new Map<string, ReceiverAnswer[]>();
  const fallbacks = new Map<string, ReceiverAnswer>();
  const open = new Map<string, number>();
  const peaks = new Map<string, number>();
  let openOverall = 0;
  let peakOverall = 0;

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = new URL(req.url ?? '/', 'http://127.0.0.1').pathname;
    // Open from arrival until the answer is sent or the sender gives up (the socket closes).
    open.set(path, (open.get(path) ?? 0) + 1);
    peaks.set(path, Math.max(peaks.get(path) ?? 0, open.get(path)!));
    peakOverall = Math.max(peakOverall, (openOverall += 1));
    res.once('close', () => {
      open.set(path, open.get(path)! - 1);
      openOverall -= 1;
    });
    requests.push({
      method: req.method ?? 'GET',
      path,
      headers: { ...req.headers },
      rawBody: await readBody(req),
      receivedAt: Date.now(),
    });
    const answer = queues.get(path)?.shift() ?? fallbacks.get(path) ?? { status: 204 };
    if ('hang' in answer) return; // close() destroys the socket
    if (answer.delayMs) await new Promise((resolve) => setTimeout(resolve, answer.delayMs));
    if (res.destroyed) return; // the sender gave up waiting
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
    maxConcurrent: (path) => peaks.get(path) ?? 0,
    maxConcurrentOverall: () => peakOverall,
    close: () => server.close(),
  };
}
