import type { NextConfig } from 'next';

/**
 * Sent with every response. The pages load nothing from elsewhere, so everything is 'self'.
 * Next.js streams each page's data in inline scripts, and nonces would need a per-request
 * proxy for no gain here (no page renders user-supplied HTML), so scripts allow
 * 'unsafe-inline'; `next dev` also evaluates code (React's debugging, hot reload). Inline
 * styles are used by the pages and by the dev mailbox's rendered emails.
 */
function securityHeaders(development: boolean): { key: string; value: string }[] {
  const contentSecurityPolicy = [
    "default-src 'self'",
    `script-src 'self' 'unsafe-inline'${development ? " 'unsafe-eval'" : ''}`,
    "style-src 'self' 'unsafe-inline'",
    "img-src 'self' data: blob:",
    "font-src 'self' data:",
    "connect-src 'self'",
    "object-src 'none'",
    "base-uri 'self'",
    "form-action 'self'",
    "frame-ancestors 'none'",
  ].join('; ');
  return [
    { key: 'Content-Security-Policy', value: contentSecurityPolicy },
    // For browsers that predate frame-ancestors.
    { key: 'X-Frame-Options', value: 'DENY' },
    { key: 'X-Content-Type-Options', value: 'nosniff' },
    // Reconnect and dashboard URLs carry ids: other sites (providers, host apps) get no
    // referrer at all. Same-origin requests keep theirs, and with it the Origin header
    // that the CSRF check of form posts reads.
    { key: 'Referrer-Policy', value: 'same-origin' },
  ];
}

const nextConfig: NextConfig = {
  // The embedded database and the Postgres driver load native-ish assets (WASM, sockets)
  // at run time; bundling them gains nothing and breaks PGlite's asset lookup.
  serverExternalPackages: ['@electric-sql/pglite', 'postgres'],
  poweredByHeader: false,
  // The build type-checks what ships; `npm run typecheck` covers tests, scripts and benches.
  typescript: { tsconfigPath: 'tsconfig.build.json' },
  typedRoutes: false,
  async headers() {
    return [{ source: '/:path*', headers: securityHeaders(process.env.NODE_ENV === 'development') }];
  },
};

export default nextConfig;
