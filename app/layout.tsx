import type { Metadata } from 'next';
import type { ReactNode } from 'react';
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
          <span className="brand">Tokenwarden</span>
        </header>
        <main>{children}</main>
      </body>
    </html>
  );
}
