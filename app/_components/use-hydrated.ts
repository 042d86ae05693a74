'use client';

import { useSyncExternalStore } from 'react';

const noop = () => () => undefined;

/**
 * False on the server and during hydration, true after: dates formatted in the viewer's time
 * zone and locale appear only once the browser renders, so the server's HTML and the first
 * client render agree (no hydration mismatch).
 */
export function useHydrated(): boolean {
  return useSyncExternalStore(
    noop,
    () => true,
    () => false,
  );
}
