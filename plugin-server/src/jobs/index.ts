// Lifeline's persistent job runner: every long operation (backup, restore, replication, scrub) is a
// job recorded in the catalog, run under global and per-key concurrency limits with one job per
// target at a time, retried on transient faults, cancellable, observable through sequenced events,
// and cleaned up after a crash by its kind's handler. Time and randomness are injected (Clock).
// A core of the server's layers; how it fits with the rest: docs/architecture.md.
export { createJobRunner, openJobRecords } from './create-job-runner.js';
export { JobEventHub } from './job-events.js';
export { JobRunner, QueueReservation, ignoringCancel } from './job-runner.js';
export type { JobContext, JobHandler, JobRequest, JobRunnerOptions, StartReport, SubmitResult } from './job-runner.js';
export { SqliteJobStore } from './job-store.js';
export type { JobStore, JobPage, JobPatch, JobQuery, LogBounds, NewJob } from './job-store-type.js';
export { JobBusyError, ACTIVE_STATES, JOB_STATES, isTerminal, targetKey } from './job.js';
export type { CleanupState, JobError, JobLogLine, JobPhase, JobProgress, JobRecord, JobState, JobTarget, LogLevel } from './job.js';
export type { JobEvent, JobEventBody, JobEventListener, SubscribeOptions, Unsubscribe } from './job-events.js';
export { keyClass, keyLimit, keysFit, validateLimits } from './limits.js';
export type { ConcurrencyLimits } from './limits.js';
export { DEFAULT_RETRY, backoffDelay, isTransientError } from './retry.js';
export type { RetryPolicy } from './retry.js';
export { ProgressMeter } from './progress.js';
export { sleep, abortReason } from './clock.js';
export { migrateComponent } from './component-schema.js';
export type { Database, Migration } from './component-schema.js';
