import type { Database } from './component-schema.js';
import { JobRunner, type JobRunnerOptions } from './job-runner.js';
import { SqliteJobStore } from './job-store.js';

/** A job runner keeping its records in the shared catalog database (tables `jobs_*`). */
export function createJobRunner(db: Database, opts: Omit<JobRunnerOptions, 'store'>): JobRunner {
  return new JobRunner({ ...opts, store: new SqliteJobStore(db) });
}
