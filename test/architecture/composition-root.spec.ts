// The server's services are constructed in one place, plugin-server/src/server/ (the composition
// root; docs/architecture.md, "The server's layers"): no route, command or use case builds the
// state database, the job runner, the stores in it, the session cache, the authoriser, the
// services the routes call, the app or the server itself. Their factories are defined in their
// own modules, which is not building them. Read from the TypeScript sources.
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
const SRC = join(ROOT, 'plugin-server/src');

const CONSTRUCTED = [
  'SqliteAuditLog',
  'SqlitePolicyStore',
  'SqliteRecoveryStore',
  'SqliteJobStore',
  'JobRunner',
  'JobEventHub',
  'SessionCache',
  'Authorizer',
  'ProtectionScheduler',
  'RecoveryService',
  'PointsService',
  'PointReaders',
  'DownloadTickets',
];
const CALLED = ['openStateDatabase', 'openJobRecords', 'createJobRunner', 'openBackupServices', 'createVcenterCloner', 'createApp', 'startLifelineServer'];

/** Where each of `text`'s constructions and factory calls is, as `name` (a declaration is not a call). */
export function constructionsIn(text: string): string[] {
  const out: string[] = [];
  for (const m of text.matchAll(new RegExp(`\\bnew (${CONSTRUCTED.join('|')})\\s*[(<]`, 'g'))) out.push(m[1] as string);
  for (const m of text.matchAll(new RegExp(`(?<!function )\\b(${CALLED.join('|')})\\s*[(<]`, 'g'))) out.push(m[1] as string);
  return out;
}

function productionFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = join(dir, e.name);
    if (e.isDirectory()) return productionFiles(p);
    return e.name.endsWith('.ts') && !e.name.endsWith('.spec.ts') && !e.name.endsWith('.d.ts') && e.name !== 'testing.ts' ? [p] : [];
  });
}

/** A factory may build what it makes: createJobRunner and openJobRecords make the runner's parts. */
const FACTORIES: Readonly<Record<string, readonly string[]>> = {
  'jobs/create-job-runner.ts': ['JobRunner', 'SqliteJobStore', 'JobEventHub'],
  'jobs/job-runner.ts': ['JobEventHub'],
};

describe('the composition root', () => {
  it('finds constructions and factory calls, not declarations', () => {
    const text = "const a = new JobRunner({});\nexport function createApp(deps) {}\nconst b = createApp({});\nconst c = new Map();\nconst d = new SessionCache<S>({});";
    expect(constructionsIn(text)).toEqual(['JobRunner', 'SessionCache', 'createApp']);
  });

  it('is the only place in plugin-server/src where the server and its services are built', () => {
    const outside = productionFiles(SRC)
      .map((f) => relative(SRC, f).split(sep).join('/'))
      .filter((f) => !f.startsWith('server/'))
      .flatMap((f) => {
        const allowed = FACTORIES[f] ?? [];
        return constructionsIn(readFileSync(join(SRC, f), 'utf8'))
          .filter((name) => !allowed.includes(name))
          .map((name) => `${f}: ${name}`);
      });
    expect(outside).withContext('constructions outside server/').toEqual([]);
  });
});
