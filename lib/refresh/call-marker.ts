import type { Queryable } from '../db/client';
import { markProviderCalls } from './claim';

/**
 * Mark statements in flight at once. One gives the largest groups: measured with four, the
 * pass was no faster and sent twice the statements (npm run bench, round-trips-per-refresh).
 */
const MAX_IN_FLIGHT = 1;

interface Waiting {
  id: string;
  resolve: (held: boolean) => void;
  reject: (error: unknown) => void;
}

/**
 * Marks provider calls for one lease owner in groups: while one mark statement is in
 * flight, the calls that want to start queue up and go together in the next one (group
 * commit). A quiet pass sends one statement per call; a busy one, one per handful, so the
 * mark costs a fraction of a round trip per refresh and at most one round trip of delay.
 */
export class CallMarker {
  private waiting: Waiting[] = [];
  private inFlight = 0;

  constructor(
    private readonly db: Queryable,
    private readonly owner: string,
    private readonly leaseSeconds: number,
  ) {}

  /** True when this owner still holds the row (now marked, lease renewed); false when the lease is gone. */
  mark(id: string): Promise<boolean> {
    return new Promise((resolve, reject) => {
      this.waiting.push({ id, resolve, reject });
      if (this.inFlight < MAX_IN_FLIGHT) void this.flush();
    });
  }

  private async flush(): Promise<void> {
    const group = this.waiting.splice(0);
    if (group.length === 0) return;
    this.inFlight += 1;
    try {
      const held = await markProviderCalls(this.db, { ids: group.map((entry) => entry.id), owner: this.owner, leaseSeconds: this.leaseSeconds });
      for (const entry of group) entry.resolve(held.has(entry.id));
    } catch (error) {
      for (const entry of group) entry.reject(error);
    } finally {
      this.inFlight -= 1;
      if (this.waiting.length > 0 && this.inFlight < MAX_IN_FLIGHT) void this.flush();
    }
  }
}
