/**
 * The job record: what a job is, as the catalog keeps it and the API shows it. Times are ISO-8601
 * UTC strings and sizes integer bytes, as everywhere in Lifeline's API.
 */
import { LifelineError } from '../errors/index.js';

/**
 * queued → running → succeeded | failed | cancelled; a transient failure sends a job back to
 * queued (with `nextAttemptAt`) until its attempts are used up. `interrupted` is set at start-up for
 * a job that was running when Lifeline stopped; its kind's clean-up handler then runs.
 */
export type JobState = 'queued' | 'running' | 'succeeded' | 'failed' | 'cancelled' | 'interrupted';

export const JOB_STATES: readonly JobState[] = ['queued', 'running', 'succeeded', 'failed', 'cancelled', 'interrupted'];
export const ACTIVE_STATES: readonly JobState[] = ['queued', 'running'];

export function isTerminal(state: JobState): boolean {
  return state !== 'queued' && state !== 'running';
}

/** Progress of the clean-up handler of an interrupted job. */
export type CleanupState = 'none' | 'pending' | 'running' | 'done' | 'failed';

/**
 * What a job works on. Two jobs never run for the same target at once, whatever their kinds.
 * A vSphere object is named by its managed object id and the GUID of its vCenter, because morefs
 * are only unique within one vCenter.
 */
export interface JobTarget {
  /** e.g. 'VirtualMachine', 'Datastore', 'repository', 'site'. */
  type: string;
  /** e.g. the VM's moref 'vm-58'. */
  id: string;
  /** The vCenter instance GUID, or null for targets outside vSphere (a repository, a site). */
  vcenterGuid: string | null;
}

export function targetKey(t: JobTarget): string {
  return `${t.type}:${t.vcenterGuid ?? ''}:${t.id}`;
}

export interface JobPhase {
  name: string;
  startedAt: string;
  endedAt: string | null;
}

export interface JobProgress {
  bytesDone: number;
  bytesTotal: number | null;
  /** Bytes per second over the last few seconds; null until there is something to measure. */
  rateBytesPerSecond: number | null;
  /** Seconds left at the current rate; null when the total or the rate is unknown. */
  etaSeconds: number | null;
}

export interface JobError {
  code: string;
  message: string;
}

export interface JobRecord {
  id: string;
  kind: string;
  target: JobTarget;
  state: JobState;
  /** Higher runs first among queued jobs. */
  priority: number;
  /** The job's input, as given when it was submitted (JSON). */
  params: unknown;
  /** Concurrency keys the job counts against besides the global limit, e.g. 'datastore:ds-12'. */
  limitKeys: string[];
  /** The phase now open, or the last one when the job has ended. */
  phase: string | null;
  phases: JobPhase[];
  progress: JobProgress;
  /**
   * Small JSON the job saved while running (e.g. the snapshot it created) so that the clean-up
   * handler can undo its side effects after a crash, and a retry can pick up where it stopped.
   */
  checkpoint: unknown;
  /** What the job produced (JSON), e.g. the id of the restore point a backup committed. */
  result: unknown;
  attempt: number;
  maxAttempts: number;
  /** When a queued job waiting out a retry backoff may run again. */
  nextAttemptAt: string | null;
  cancelRequested: boolean;
  error: JobError | null;
  cleanup: CleanupState;
  /** Who asked for it: a user name, or 'scheduler'. */
  requestedBy: string | null;
  log: { lines: number; dropped: number };
  createdAt: string;
  startedAt: string | null;
  updatedAt: string;
  finishedAt: string | null;
  /**
   * When the job's result is needed, e.g. the time a scheduled backup's VM would exceed its RPO;
   * among queued jobs of one priority the earliest deadline runs first (none: last). Null when none.
   */
  deadline: string | null;
  /**
   * A job that gives way while it waits: when a job of another kind is asked for its target
   * before its first attempt starts, it is cancelled and the other job is queued instead of being
   * refused as busy. Scheduled backups do: a restore must not wait for, or be refused by, a
   * backup that has not started yet (the scheduler queues it again when the VM is free).
   */
  yieldsWhileQueued: boolean;
}

export type LogLevel = 'info' | 'warn' | 'error';

export interface JobLogLine {
  line: number;
  at: string;
  level: LogLevel;
  message: string;
}

/**
 * The decision for a second request on a busy target: a request of the same kind gets the job that
 * is already queued or running (so "back up now" twice gives one backup, and a scheduler racing a
 * user does no harm); a request of another kind gets this error, because running a restore behind a
 * backup of the same VM (or the reverse) is something a user must decide, not the runner.
 */
export class JobBusyError extends LifelineError {
  constructor(readonly activeJob: Pick<JobRecord, 'id' | 'kind' | 'state'>, target: JobTarget) {
    super('busy', `${target.type} ${target.id} is busy with ${activeJob.kind} job ${activeJob.id} (${activeJob.state})`, {
      jobId: activeJob.id,
      kind: activeJob.kind,
      state: activeJob.state,
      target,
    });
  }
}
