/**
 * What a failed statement says about the database, from the error's structured code
 * (a SQLSTATE from the server, or a socket or driver code when no server answered), never
 * from its message:
 *
 * - `unavailable`: the database itself is down, unreachable, restarting, out of resources
 *   or too slow (a statement timeout). Nothing about the row is wrong; the same statement
 *   may succeed in a moment. Work that writes must stop starting new things and retry.
 * - `contention`: another transaction is in the way (a lock timeout, a deadlock, a
 *   serialization failure). Retrying the same statement is right; the database is fine.
 * - `refused`: the database answered and refused this statement (a constraint, bad data,
 *   a raised exception). Retrying the same statement gives the same answer.
 */
export type DatabaseFailure = 'unavailable' | 'contention' | 'refused';

/** Socket and driver codes of postgres.js and Node's net module: no server answered. */
const CONNECTION_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ECONNABORTED',
  'EPIPE',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
  'CONNECTION_CLOSED',
  'CONNECTION_ENDED',
  'CONNECTION_DESTROYED',
  'CONNECT_TIMEOUT',
]);

/** SQLSTATEs of contention: the statement was fine, another transaction was in the way. */
const CONTENTION_STATES = new Set(['40001', '40P01', '55P03']);

/** SQLSTATE classes of a server that cannot do work right now. */
const UNAVAILABLE_CLASSES = new Set(['08', '53', '57', '58', 'XX']);
/** idle_in_transaction_session_timeout ended the session: a new one will do. */
const UNAVAILABLE_STATES = new Set(['25P03']);

function codeOf(error: unknown): string | null {
  if (typeof error !== 'object' || error === null) return null;
  const code = (error as { code?: unknown }).code;
  return typeof code === 'string' ? code : null;
}

export function databaseFailure(error: unknown): DatabaseFailure {
  const code = codeOf(error);
  if (code === null) {
    // An error with no code did not come from the server's answer (a driver or pool
    // failure, a killed socket): treat it as the database being unreachable, so that work
    // stops and retries rather than dropping a row whose write may still succeed.
    const cause = typeof error === 'object' && error !== null ? (error as { cause?: unknown }).cause : undefined;
    return cause !== undefined && cause !== error ? databaseFailure(cause) : 'unavailable';
  }
  if (CONNECTION_CODES.has(code)) return 'unavailable';
  if (/^[0-9A-Z]{5}$/.test(code)) {
    if (CONTENTION_STATES.has(code)) return 'contention';
    if (UNAVAILABLE_CLASSES.has(code.slice(0, 2)) || UNAVAILABLE_STATES.has(code)) return 'unavailable';
    return 'refused';
  }
  // Another runtime code (e.g. a Node system error): the database was not reached.
  return 'unavailable';
}

/**
 * Whether an error positively says the database could not be reached or could not work
 * (a socket or driver code, or a server SQLSTATE of that kind); an error without any code
 * is not evidence of that here, whatever databaseFailure() assumes for safety's sake.
 */
export function isDatabaseUnreachable(error: unknown): boolean {
  if (error instanceof DatabaseUnavailableError) return true;
  return codeOf(error) !== null && databaseFailure(error) === 'unavailable';
}

/** A short, secret-free description of a database error for logs and summaries. */
export function describeDatabaseError(error: unknown): string {
  const code = codeOf(error);
  const message = error instanceof Error ? error.message : String(error);
  // Connection strings can appear in driver messages: never print a password.
  const safe = message.replace(/\/\/([^:@/\s]+):[^@/\s]*@/g, '//$1:***@').slice(0, 300);
  return code && !safe.includes(code) ? `${code}: ${safe}` : safe;
}

/** The database could not be reached (or could not do work) while a job ran. */
export class DatabaseUnavailableError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'DatabaseUnavailableError';
  }
}

/** What a job that the database cut short reports: its own counts, and why it stopped. */
export type InterruptedSummary<S extends object> = Omit<S, 'ok'> & { ok: false; error: 'database_unreachable'; message: string };

/**
 * A job (refresh pass, deliver pass, expiry check) stopped because the database could not be
 * reached; `summary` says what it did. The cron wrapper answers it with 503 and the CLI
 * prints it, for every job alike.
 */
export class JobInterruptedError<S extends object = object> extends DatabaseUnavailableError {
  constructor(
    readonly summary: InterruptedSummary<S>,
    options?: { cause?: unknown },
  ) {
    super(summary.message, options);
    this.name = new.target.name;
  }
}
