import type { Metadata } from 'next';
import type { ReactNode } from 'react';
import Link from 'next/link';
import { DevMailboxLink } from './_components/dev-mailbox-link';
import './globals.css';

export const metadata: Metadata = {
  title: 'Tokenwarden',
  description: "Keeps your users' OAuth connections alive.",
};

export default function RootLayout({ children }: { children: ReactNode }) {
  return (
    <html lang="en">
      <body>
        <header className="top">
          <Link className="brand" href="/">
            Tokenwarden
          </Link>
          <nav className="nav">
            <Link href="/">Connections</Link>
            <Link href="/#notifications">Notifications</Link>
            <DevMailboxLink />
            <Link href="/admin">Operators</Link>
          </nav>
        </header>
        <main>{children}</main>
      </body>
    </html>
  );
}
