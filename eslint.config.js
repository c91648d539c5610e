import js from '@eslint/js';
import tseslint from 'typescript-eslint';

// Layers (see README, Architecture): api ← model ← bundle ← market ← controller ← cli. A layer imports only
// those below it; test helpers (src/testing) never reach shipped code.
const TESTING = {
  group: ['**/testing/**'],
  message: 'test helpers stay out of shipped code',
};
const layer = (files, banned, message) => ({
  files,
  ignores: ['**/*.test.ts', 'src/testing/**'],
  rules: {
    '@typescript-eslint/no-restricted-imports': [
      'error',
      {
        patterns: [TESTING, ...(banned.length ? [{ group: banned, message, allowTypeImports: false }] : [])],
      },
    ],
  },
});
const OUTER = ['**/kube/**', '**/controller/**', '**/bundle/**', '**/market/**', '**/cli/**', '**/tools/**'];

export default tseslint.config(
  { ignores: ['dist/', 'node_modules/', 'coverage/', 'charts/', 'e2e/go/'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': 'error',
    },
  },
  layer(['src/**/*.ts'], [], ''),
  layer(['src/api/**/*.ts'], ['**/model/**', ...OUTER], 'src/api is the API: schemas and names only'),
  layer(
    ['src/model/**/*.ts'],
    [
      ...OUTER,
      'node:fs',
      'node:fs/*',
      'node:net',
      'node:http',
      'node:https',
      'node:child_process',
      'node:os',
    ],
    'src/model is pure: no I/O, no controller or bundle code',
  ),
  layer(
    ['src/market/**/*.ts'],
    ['**/controller/**', '**/cli/**', '**/tools/**', '**/kube/**'],
    'src/market sits beside src/bundle: the store format, push and sync reads; no controller, CLI or Kubernetes code',
  ),
  layer(
    ['src/controller/upgrade/**/*.ts', 'src/controller/rollback/**/*.ts', 'src/controller/template/**/*.ts'],
    ['**/install/**'],
    "the request and template controllers share src/model and controller/cache.ts, not the install controller's internals",
  ),
  {
    files: ['src/**/*.ts', 'bench/**/*.ts', 'e2e/**/*.ts'],
    ignores: ['**/*.test.ts'],
    rules: { 'max-lines': ['warn', { max: 300, skipBlankLines: true, skipComments: true }] },
  },
  {
    files: ['**/*.js', '**/*.mjs'],
    languageOptions: { globals: { process: 'readonly', console: 'readonly' } },
  },
  {
    // the console's client code runs in the browser, as a classic script (no build step)
    files: ['src/console/assets/*.js'],
    languageOptions: {
      sourceType: 'script',
      globals: {
        window: 'readonly',
        document: 'readonly',
        fetch: 'readonly',
        DOMParser: 'readonly',
        EventSource: 'readonly',
      },
    },
  },
);
