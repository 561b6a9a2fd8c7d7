/**
 * Where job records live. The runner depends on this interface; the SQLite implementation is in
 * job-store.ts. Times passed in are milliseconds since the epoch from the runner's clock.
 *
 * Contract: every method is synchronous and atomic (one SQLite transaction). `insert` refuses a
 * second active job for the same target (queued, running, or interrupted with its clean-up not yet
 * run) with JobBusyError, even when two runners share the file.
 */
import type { CleanupState, JobError, JobLogLine, JobPhase, JobRecord, JobState, JobTarget, LogLevel } from './job.js';

export interface NewJob {
  id: string;
  kind: string;
  target: JobTarget;
  priority: number;
  params: unknown;
  limitKeys: readonly string[];
  maxAttempts: number;
  requestedBy: string | null;
  createdAt: number;
  /** When the job's result is needed (ms), or null; orders the queue within a priority. */
  deadline?: number | null;
  /** See JobRecord.yieldsWhileQueued; default false. */
  yieldsWhileQueued?: boolean;
  /** The lane in which the job holds its target (JobHandler.lane); default ''. */
  lane?: string;
}

/** Fields the runner changes as a job moves on. Absent fields are left as they are. */
export interface JobPatch {
  state?: JobState;
  attempt?: number;
  nextAttemptAt?: number | null;
  startedAt?: number | null;
  finishedAt?: number | null;
  phase?: string | null;
  phases?: readonly JobPhase[];
  bytesDone?: number;
  bytesTotal?: number | null;
  rateBytesPerSecond?: number | null;
  etaSeconds?: number | null;
  checkpoint?: unknown;
  result?: unknown;
  cancelRequested?: boolean;
  error?: JobError | null;
  cleanup?: CleanupState;
}

export interface JobQuery {
  target?: JobTarget;
  /**
   * Only jobs a caller may see: of `vcenterGuid`, those whose target is not a VM or is one of
   * `vmKeys` (target keys); and jobs of no vCenter when `unscoped`.
   */
  visibleTo?: { vcenterGuid: string; vmKeys: readonly string[]; unscoped: boolean };
  kind?: string;
  states?: readonly JobState[];
  /** 1–500; 50 when absent. */
  limit?: number;
  /** `nextCursor` of the previous page. */
  cursor?: string;
  /** Rows to skip, for offset paging (the API's lists); not combined with `cursor`. */
  offset?: number;
}

/** Newest first. */
export interface JobPage {
  items: JobRecord[];
  nextCursor: string | null;
}

export interface LogBounds {
  /** Lines kept from the start of the log (the set-up), however long it grows. */
  head: number;
  /** Lines kept from the end (how it ended). Lines between are dropped and counted. */
  tail: number;
}

export interface JobStore {
  insert(job: NewJob): JobRecord;
  get(id: string): JobRecord | undefined;
  /** The job holding the target in a lane (default ''): queued, running, or interrupted with clean-up pending/running. */
  activeForTarget(target: JobTarget, lane?: string): JobRecord | undefined;
  /** All jobs holding their targets, oldest first. */
  /** Jobs holding their targets; given a lane, only those of that lane. */
  listActive(lane?: string): JobRecord[];
  /** Queued jobs in dispatch order: priority (high first), then deadline (earliest first, none last), then submission order. */
  listQueued(): JobRecord[];
  listByState(state: JobState): JobRecord[];
  /** Interrupted jobs whose clean-up has not run to the end (pending, or running when Lifeline died). */
  listCleanupDue(): JobRecord[];
  countQueued(): number;
  update(id: string, at: number, patch: JobPatch): JobRecord;
  /** Appends a line and returns its number (1, 2, …), or 0 when the job does not exist. */
  appendLog(id: string, at: number, level: LogLevel, message: string, bounds: LogBounds): number;
  readLog(id: string, afterLine: number, limit: number): JobLogLine[];
  list(query: JobQuery): JobPage;
  /** How many jobs match the query's filters (target, kind, states); paging fields are ignored. */
  count(query: Omit<JobQuery, 'limit' | 'cursor' | 'offset'>): number;
  /** Run times (finish − start, ms) of the last `limit` succeeded jobs of a kind for a target, newest first. */
  recentDurations(target: JobTarget, kind: string, limit: number): number[];
  /** Deletes finished jobs (and their logs) that ended before `beforeMs`; returns how many. */
  pruneFinished(beforeMs: number): number;
  /**
   * Reserves `count` event sequence numbers beyond every number reserved before, also across
   * restarts, and returns the first; the caller may use first … first + count − 1.
   */
  reserveEventSeqs(count: number): number;
}
