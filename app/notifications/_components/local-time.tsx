'use client';

import { useEffect, useState } from 'react';

/**
 * A moment in the viewer's own time zone and locale. The server does not know them, so it
 * sends the ISO instant (readable as is) and the browser formats it after hydration.
 */
export function LocalTime({ iso }: { iso: string }) {
  const [text, setText] = useState(iso);
  useEffect(() => {
    setText(new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'short' }).format(new Date(iso)));
  }, [iso]);
  return <time dateTime={iso}>{text}</time>;
}
