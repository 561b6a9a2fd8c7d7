// ESLint for the whole workspace. Beyond the usual TypeScript rules it enforces the dependency
// direction of the server (docs/architecture.md, "The server's layers"): the command line (cli) ->
// the composition root (server) -> the HTTP edge (api) -> use cases (protection, recovery,
// replication, object-copy, points, hooks, registration, events, dr, instant) -> adapters (store, vsphere, export, nfs) -> core (catalog, jobs)
// -> leaves (config, log, domain, errors). An import that points the other way is
// an error, and so is production code importing a test kit (a folder's testing.ts).
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import globals from 'globals';
import { existsSync } from 'node:fs';

const SRC = 'plugin-server/src';
// The top three, each above the next: only cli starts the server, only server constructs services.
const EDGES = ['cli', 'server', 'api'];
const USE_CASES = ['protection', 'recovery', 'replication', 'object-copy', 'sites', 'points', 'hooks', 'registration', 'events', 'dr', 'instant'];
const ADAPTERS = ['store', 'vsphere', 'nfs'];
const CORE = ['catalog', 'jobs'];
const LEAVES = ['errors', 'log', 'config'];

const forbid = (folders, why) =>
  folders.map((f) => ({ group: [`../${f}`, `../${f}/*`, `../../${f}/*`, `**/src/${f}/*`], message: why }));

// What each folder may not import. One entry per folder, because a later ESLint config object
// with the same rule replaces an earlier one instead of adding to it.
const FORBIDDEN = {
  // The command line may import every layer (but no test kit); the composition root every layer
  // but the command line; the HTTP edge neither of them: it is handed what it serves.
  cli: [],
  server: ['cli'],
  api: ['cli', 'server'],
  ...Object.fromEntries(USE_CASES.map((f) => [f, EDGES])),
  // Recovery joins the store and vCenter; it needs no other use case.
  recovery: [...EDGES, ...USE_CASES.filter((f) => f !== 'recovery')],
  // Restore points as the API uses them: retention is protection's, restore jobs are recovery's.
  points: [...EDGES, ...USE_CASES.filter((f) => !['points', 'protection', 'recovery'].includes(f))],
  // Disaster recovery at the DR site makes VMs with recovery's steps; it reaches the replicas and
  // the pairings through ports of its own.
  dr: [...EDGES, ...USE_CASES.filter((f) => !['dr', 'recovery'].includes(f))],
  // Replication joins two repositories through a link; it needs no other use case either.
  replication: [...EDGES, ...USE_CASES.filter((f) => f !== 'replication')],
  // Copy to object storage joins the store and its copy; it needs no other use case.
  'object-copy': [...EDGES, ...USE_CASES.filter((f) => f !== 'object-copy')],
  // Instant recovery joins the NFS server's publications and vCenter; a new VM run from a point is
  // built as recovery builds a new instance (its stored configuration, targets and devices).
  instant: [...EDGES, ...USE_CASES.filter((f) => !['instant', 'recovery'].includes(f))],
  // Pairing keeps the directory of peers; the link asks it through an interface of its own.
  sites: [...EDGES, ...USE_CASES.filter((f) => f !== 'sites')],
  store: [...EDGES, ...USE_CASES, 'vsphere', 'export', 'nfs'],
  vsphere: [...EDGES, ...USE_CASES, 'store', 'export', 'nfs'],
  // Disk export formats sit on the store, beside it rather than inside it, and know nothing of vSphere.
  export: [...EDGES, ...USE_CASES, 'vsphere', 'jobs', 'nfs'],
  // The NFS server serves restore points through the store and the export formats' disk reader;
  // it knows nothing of vSphere or jobs.
  nfs: [...EDGES, ...USE_CASES, 'vsphere', 'jobs'],
  jobs: [...EDGES, ...USE_CASES, ...ADAPTERS, 'export'],
  catalog: [...EDGES, ...USE_CASES, ...ADAPTERS, 'jobs', 'export'],
  ...Object.fromEntries(LEAVES.map((f) => [f, [...EDGES, ...USE_CASES, ...ADAPTERS, ...CORE, 'export']])),
  // The shared nouns (VM reference, point id, clock, thumbprint) sit below everything but errors.
  domain: [...EDGES, ...USE_CASES, ...ADAPTERS, ...CORE, 'export', 'log', 'config'],
  errors: [...EDGES, ...USE_CASES, ...ADAPTERS, ...CORE, 'export', 'log', 'config', 'domain'],
};

// The rule names only folders that exist: a folder that is renamed or removed must leave it too.
for (const folder of new Set([...Object.keys(FORBIDDEN), ...Object.values(FORBIDDEN).flat()])) {
  if (!existsSync(new URL(`${SRC}/${folder}`, import.meta.url))) throw new Error(`eslint.config.js names ${SRC}/${folder}/, which does not exist`);
}

const WHY = (folder, forbidden) => `plugin-server/src/${folder}/ must not import ${forbidden.join(', ')} (docs/architecture.md, "The server's layers").`;
const TEST_KITS = [
  {
    group: ['./testing.js', '../testing.js', '../../testing.js', '**/testing.js', '**/memory-backend.js', '**/faulty-backend.js', '**/manual-clock.js'],
    message: 'Test kits (a folder\'s testing.ts) are for specs only; production code must not import them.',
  },
];

// Production files get the layer rule and the test-kit rule; specs only the layer rule. Two
// objects, because a later ESLint config object with the same rule replaces an earlier one.
const layers = Object.entries(FORBIDDEN).flatMap(([folder, forbidden]) => [
  {
    files: [`${SRC}/${folder}/**/*.ts`],
    ignores: [`${SRC}/**/*.spec.ts`, `${SRC}/**/testing.ts`],
    rules: { 'no-restricted-imports': ['error', { patterns: [...forbid(forbidden, WHY(folder, forbidden)), ...TEST_KITS] }] },
  },
  {
    files: [`${SRC}/${folder}/**/*.spec.ts`, `${SRC}/${folder}/**/testing.ts`],
    rules: { 'no-restricted-imports': ['error', { patterns: forbid(forbidden, WHY(folder, forbidden)) }] },
  },
]);

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
