'use client';

import { useSyncExternalStore } from 'react';

const noSubscription = () => () => undefined;

/**
 * A moment in the viewer's own time zone and locale. The server does not know them, so it
 * renders the ISO instant (readable as is) and the browser formats it once hydrated.
 */
export function LocalTime({ iso }: { iso: string }) {
  const inBrowser = useSyncExternalStore(noSubscription, () => true, () => false);
  const text = inBrowser ? new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'short' }).format(new Date(iso)) : iso;
  return <time dateTime={iso}>{text}</time>;
}
