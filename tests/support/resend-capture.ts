import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { readBody, startLocalHttpServer } from './local-http-server';

/**
 * A local stand-in for Resend's API at the HTTP boundary: the real `resend` SDK is pointed at
 * it (RESEND_BASE_URL / the SDK's `baseUrl`). It records every request and answers with the
 * next scripted response, or by default with Resend's success shape for POST /emails.
 *
 * Shapes recorded from Resend's documentation:
 * - success of POST /emails: `200 {"id": "<uuid>"}`
 *   https://resend.com/docs/api-reference/emails/send-email
 * - errors: `{"statusCode", "message", "name"}` with the names and messages of
 *   https://resend.com/docs/api-reference/errors (validation_error, rate_limit_exceeded,
 *   application_error "An unexpected error occurred.", ...); the SDK's own
 *   RESEND_ERROR_CODE_KEY lists the same names. The page lists validation_error under 400
 *   and 403 and field errors (missing_required_field, invalid_from_address) under 422; the
 *   status is a parameter here, and 422 is the default the delivery tests use.
 * - rate limiting: 429 with the `ratelimit-limit`, `ratelimit-remaining`, `ratelimit-reset`
 *   and `retry-after` headers (seconds), https://resend.com/docs/api-reference/rate-limit
 * - idempotency: a request repeating the Idempotency-Key of an email already sent gets the
 *   original answer and sends nothing; with another body it gets 409
 *   `invalid_idempotent_request` (https://resend.com/docs/dashboard/emails/idempotency-keys).
 *   Modelled for the emails this server sent by its default answer.
 */

export type CaptureResponse =
  | { status: number; json?: unknown; headers?: Record<string, string>; delayMs?: number }
  /** Reset the connection without answering (a network failure mid-request). */
  | { destroy: true };

export interface CapturedRequest {
  method: string;
  path: string;
  /** Lower-cased header names, as node:http gives them. */
  headers: Record<string, string | string[] | undefined>;
  authorization: string | undefined;
  idempotencyKey: string | undefined;
  /** The parsed JSON body (undefined when there was none or it was not JSON). */
  body: unknown;
  receivedAt: number;
  /** What was answered: the status, the id of a successful send, and whether it repeated an earlier one. */
  answer: { status: number; id?: string; replayed?: true } | 'destroyed';
}

export interface ResendCapture {
  /** The base URL to give the SDK (no trailing slash). */
  url: string;
  requests: CapturedRequest[];
  /** Queue answers for the next requests (FIFO); with an empty queue the default answers. */
  enqueue(...responses: CaptureResponse[]): void;
  /** Delay before every default answer (e.g. to make overlapping senders overlap). */
  setDefaultDelay(ms: number): void;
  /** An answer for every request while the queue is empty (an outage), instead of the default; null ends it. */
  setFallback(response: CaptureResponse | null): void;
  /** The emails really sent: successful answers that did not replay an earlier send. */
  sent(): CapturedRequest[];
  /** Forget recorded requests and queued answers. */
  reset(): void;
  close(): Promise<void>;
}

/** The documented error bodies, as Resend sends them. */
export const resendErrors = {
  validation(
    message = 'Invalid `to` field. The email address needs to follow the `email@example.com` or `Name <email@example.com>` format.',
    status = 422,
  ): CaptureResponse {
    return { status, json: { statusCode: status, message, name: 'validation_error' } };
  },
  rateLimited(retryAfterSeconds: number): CaptureResponse {
    return {
      status: 429,
      json: {
        statusCode: 429,
        message: 'Too many requests. Please limit the number of requests per second. Or contact support to increase rate limit.',
        name: 'rate_limit_exceeded',
      },
      headers: {
        'retry-after': String(retryAfterSeconds),
        'ratelimit-limit': '2',
        'ratelimit-remaining': '0',
        'ratelimit-reset': String(retryAfterSeconds),
      },
    };
  },
  /** The same Idempotency-Key while the first request with it is still being processed. */
  concurrentIdempotent(): CaptureResponse {
    return {
      status: 409,
      json: { statusCode: 409, message: 'Same idempotency key used while original request is still in progress.', name: 'concurrent_idempotent_requests' },
    };
  },
  /** The same Idempotency-Key with a different body. */
  invalidIdempotent(): CaptureResponse {
    return {
      status: 409,
      json: { statusCode: 409, message: 'Same idempotency key used with a different request payload.', name: 'invalid_idempotent_request' },
    };
  },
  application(): CaptureResponse {
    return {
      status: 500,
      json: {
        statusCode: 500,
        message: 'An unexpected error occurred.',
        name: 'application_error',
      },
    };
  },
} as const;

