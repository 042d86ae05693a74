import nextCoreWebVitals from 'eslint-config-next/core-web-vitals';
import nextTypescript from 'eslint-config-next/typescript';

/**
 * The dependency direction (docs/architecture.md, "The dependency rule"):
 *
 *   app → lib/{api,connect,cli,cron,demo,import} → lib/{refresh,notify,auth}
 *       → lib/{owed,providers,crypto,db,kv,net,http} and the configuration (env.ts, local-auth.ts, data-dir.ts)
 *
 * A folder imports only from its own layer's folder or from layers below it, and the three
 * domain folders (refresh, notify, auth) never import one another: what refresh owes people
 * is a type and its wording in lib/owed, which notify reads. `import/no-cycle` catches a
 * cycle between files that the layers alone would not.
 */
const entry = ['lib/api', 'lib/connect', 'lib/cli', 'lib/cron', 'lib/demo', 'lib/import', 'lib/runtime.ts', 'lib/tokenwarden.ts', 'lib/startup-check.ts'];
const domain = ['lib/refresh', 'lib/notify', 'lib/auth'];
const base = ['lib/owed', 'lib/providers', 'lib/crypto', 'lib/db', 'lib/kv', 'lib/net', 'lib/http', 'lib/env.ts', 'lib/local-auth.ts', 'lib/data-dir.ts'];

const upward = (targets, sources, message) => targets.map((target) => ({ target, from: sources, message }));

export const dependencyZones = [
  ...upward([...entry, ...domain, ...base], ['app'], 'lib/ never imports from app/: app/ is the thin layer on top.'),
  ...upward([...domain, ...base], entry, 'Only app/ and the entry folders use lib/{api,connect,cli,cron,demo,import} and the runtime.'),
  ...upward(base, domain, 'lib/{owed,providers,crypto,db,kv,net,http} and the configuration sit below refresh, notify and auth: move the shared part down instead.'),
  ...domain.map((target) => ({
    target,
    from: domain.filter((other) => other !== target),
    message: 'refresh, notify and auth never import one another: share through lib/owed (or a collaborator handed in by the caller).',
  })),
];

const config = [
  ...nextCoreWebVitals,
  ...nextTypescript,
  {
    rules: {
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'no-empty': ['error', { allowEmptyCatch: false }],
    },
  },
  {
    files: ['lib/**/*.ts', 'lib/**/*.tsx', 'app/**/*.ts', 'app/**/*.tsx'],
    // Dependencies are not the project's: never parsed for the cycle check.
    settings: { 'import/ignore': ['node_modules'] },
    rules: {
      'import/no-restricted-paths': ['error', { zones: dependencyZones }],
      'import/no-cycle': ['error', { ignoreExternal: true, maxDepth: 12 }],
    },
  },
  { ignores: ['.next/**', 'node_modules/**', '.data/**', 'next-env.d.ts', 'coverage/**'] },
];

export default config;
