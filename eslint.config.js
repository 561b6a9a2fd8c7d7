// ESLint for the whole workspace. Beyond the usual TypeScript rules it enforces the dependency
// direction of the server (DESIGN.md §2): edges (api, cli) -> use cases (protection, recovery,
// replication, hooks, registration) -> adapters (store, vsphere) -> catalog and jobs; errors, log
// and config are leaves every part may use. An import that points the other way is an error.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import globals from 'globals';

const SRC = 'plugin-server/src';
const EDGES = ['api', 'cli'];
const USE_CASES = ['protection', 'recovery', 'replication', 'hooks', 'registration'];
const ADAPTERS = ['store', 'vsphere'];
const CORE = ['catalog', 'jobs'];
const LEAVES = ['errors', 'log', 'config'];

const forbid = (folders, why) =>
  folders.map((f) => ({ group: [`../${f}`, `../${f}/*`, `../../${f}/*`, `**/src/${f}/*`], message: why }));

// What each folder may not import. One entry per folder, because a later ESLint config object
// with the same rule replaces an earlier one instead of adding to it.
const FORBIDDEN = {
  ...Object.fromEntries(USE_CASES.map((f) => [f, EDGES])),
  // Recovery joins the store and vCenter; it needs no other use case.
  recovery: [...EDGES, ...USE_CASES.filter((f) => f !== 'recovery')],
  store: [...EDGES, ...USE_CASES, 'vsphere', 'export'],
  vsphere: [...EDGES, ...USE_CASES, 'store', 'export'],
  // Disk export formats sit on the store, beside it rather than inside it, and know nothing of vSphere.
  export: [...EDGES, ...USE_CASES, 'vsphere', 'jobs'],
  jobs: [...EDGES, ...USE_CASES, ...ADAPTERS, 'export'],
  catalog: [...EDGES, ...USE_CASES, ...ADAPTERS, 'jobs', 'export'],
  ...Object.fromEntries(LEAVES.map((f) => [f, [...EDGES, ...USE_CASES, ...ADAPTERS, ...CORE, 'export']])),
  // The shared nouns (VM reference, point id, clock, thumbprint) sit below everything but errors.
  domain: [...EDGES, ...USE_CASES, ...ADAPTERS, ...CORE, 'export', 'log', 'config'],
  errors: [...EDGES, ...USE_CASES, ...ADAPTERS, ...CORE, 'export', 'log', 'config', 'domain'],
};

const layers = Object.entries(FORBIDDEN).map(([folder, forbidden]) => ({
  files: [`${SRC}/${folder}/**/*.ts`],
  rules: {
    'no-restricted-imports': [
      'error',
      { patterns: forbid(forbidden, `plugin-server/src/${folder}/ must not import ${forbidden.join(', ')} (DESIGN.md §2 dependency direction).`) },
    ],
  },
}));

// eslint-disable-next-line no-restricted-syntax -- ESLint's flat config must be a default export.
export default tseslint.config(
  { ignores: ['node_modules/**', 'build/**', 'dist/**', '.angular/**', 'plugin-ui/**', 'test/vcsim/bin/**', '**/*.js', '!eslint.config.js'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { ...globals.node } },
    rules: {
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'no-restricted-syntax': ['error', { selector: 'ExportDefaultDeclaration', message: 'Use named exports.' }],
    },
  },
  ...layers,
);
