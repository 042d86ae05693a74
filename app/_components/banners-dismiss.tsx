'use client';

import { useSyncExternalStore, type ReactNode } from 'react';

const STORE_KEY = 'tokenwarden:dismissed-banners';

function dismissed(): string[] {
  try {
    const parsed: unknown = JSON.parse(sessionStorage.getItem(STORE_KEY) ?? '[]');
    return Array.isArray(parsed) ? parsed.filter((item): item is string => typeof item === 'string') : [];
  } catch (error) {
    // A value someone else wrote there: start afresh rather than hide nothing forever.
    console.warn('dismissed banners unreadable, cleared', error);
    sessionStorage.removeItem(STORE_KEY);
    return [];
  }
}

const listeners = new Set<() => void>();

function subscribe(listener: () => void): () => void {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

/**
 * A banner the user may hide for this visit (sessionStorage: a new tab or visit shows it again).
 * `bannerKey` names the connection and its state, so a retrying connection that then dies
 * shows its new banner.
 */
export function DismissibleBanner({ bannerKey, label, className, children }: { bannerKey: string; label: string; className: string; children: ReactNode }) {
  // Read from sessionStorage on the client; the server (no storage) renders every banner.
  const hidden = useSyncExternalStore(subscribe, () => dismissed().includes(bannerKey), () => false);
  if (hidden) return null;
  return (
    <div role="alert" className={`banner ${className}`} data-banner={bannerKey}>
      <div className="banner-text">{children}</div>
      <button
        type="button"
        className="dismiss"
        aria-label={`Dismiss: ${label}`}
        onClick={() => {
          sessionStorage.setItem(STORE_KEY, JSON.stringify([...new Set([...dismissed(), bannerKey])]));
          for (const listener of listeners) listener();
        }}
      >
        Dismiss
      </button>
    </div>
  );
}
