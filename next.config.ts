import type { NextConfig } from 'next';

const nextConfig: NextConfig = {
  // The embedded database and the Postgres driver load native-ish assets (WASM, sockets)
  // at run time; bundling them gains nothing and breaks PGlite's asset lookup.
  serverExternalPackages: ['@electric-sql/pglite', 'postgres'],
  poweredByHeader: false,
  // The build type-checks what ships; `npm run typecheck` covers tests, scripts and benches.
  typescript: { tsconfigPath: 'tsconfig.build.json' },
  typedRoutes: false,
};

export default nextConfig;
