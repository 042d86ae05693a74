'use client';

import { useEffect, useState } from 'react';

/** A moment in the viewer's time zone and locale; the server renders UTC until the browser takes over. */
export function LocalTime({ iso }: { iso: string }) {
  const [text, setText] = useState(`${iso.replace('T', ' ').slice(0, 16)} UTC`);
  useEffect(() => {
    setText(new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'short' }).format(new Date(iso)));
  }, [iso]);
  return <time dateTime={iso}>{text}</time>;
}
