/**
 * The frame of a test-only child process that is a Lifeline server reduced to one job, for the
 * suites that kill such a process midway: it opens the repository, the vCenter and a job runner
 * on the SQLite state database, lets the caller register its job kind, starts the runner, submits
 * the one job and prints {"jobId": …}; should the job end before the parent kills the process, it
 * prints {"state": …} and closes everything. A failure goes to stderr with exit code 1.
 *
 * Argument: a JSON object with at least { url, thumbprint, user, password, repoDir, db }.
 */
import Database from 'better-sqlite3';
import { createJobRunner, isTerminal, type JobRunner } from '../../plugin-server/src/jobs/index.js';
import { systemClock } from '../../plugin-server/src/domain/index.js';
import { silentLogger } from '../../plugin-server/src/log/index.js';
import { Repository } from '../../plugin-server/src/store/index.js';
import { connectVcenter, type Vcenter } from '../../plugin-server/src/vsphere/index.js';

export interface OneJobConfig {
  readonly url: string;
  readonly thumbprint: string;
  readonly user: string;
  readonly password: string;
  readonly repoDir: string;
  /** The state database: the job runner's SQLite file. */
  readonly db: string;
}

export interface OneJobParts {
  readonly repo: Repository;
  readonly vc: Vcenter;
  readonly db: Database.Database;
  readonly runner: JobRunner;
  readonly signal: AbortSignal;
}

/**
 * Runs the process: `register` adds the job kind to the runner before it starts and returns what
 * submits the job once it runs (resolving to the job's id).
 */
export function runOneJob<C extends OneJobConfig>(register: (cfg: C, parts: OneJobParts) => () => Promise<string> | string): void {
  main(register).catch((err: unknown) => {
    process.stderr.write(`${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exitCode = 1;
  });
}

async function main<C extends OneJobConfig>(register: (cfg: C, parts: OneJobParts) => () => Promise<string> | string): Promise<void> {
  const cfg = JSON.parse(process.argv[2] ?? '{}') as C;
  const signal = new AbortController().signal;
  const repo = await Repository.open(cfg.repoDir, { codecThreads: 1 }, signal);
  const vc = await connectVcenter({ url: cfg.url, thumbprint: cfg.thumbprint, user: cfg.user, password: cfg.password });
  const db = new Database(cfg.db);
  const runner = createJobRunner(db, { clock: systemClock, random: () => 0.5, log: silentLogger, limits: { global: 2 }, progressIntervalMs: 50 });
  const submit = register(cfg, { repo, vc, db, runner, signal });
  await runner.start();
  const jobId = await submit();
  process.stdout.write(JSON.stringify({ jobId }) + '\n');
  while (!isTerminal(runner.get(jobId).state)) await new Promise((r) => setTimeout(r, 20));
  process.stdout.write(JSON.stringify({ state: runner.get(jobId).state }) + '\n');
  await runner.stop();
  db.close();
  vc.close();
  await repo.close();
}
