import Link from 'next/link';

const PAGES = [
  { href: '/admin', label: 'Alerts' },
  { href: '/admin/logs', label: 'Refresh logs' },
  { href: '/admin/stats', label: 'Stats' },
  { href: '/admin/providers', label: 'Providers' },
  { href: '/admin/operations', label: 'Refresh and deliveries' },
] as const;

/** The operator console's own navigation; the current page is marked for assistive technology too. */
export function AdminNav({ current }: { current: (typeof PAGES)[number]['href'] }) {
  return (
    <nav aria-label="Operator console">
      <ul style={{ display: 'flex', flexWrap: 'wrap', gap: '1rem', listStyle: 'none', padding: 0 }}>
        {PAGES.map((page) => (
          <li key={page.href}>
            <Link href={page.href} aria-current={page.href === current ? 'page' : undefined} style={page.href === current ? { fontWeight: 700 } : undefined}>
              {page.label}
            </Link>
          </li>
        ))}
      </ul>
    </nav>
  );
}
