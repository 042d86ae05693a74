import { setTimeout as wait } from 'node:timers/promises';
import { databaseFailure, describeDatabaseError } from '../db/errors';
import { REFRESH_POLICY } from './policy-numbers';

/**
 * Writing a refresh result through a database's bad minute. A result may carry rotated
 * tokens that exist nowhere else: dropping it would cost the user the connection at the
 * next refresh. So a write that failed because the database was unreachable, too slow or
 * busy with a lock is retried with exponential backoff (full jitter) until its deadline,
 * which the caller sets inside its lease: past the lease another worker may take the row.
 * A write the database refused (bad data, a constraint) is not retried: it would be
 * refused again.
 */


export class ResultNotWrittenError extends Error {
  constructor(
    readonly reason: 'refused' | 'deadline',
    readonly databaseError: string,
    options?: { cause?: unknown },
  ) {
    super(
      reason === 'refused'
        ? `the database refused the refresh result: ${databaseError}`
        : `the refresh result could not be written before its lease ran out: ${databaseError}`,
      options,
    );
    this.name = 'ResultNotWrittenError';
  }
}

export interface WriteRetryOptions {
  /** Epoch ms: no retry starts after this. */
  deadline: number;
  /** [0, 1): jitter. */
  random: () => number;
  /** Told of every failure that means the database itself is unreachable. */
  onUnavailable?: (error: unknown) => void;
}

export async function writeWithRetry<T>(write: () => Promise<T>, options: WriteRetryOptions): Promise<T> {
  for (let attempt = 1; ; attempt += 1) {
    try {
      return await write();
    } catch (error) {
      if (error instanceof ResultNotWrittenError) throw error;
      const failure = databaseFailure(error);
      if (failure === 'refused') throw new ResultNotWrittenError('refused', describeDatabaseError(error), { cause: error });
      if (failure === 'unavailable') options.onUnavailable?.(error);
      const delay = Math.max(50, options.random() * Math.min(REFRESH_POLICY.writeBackoffCapMs, REFRESH_POLICY.writeBackoffBaseMs * 2 ** (attempt - 1)));
      if (Date.now() + delay >= options.deadline) {
        throw new ResultNotWrittenError('deadline', describeDatabaseError(error), { cause: error });
      }
      await wait(delay);
    }
  }
}