export async function startResendCapture(): Promise<ResendCapture> {
  const queue: CaptureResponse[] = [];
  const requests: CapturedRequest[] = [];
  let defaultDelayMs = 0;
  let fallback: CaptureResponse | null = null;
  /** Idempotency-Key → the body and id of the email sent with it. */
  const sentByKey = new Map<string, { body: string; id: string }>();

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const raw = await readBody(req);
    let body: unknown;
    try {
      body = raw ? JSON.parse(raw) : undefined;
    } catch {
      body = undefined;
    }
    const header = (name: string) => {
      const value = req.headers[name];
      return Array.isArray(value) ? value.join(', ') : value;
    };
    const record: CapturedRequest = {
      method: req.method ?? 'GET',
      path: url.pathname,
      headers: { ...req.headers },
      authorization: header('authorization'),
      idempotencyKey: header('idempotency-key'),
      body,
      receivedAt: Date.now(),
      answer: 'destroyed',
    };
    requests.push(record);

    const scripted = queue.shift() ?? fallback ?? undefined;
    if (scripted && 'destroy' in scripted) {
      req.socket.destroy();
      return;
    }
    if (scripted) {
      if (scripted.delayMs) await sleep(scripted.delayMs);
      record.answer = { status: scripted.status };
      return send(res, scripted.status, scripted.json, scripted.headers);
    }
    if (req.method === 'POST' && url.pathname === '/emails' && record.idempotencyKey) {
      const earlier = sentByKey.get(record.idempotencyKey);
      if (earlier && earlier.body === raw) {
        record.answer = { status: 200, id: earlier.id, replayed: true };
        return send(res, 200, { id: earlier.id });
      }
      if (earlier) {
        const mismatch = resendErrors.invalidIdempotent() as { status: number; json: unknown };
        record.answer = { status: mismatch.status };
        return send(res, mismatch.status, mismatch.json);
      }
    }
    if (defaultDelayMs) await sleep(defaultDelayMs);
    if (req.method === 'POST' && url.pathname === '/emails') {
      const id = randomUUID();
      record.answer = { status: 200, id };
      if (record.idempotencyKey) sentByKey.set(record.idempotencyKey, { body: raw, id });
      return send(res, 200, { id });
    }
    record.answer = { status: 404 };
    return send(res, 404, { statusCode: 404, message: 'The requested endpoint does not exist.', name: 'not_found' });
  }

  const server = await startLocalHttpServer('resend capture', handle);

  return {
    url: server.url,
    requests,
    enqueue: (...responses) => {
      queue.push(...responses);
    },
    setDefaultDelay: (ms) => {
      defaultDelayMs = ms;
    },
    setFallback: (response) => {
      fallback = response;
    },
    sent: () => requests.filter((r) => r.answer !== 'destroyed' && r.answer.status === 200 && r.answer.id && !r.answer.replayed),
    reset: () => {
      requests.length = 0;
      queue.length = 0;
      defaultDelayMs = 0;
      fallback = null;
      sentByKey.clear();
    },
    close: () => server.close(),
  };
}

function send(res: ServerResponse, status: number, json: unknown, headers: Record<string, string> = {}): void {
  const body = json === undefined ? '' : JSON.stringify(json);
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', ...headers });
  res.end(body);
}


function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
