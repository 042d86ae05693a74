import { connect, type Socket } from 'node:net';

/**
 * A minimal Redis (RESP2) client over one TCP connection, for the Upstash bridge: commands are
 * written in order and answered in order, so many may be in flight (pipelined). A command
 * batch written with one send() reaches Redis as one write, so a MULTI ... EXEC batch is never
 * interleaved with another request's commands. A dropped connection fails what was in flight;
 * the next send connects again.
 */
export class RespError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'RespError';
  }
}

export type RespValue = string | number | null | RespError | RespValue[];

interface Pending {
  resolve: (value: RespValue) => void;
  reject: (error: Error) => void;
}

export class RespConnection {
  private socket: Socket | null = null;
  private buffer = Buffer.alloc(0);
  private pending: Pending[] = [];

  constructor(private readonly target: { host: string; port: number }) {}

  /** Sends the commands at once; resolves with one reply each (a RespError for an error reply). */
  send(commands: string[][]): Promise<RespValue[]> {
    const socket = this.open();
    const replies = commands.map(
      () => new Promise<RespValue>((resolve, reject) => this.pending.push({ resolve, reject })),
    );
    socket.write(Buffer.concat(commands.map(encode)));
    return Promise.all(replies);
  }

  close(): void {
    this.socket?.destroy();
    this.socket = null;
  }

  private open(): Socket {
    if (this.socket) return this.socket;
    const socket = connect(this.target.port, this.target.host);
    socket.setNoDelay(true);
    this.socket = socket;
    this.buffer = Buffer.alloc(0);
    socket.on('data', (chunk) => {
      this.buffer = this.buffer.length === 0 ? chunk : Buffer.concat([this.buffer, chunk]);
      for (;;) {
        const parsed = parse(this.buffer, 0);
        if (!parsed) break;
        this.buffer = this.buffer.subarray(parsed.next);
        this.pending.shift()?.resolve(parsed.value);
      }
    });
    const fail = (error: Error) => {
      if (this.socket === socket) this.socket = null;
      const failed = this.pending;
      this.pending = [];
      for (const waiting of failed) waiting.reject(error);
    };
    socket.on('error', (error) => fail(error));
    socket.on('close', () => fail(new Error('connection to Redis closed')));
    return socket;
  }
}

function encode(args: string[]): Buffer {
  const parts: Buffer[] = [Buffer.from(`*${args.length}\r\n`)];
  for (const arg of args) {
    const bytes = Buffer.from(arg, 'utf8');
    parts.push(Buffer.from(`$${bytes.length}\r\n`), bytes, Buffer.from('\r\n'));
  }
  return Buffer.concat(parts);
}

/** One reply starting at `offset`, or null when the buffer does not hold all of it yet. */
function parse(buffer: Buffer, offset: number): { value: RespValue; next: number } | null {
  const lineEnd = buffer.indexOf('\r\n', offset);
  if (lineEnd < 0) return null;
  const type = String.fromCharCode(buffer[offset] ?? 0);
  const line = buffer.toString('utf8', offset + 1, lineEnd);
  const after = lineEnd + 2;
  switch (type) {
    case '+':
      return { value: line, next: after };
    case '-':
      return { value: new RespError(line), next: after };
    case ':':
      return { value: Number(line), next: after };
    case '$': {
      const length = Number(line);
      if (length < 0) return { value: null, next: after };
      if (buffer.length < after + length + 2) return null;
      return { value: buffer.toString('utf8', after, after + length), next: after + length + 2 };
    }
    case '*': {
      const count = Number(line);
      if (count < 0) return { value: null, next: after };
      const items: RespValue[] = [];
      let next = after;
      for (let i = 0; i < count; i += 1) {
        const item = parse(buffer, next);
        if (!item) return null;
        items.push(item.value);
        next = item.next;
      }
      return { value: items, next };
    }
    default:
      throw new Error(`unexpected RESP reply type ${JSON.stringify(type)}`);
  }
}
