/**
 * One log line per outage, not one per request: when KV is down every limited request would
 * otherwise log. The first failure logs at once; later ones within `quietMs` are counted and
 * said with the next line.
 */
export interface OutageLog {
  failed(what: string, error: unknown): void;
}

export function createOutageLog(
  source: string,
  options: { quietMs?: number; write?: (line: string) => void; now?: () => number } = {},
): OutageLog {
  const quietMs = options.quietMs ?? 60_000;
  const write = options.write ?? ((line: string) => console.warn(line));
  const now = options.now ?? Date.now;
  let lastAt = -Infinity;
  let suppressed = 0;
  return {
    failed(what, error) {
      const at = now();
      if (at - lastAt < quietMs) {
        suppressed += 1;
        return;
      }
      const more = suppressed > 0 ? ` (${suppressed} more since the last line)` : '';
      lastAt = at;
      suppressed = 0;
      write(`[${source}] ${what}: ${error instanceof Error ? error.message : String(error)}${more}`);
    },
  };
}
