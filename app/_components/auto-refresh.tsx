'use client';

import { useRouter } from 'next/navigation';
import { useEffect } from 'react';

/**
 * Re-renders the server page every few seconds so expiries, statuses and banners move. It
 * polls only while the tab is visible (document.visibilityState): a hidden tab costs the
 * server nothing, and on return it refreshes at once and resumes.
 */
export function AutoRefresh({ everySeconds }: { everySeconds: number }) {
  const router = useRouter();
  useEffect(() => {
    let timer: ReturnType<typeof setInterval> | null = null;
    const tick = () => {
      // Counted so a test can tell polling stopped while hidden.
      window.__tokenwardenRefreshes = (window.__tokenwardenRefreshes ?? 0) + 1;
      router.refresh();
    };
    const start = () => {
      if (timer === null) timer = setInterval(tick, everySeconds * 1000);
    };
    const stop = () => {
      if (timer !== null) clearInterval(timer);
      timer = null;
    };
    const onVisibility = () => {
      if (document.visibilityState === 'hidden') {
        stop();
      } else {
        tick();
        start();
      }
    };
    if (document.visibilityState !== 'hidden') start();
    document.addEventListener('visibilitychange', onVisibility);
    return () => {
      stop();
      document.removeEventListener('visibilitychange', onVisibility);
    };
  }, [router, everySeconds]);
  return null;
}

declare global {
  interface Window {
    __tokenwardenRefreshes?: number;
  }
}
