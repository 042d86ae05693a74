'use client';

import { useSyncExternalStore } from 'react';

const noSubscription = () => () => {};

/** A moment in the viewer's time zone and locale; the server (and hydration) render UTC, the browser its own zone. */
export function LocalTime({ iso }: { iso: string }) {
  const text = useSyncExternalStore(
    noSubscription,
    () => new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'short' }).format(new Date(iso)),
    () => `${iso.replace('T', ' ').slice(0, 16)} UTC`,
  );
  return <time dateTime={iso}>{text}</time>;
}
