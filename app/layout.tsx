import type { Metadata } from 'next';
import type { ReactNode } from 'react';
import Link from 'next/link';
import { getDb } from '@/lib/db';
import { asUser } from '@/lib/db/user-context';
import { listBannerIntegrations } from '@/lib/db/integrations';
import { listNotifications } from '@/lib/notify/notifications';
import { getProviders } from '@/lib/runtime';
import { renewingProviderIds } from '@/lib/owed/expiry';
import { DevMailboxLink } from './_components/dev-mailbox-link';
import { AutoRefresh } from './_components/auto-refresh';
import { BANNER_LIMIT, Banners } from './_components/banners';
import { getCurrentUser } from './_server/current-user';
import { isOperatorUser } from './admin/_components/require-operator';
import './globals.css';

export const metadata: Metadata = {
  title: 'Tokenwarden',
  description: "Keeps your users' OAuth connections alive.",
};

/** What every page shows a signed-in user: the unread count in the nav and the trouble banners. */
async function chromeFor() {
  const user = await getCurrentUser();
  if (!user) return null;
  const db = await getDb();
  const mine = await asUser(db, user.id, async (tx) => ({
    unread: (await listNotifications(tx, { limit: 1, offset: 0, unreadOnly: true })).unreadCount,
    banners: await listBannerIntegrations(tx, { limit: BANNER_LIMIT, renewingProviders: renewingProviderIds(getProviders()) }),
  }));
  // The console answers 404 to everyone else so that it does not show; neither may the nav.
  return { ...mine, operator: await isOperatorUser(user) };
}

export default async function RootLayout({ children }: { children: ReactNode }) {
  const chrome = await chromeFor();
  const providers = getProviders();
  const nameOf = (id: string) => providers.get(id)?.name ?? id;
  return (
    <html lang="en">
      <body>
        <header className="top">
          <Link className="brand" href="/">
            Tokenwarden
          </Link>
          <nav className="nav" aria-label="Main">
            <Link href="/">Connections</Link>
            <Link href="/notifications" data-unread={chrome?.unread ?? 0}>
              Notifications
              {chrome && chrome.unread > 0 ? (
                <>
                  {/* aria-label on a plain span is ignored (ARIA 1.2 prohibits it): the link's name would be "Notifications3". */}
                  <span className="count" aria-hidden="true">
                    {chrome.unread}
                  </span>
                  <span className="visually-hidden">{`, ${chrome.unread} unread`}</span>
                </>
              ) : null}
            </Link>
            <DevMailboxLink />
            {chrome?.operator ? <Link href="/admin">Operators</Link> : null}
          </nav>
        </header>
        <main>
          {chrome ? (
            <>
              <AutoRefresh everySeconds={10} />
              <Banners integrations={chrome.banners.integrations} total={chrome.banners.total} nameOf={nameOf} />
            </>
          ) : null}
          {children}
        </main>
      </body>
    </html>
  );
}
