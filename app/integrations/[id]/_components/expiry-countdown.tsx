'use client';

import { useEffect, useState } from 'react';
import { durationWords, longDate, shortTime, utcFallback } from '@/app/_components/local-date';
import { useHydrated } from '@/app/_components/use-hydrated';

/**
 * "Expires in 2 hours 15 minutes 4 seconds, on 18 March 2026 at 15:30", ticking every second
 * while the tab is visible (a hidden tab stops the timer; showing it again catches up).
 */
export function ExpiryCountdown({ iso }: { iso: string }) {
  const hydrated = useHydrated();
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    let timer: ReturnType<typeof setInterval> | null = null;
    const start = () => {
      if (timer === null && document.visibilityState === 'visible') {
        setNow(Date.now());
        timer = setInterval(() => setNow(Date.now()), 1000);
      }
    };
    const stop = () => {
      if (timer !== null) clearInterval(timer);
      timer = null;
    };
    const onVisibility = () => (document.visibilityState === 'visible' ? start() : stop());
    start();
    document.addEventListener('visibilitychange', onVisibility);
    return () => {
      stop();
      document.removeEventListener('visibilitychange', onVisibility);
    };
  }, []);
  const end = new Date(iso);
  if (!hydrated) {
    return (
      <span data-countdown>
        Expires at <time dateTime={iso}>{utcFallback(end)}</time>
      </span>
    );
  }
  const left = end.getTime() - now;
  const on = `${longDate(end)} at ${shortTime(end)}`;
  return (
    <span data-countdown>
      {left > 0 ? (
        <>
          Expires in <span data-countdown-left>{durationWords(left)}</span>, on <time dateTime={iso}>{on}</time>
        </>
      ) : (
        <>
          Expired <span data-countdown-left>{durationWords(-left)}</span> ago, on <time dateTime={iso}>{on}</time>
        </>
      )}
    </span>
  );
}
