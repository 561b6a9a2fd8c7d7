// How the job runner is made over the shared database, and the job store and event hub that
// readers (the API) use beside it; server/ calls these.
import type { Clock } from '../domain/index.js';
import { describeError } from '../errors/index.js';
import type { Logger } from '../log/index.js';
import type { Database } from './component-schema.js';
import { JobEventHub } from './job-events.js';
import { JobRunner, type JobRunnerOptions } from './job-runner.js';
import { SqliteJobStore } from './job-store.js';

/** A job runner keeping its records in the shared catalog database (tables `jobs_*`). */
export function createJobRunner(db: Database, opts: Omit<JobRunnerOptions, 'store'>): JobRunner {
  return new JobRunner({ ...opts, store: new SqliteJobStore(db) });
}

/**
 * The job records in the shared database and the hub of their live events, made apart from the
 * runner so that readers (the API's lists and event streams) use them directly; the runner is
 * given both and only runs jobs.
 */
export function openJobRecords(db: Database, opts: { readonly clock: Clock; readonly log: Logger; readonly eventBuffer?: number }): { store: SqliteJobStore; events: JobEventHub } {
  const store = new SqliteJobStore(db);
  const log = opts.log.child({ component: 'jobs' });
  const events = new JobEventHub({
    clock: opts.clock,
    capacity: opts.eventBuffer ?? 10_000,
    reserveSeqs: (n) => store.reserveEventSeqs(n),
    onListenerError: (err) => log.error('job event listener failed', { err: describeError(err) }),
  });
  return { store, events };
}
