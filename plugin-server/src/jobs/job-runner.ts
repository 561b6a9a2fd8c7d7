/**
 * The persistent job runner. Every job is a row in the catalog before any work starts, and every
 * state change is written before it is announced, so after a crash the catalog tells what was
 * going on: queued jobs run after the restart, running ones become `interrupted` and their kind's
 * clean-up handler undoes what they left behind (from the checkpoint they saved).
 *
 * Rules the runner keeps:
 * - at most `limits.global` jobs run at once, and at most the key limit per concurrency key
 *   (jobs that only wait for jobs they submitted are not counted: JobHandler.coordinator);
 * - never two jobs for one target in one lane (JobHandler.lane; see JobBusyError for what a second
 *   request gets);
 * - only transient faults are retried, with exponential backoff and jitter;
 * - a cancelled job ends `cancelled` only after its work function has returned, i.e. after its
 *   own clean-up (finally blocks) ran; work functions must honour their AbortSignal;
 * - time comes from the injected clock and randomness from the injected random function.
 *
 * Clean-up handlers must be idempotent: Lifeline may die during a clean-up and run it again.
 */
import { randomUUID } from 'node:crypto';
import { setMaxListeners } from 'node:events';
import { LifelineError, NotFoundError, ValidationError, describeError, isLifelineError } from '../errors/index.js';
import type { Logger } from '../log/index.js';
import { sleep } from './clock.js';
import type { Clock, Random, Timer } from '../domain/index.js';
import { JobEventHub, type JobEventListener, type SubscribeOptions, type Unsubscribe } from './job-events.js';
import { JobBusyError, isTerminal, targetKey, type JobPhase, type JobProgress, type JobRecord, type JobTarget, type LogLevel, type JobLogLine } from './job.js';
import type { JobPage, JobPatch, JobQuery, JobStore, LogBounds } from './job-store-type.js';
import { keysFit, validateLimits, type ConcurrencyLimits } from './limits.js';
import { ProgressMeter } from './progress.js';
import { backoffDelay, DEFAULT_RETRY, isTransientError, type RetryPolicy } from './retry.js';

/** What a job's work function gets. Calls after the attempt has ended are ignored (and logged). */
export interface JobContext<P = unknown, C = unknown> {
  readonly jobId: string;
  readonly kind: string;
  readonly target: JobTarget;
  readonly params: P;
  /** 1 for the first attempt. */
  readonly attempt: number;
  /** What this job saved in an earlier attempt, or null. */
  readonly checkpoint: C | null;
  /** Aborted on cancel, timeout or shutdown; its reason says which. */
  readonly signal: AbortSignal;
  /**
   * Aborted on timeout or shutdown only, never by a cancel, also after one: for work that must run
   * to its end once begun and so ignores a cancel, yet must still stop when Lifeline stops or the
   * attempt outlives its time.
   */
  readonly stopSignal: AbortSignal;
  readonly clock: Clock;
  /** Opens a named phase (closing the one before), e.g. 'snapshot', 'read', 'commit'. */
  phase(name: string): void;
  progress(bytesDone: number, bytesTotal?: number | null): void;
  log(message: string, level?: LogLevel): void;
  /**
   * Persists a small JSON value at once (before returning), for the clean-up handler to find
   * after a crash. Save it before the side effect it describes when you can (the name of the
   * snapshot about to be created), so no crash window leaves an untracked side effect.
   */
  saveCheckpoint(checkpoint: C): void;
}

/**
 * The signal for work that runs to its end once begun, whatever the user's cancel: the context's
 * stopSignal (a stop of Lifeline or the time limit). A cancel meanwhile is told to `onCancel`, to
 * say that it takes no effect.
 */
export function ignoringCancel(ctx: Pick<JobContext, 'signal' | 'stopSignal'>, onCancel: () => void): AbortSignal {
  const follow = (): void => {
    const reason: unknown = ctx.signal.reason;
    if (isLifelineError(reason) && reason.code === 'cancelled') onCancel();
  };
  if (ctx.signal.aborted) follow();
  else ctx.signal.addEventListener('abort', follow, { once: true });
  return ctx.stopSignal;
}

export interface JobHandler<P = unknown, C = unknown> {
  /** The work. Resolves with the job's result (JSON) or rejects with why it failed. */
  run(ctx: JobContext<P, C>): Promise<unknown>;
  /** Undoes what an interrupted job left behind. Must be idempotent. */
  cleanup?(job: JobRecord, signal: AbortSignal): Promise<void>;
  /** Which errors are worth another attempt, besides those flagged `details.transient`. */
  isTransient?(err: unknown): boolean;
  /**
   * What a run that failed for good found before it failed, kept as the failed job's result (JSON),
   * or undefined for none. Without it a failed job has no result, whatever its error carries.
   */
  resultOfFailure?(err: unknown): unknown;
  retry?: Partial<RetryPolicy>;
  /** Aborts an attempt that runs longer than this; the job fails with code 'job-timeout'. */
  timeoutMs?: number;
  /**
   * The lane in which jobs of this kind hold their target (default ''): a target holds one active
   * job per lane. A kind whose work never conflicts with the target's other jobs (a replication
   * reads a finished, locked restore point) takes a lane of its own, so that it neither waits for
   * them nor makes them wait, while two jobs of its lane still never run at once.
   */
  lane?: string;
  /**
   * Jobs of this kind do their heavy work through jobs they submit and wait for (a planned
   * migration waits for the VM's backup and its replication), doing only a few calls themselves.
   * They take no slot: neither `limits.global` nor a key limit counts them, and they start
   * whatever the others hold. Counted, they could hold every slot their own jobs wait for, and
   * wait for ever (with `global` 1, the first of them would).
   */
  coordinator?: boolean;
}

export interface JobRequest<P = unknown> {
  kind: string;
  target: JobTarget;
  /** The job's input; JSON data, stored with the job so it can run after a restart. */
  params: P;
  limitKeys?: readonly string[];
  /** Higher runs first; default 0. */
  priority?: number;
  /** When the result is needed (ms since the epoch); within a priority the earliest runs first. */
  deadline?: number | null;
  /** See JobRecord.yieldsWhileQueued; default false. */
  yieldsWhileQueued?: boolean;
  requestedBy?: string | null;
  /** A place held in the queue by reserve(): the job takes it, even when the queue filled meanwhile. */
  reservation?: QueueReservation;
}

/**
 * A place in the job queue held for a job to be submitted after a step that must not happen when
 * the job could not be queued (JobRunner.reserve). Submitting with it uses it up; release() gives an
 * unused one back and is harmless after that.
 */
export class QueueReservation {
  private held = true;

  constructor(private readonly giveBack: () => void) {}

  /** Whether the place is still held: neither used by a submit nor released. */
  get active(): boolean {
    return this.held;
  }

  release(): void {
    if (!this.held) return;
    this.held = false;
    this.giveBack();
  }
}

export interface SubmitResult {
  job: JobRecord;
  /** False when an active job of the same kind already held the target and is returned instead. */
  created: boolean;
}

export interface StartReport {
  /** Jobs found running from before the restart, now interrupted. */
  interrupted: string[];
  cleanedUp: string[];
  cleanupFailed: string[];
}

export interface JobRunnerOptions {
  store: JobStore;
  clock: Clock;
  random: Random;
  log: Logger;
  limits: ConcurrencyLimits;
  retry?: Partial<RetryPolicy>;
  /** Transient-fault predicate for all kinds; a kind's own predicate is consulted too. */
  isTransient?: (err: unknown) => boolean;
  /** Progress is persisted and announced at most this often per job. Default 1000 ms. */
  progressIntervalMs?: number;
  logBounds?: LogBounds;
  /** Refuse new jobs beyond this many queued. Default 10 000. */
  maxQueued?: number;
  /** Recent events kept for Last-Event-ID replay. Default 10 000. */
  eventBuffer?: number;
  /** Default 10 minutes. */
  cleanupTimeoutMs?: number;
  /** How long stop() waits for aborted jobs to return. Default 30 s. */
  stopGraceMs?: number;
  newId?: () => string;
  /**
   * Where the runner announces its jobs' events; made over `store` when absent. Given when others
   * (the API's event streams) subscribe to the hub itself rather than through the runner.
   */
  events?: JobEventHub;
}

const MAX_JSON_BYTES = 64 * 1024;
const MAX_LOG_MESSAGE = 2000;

interface Attempt {
  readonly job: JobRecord;
  readonly handler: JobHandler;
  readonly controller: AbortController;
  /** Aborted on timeout and shutdown only (JobContext.stopSignal). */
  readonly stopController: AbortController;
  readonly meter: ProgressMeter;
  stopReason: 'cancel' | 'shutdown' | 'timeout' | null;
  stopMessage: string;
  phases: JobPhase[];
  progress: JobProgress;
  progressDirty: boolean;
  lastProgressAt: number;
  closed: boolean;
  warnedClosed: boolean;
  timeout: Timer | null;
  done: Promise<void>;
}

type Outcome = { ok: true; value: unknown } | { ok: false; error: unknown };

export class JobRunner {
  private readonly store: JobStore;
  private readonly clock: Clock;
  private readonly random: Random;
  private readonly log: Logger;
  private readonly limits: ConcurrencyLimits;
  private readonly retry: RetryPolicy;
  private readonly progressIntervalMs: number;
  private readonly logBounds: LogBounds;
  private readonly maxQueued: number;
  /** Places held by reserve() and not yet used or released. */
  private reservedPlaces = 0;
  private readonly cleanupTimeoutMs: number;
  private readonly stopGraceMs: number;
  private readonly newId: () => string;
  private readonly isTransientDefault: ((err: unknown) => boolean) | undefined;
  private readonly handlers = new Map<string, JobHandler>();
  private readonly attempts = new Map<string, Attempt>();
  private readonly events: JobEventHub;
  private readonly lifetime = new AbortController();
  private wake: Timer | null = null;
  private started = false;
  private stopping = false;
  /** Set once stop() gave up waiting: late results must not touch a catalog that may be closed. */
  private detached = false;

  constructor(opts: JobRunnerOptions) {
    validateLimits(opts.limits);
    this.store = opts.store;
    this.clock = opts.clock;
    this.random = opts.random;
    this.log = opts.log.child({ component: 'jobs' });
    this.limits = opts.limits;
    this.retry = { ...DEFAULT_RETRY, ...opts.retry };
    this.isTransientDefault = opts.isTransient;
    this.progressIntervalMs = opts.progressIntervalMs ?? 1000;
    this.logBounds = opts.logBounds ?? { head: 100, tail: 900 };
    this.maxQueued = opts.maxQueued ?? 10_000;
    this.cleanupTimeoutMs = opts.cleanupTimeoutMs ?? 10 * 60_000;
    this.stopGraceMs = opts.stopGraceMs ?? 30_000;
    this.newId = opts.newId ?? randomUUID;
    // Each running clean-up listens for shutdown; there are at most `global` of them at a time.
    setMaxListeners(opts.limits.global + 10, this.lifetime.signal);
    this.events = opts.events ?? new JobEventHub({
      clock: opts.clock,
      capacity: opts.eventBuffer ?? 10_000,
      reserveSeqs: (n) => this.store.reserveEventSeqs(n),
      onListenerError: (err) => this.log.error('job event listener failed', { err: describeError(err) }),
    });
  }

  /** Registers the work and clean-up of a job kind. All kinds are registered before start(). */
  register<P, C>(kind: string, handler: JobHandler<P, C>): void {
    if (this.handlers.has(kind)) throw new LifelineError('job-kind-duplicate', `job kind ${kind} is already registered`, { kind });
    this.handlers.set(kind, handler as JobHandler);
  }

  /**
   * Marks jobs left running by a previous process as interrupted, starts dispatching queued jobs,
   * and runs the pending clean-ups (bounded by the global limit). Resolves when the clean-ups have
   * ended; their targets stay busy until then.
   */
  async start(): Promise<StartReport> {
    if (this.started) throw new LifelineError('runner-started', 'the job runner is already started');
    this.started = true;
    const now = this.clock.now();
    const interrupted: string[] = [];
    for (const job of this.store.listByState('running')) {
      const handler = this.handlers.get(job.kind);
      const lastHeard = Date.parse(job.updatedAt);
      const updated = this.store.update(job.id, now, {
        state: 'interrupted',
        finishedAt: now,
        // The phase ended when Lifeline last heard from the job, not now.
        phases: job.phases.map((p) => (p.endedAt === null ? { ...p, endedAt: new Date(lastHeard).toISOString() } : p)),
        cleanup: handler?.cleanup ? 'pending' : 'none',
        error: { code: 'interrupted', message: 'Lifeline stopped while this job was running' },
      });
      this.appendLog(job.id, 'warn', handler ? 'interrupted: Lifeline stopped while this job was running' : `interrupted; no handler is registered for kind ${job.kind}, nothing to clean up`);
      this.events.publish(job.id, { type: 'state', job: updated });
      interrupted.push(job.id);
    }
    if (interrupted.length) this.log.warn('jobs interrupted by the last shutdown', { jobs: interrupted });
    this.pump();

    const cleanedUp: string[] = [];
    const cleanupFailed: string[] = [];
    await runBounded(this.store.listCleanupDue(), this.limits.global, async (job) => {
      (await this.runCleanup(job) ? cleanedUp : cleanupFailed).push(job.id);
    });
    return { interrupted, cleanedUp, cleanupFailed };
  }

  /**
   * Stops dispatching and aborts running jobs; those that return within the grace period end
   * `interrupted` (their clean-up runs at the next start, as after a crash); the others are left
   * `running` in the catalog, which the next start treats the same way.
   */
  async stop(): Promise<void> {
    if (this.stopping) return;
    this.stopping = true;
    this.wake?.cancel();
    const reason = new LifelineError('shutdown', 'Lifeline is stopping');
    this.lifetime.abort(reason);
    for (const a of this.attempts.values()) {
      // A job still running after a cancel (it ignored it, or its clean-up is under way) is
      // interrupted now: the next start settles it, as after a crash.
      if (a.stopReason === null || a.stopReason === 'cancel') {
        a.stopReason = 'shutdown';
        a.stopMessage = reason.message;
      }
      a.controller.abort(reason);
      a.stopController.abort(reason);
    }
    const grace = new AbortController();
    await Promise.race([
      Promise.all([...this.attempts.values()].map((a) => a.done)),
      sleep(this.clock, this.stopGraceMs, grace.signal).catch(() => undefined),
    ]);
    grace.abort();
    this.detached = true;
  }

  /**
   * Holds one place in the queue for a job that is submitted only after a step that must not
   * happen when the job could not be queued (a planned migration asks the source site to shut its
   * VM down first). Refused as submit would be now: 'runner-stopped' or 'queue-full'. Held places
   * count as queued until submit({ reservation }) uses them or they are released.
   */
  reserve(): QueueReservation {
    if (this.stopping) throw new LifelineError('runner-stopped', 'Lifeline is stopping; no new jobs are accepted');
    this.checkRoom();
    this.reservedPlaces++;
    return new QueueReservation(() => {
      this.reservedPlaces--;
    });
  }

  private checkRoom(): void {
    if (this.store.countQueued() + this.reservedPlaces >= this.maxQueued) {
      throw new LifelineError('queue-full', `the job queue is full (at most ${this.maxQueued} waiting, jobLimits.queued); try again later`, { transient: true });
    }
  }

  /** Queues a job, or returns the active job of the same kind on that target (see JobBusyError). */
  submit<P>(req: JobRequest<P>): SubmitResult {
    if (this.stopping) throw new LifelineError('runner-stopped', 'Lifeline is stopping; no new jobs are accepted');
    const handler = this.handlers.get(req.kind);
    if (!handler) throw new ValidationError(`unknown job kind ${req.kind}`, { field: 'kind' });
    validateTarget(req.target);
    const limitKeys = [...new Set(req.limitKeys ?? [])];
    if (limitKeys.some((k) => typeof k !== 'string' || k.length === 0 || k.length > 200) || limitKeys.length > 32) {
      throw new ValidationError('limitKeys must be at most 32 non-empty strings', { field: 'limitKeys' });
    }
    const priority = req.priority ?? 0;
    if (!Number.isInteger(priority) || Math.abs(priority) > 1000) throw new ValidationError('priority must be an integer from -1000 to 1000', { field: 'priority' });
    checkJsonSize('params', req.params);
    const deadline = req.deadline ?? null;
    if (deadline !== null && !Number.isSafeInteger(deadline)) throw new ValidationError('deadline must be a time in whole milliseconds', { field: 'deadline' });

    const lane = handler.lane ?? '';
    const existing = this.store.activeForTarget(req.target, lane);
    if (existing) {
      if (existing.kind === req.kind && !isTerminal(existing.state)) return { job: existing, created: false };
      if (!(existing.yieldsWhileQueued && existing.state === 'queued' && existing.attempt === 0)) throw new JobBusyError(existing, req.target);
      this.cancel(existing.id, `gave way to a ${req.kind} job${req.requestedBy ? ` requested by ${req.requestedBy}` : ''} before it started`);
    }
    // A reserved place was counted when it was taken.
    const reserved = req.reservation?.active === true;
    if (!reserved) this.checkRoom();
    const retry = { ...this.retry, ...handler.retry };
    const job = this.store.insert({
      id: this.newId(),
      kind: req.kind,
      target: { type: req.target.type, id: req.target.id, vcenterGuid: req.target.vcenterGuid },
      priority,
      params: req.params ?? null,
      limitKeys,
      maxAttempts: retry.maxAttempts,
      requestedBy: req.requestedBy ?? null,
      createdAt: this.clock.now(),
      deadline,
      yieldsWhileQueued: req.yieldsWhileQueued ?? false,
      lane,
    });
    if (reserved) req.reservation?.release();
    this.appendLog(job.id, 'info', `queued${job.requestedBy ? ` by ${job.requestedBy}` : ''}`);
    this.events.publish(job.id, { type: 'state', job });
    this.pump();
    return { job: this.get(job.id), created: true };
  }

  /**
   * Cancels a queued job at once, or aborts a running one; the running job ends `cancelled` when
   * its work function returns. Cancelling a job that already ended is an error ('job-finished').
   */
  cancel(id: string, reason = 'cancelled by request'): JobRecord {
    const job = this.get(id);
    if (isTerminal(job.state)) {
      throw new LifelineError('job-finished', `job ${id} has already ended (${job.state})`, { jobId: id, state: job.state });
    }
    const now = this.clock.now();
    const a = this.attempts.get(id);
    if (job.state === 'queued' || !a) {
      const done = this.store.update(id, now, { state: 'cancelled', finishedAt: now, nextAttemptAt: null, cancelRequested: true, error: { code: 'cancelled', message: reason } });
      this.appendLog(id, 'warn', reason);
      this.events.publish(id, { type: 'state', job: done });
      this.pump();
      return done;
    }
    if (a.stopReason === null) {
      a.stopReason = 'cancel';
      a.stopMessage = reason;
    }
    const updated = this.store.update(id, now, { cancelRequested: true });
    this.appendLog(id, 'warn', `${reason}; waiting for the job to clean up`);
    this.events.publish(id, { type: 'state', job: updated });
    a.controller.abort(new LifelineError('cancelled', reason));
    return updated;
  }

  get(id: string): JobRecord {
    const job = this.store.get(id);
    if (!job) throw new NotFoundError(`job ${id} not found`, { jobId: id });
    return job;
  }

  find(id: string): JobRecord | undefined {
    return this.store.get(id);
  }

  /** Whether a handler is registered for `kind`, i.e. whether such jobs can run at all. */
  hasHandler(kind: string): boolean {
    return this.handlers.has(kind);
  }

  /** How many jobs match the filters of a query (for paged lists' totals). */
  count(query: Omit<JobQuery, 'limit' | 'cursor' | 'offset'> = {}): number {
    return this.store.count(query);
  }

  /** History, newest first, paged; e.g. `{ target: vm }` for a VM's history. */
  list(query: JobQuery = {}): JobPage {
    return this.store.list(query);
  }

  /**
   * Jobs holding their targets: queued, running, or interrupted with clean-up not yet done; given
   * a lane (JobHandler.lane), only those holding it there.
   */
  activeJobs(lane?: string): JobRecord[] {
    return this.store.listActive(lane);
  }

  activeForTarget(target: JobTarget, lane = ''): JobRecord | undefined {
    return this.store.activeForTarget(target, lane);
  }

  readLog(id: string, afterLine = 0, limit = 500): JobLogLine[] {
    this.get(id);
    return this.store.readLog(id, afterLine, Math.min(Math.max(1, limit), 5000));
  }

  recentDurations(target: JobTarget, kind: string, limit: number): number[] {
    return this.store.recentDurations(target, kind, limit);
  }

  /** Deletes history of jobs that ended before `before`; returns how many. */
  pruneFinished(before: Date): number {
    return this.store.pruneFinished(before.getTime());
  }

  /** Events of all jobs; see JobEventHub for replay after `after`. */
  subscribe(listener: JobEventListener, opts?: SubscribeOptions): Unsubscribe {
    return this.events.subscribe(listener, opts);
  }

  /** Events of one job, starting with a snapshot or with the events missed since `after`. */
  subscribeJob(id: string, listener: JobEventListener, opts?: SubscribeOptions): Unsubscribe {
    return this.events.subscribeJob(this.get(id), listener, opts);
  }

  lastEventSeq(): number {
    return this.events.lastSeq();
  }

  // ---- dispatch ----

  private pump(): void {
    if (!this.started || this.stopping) return;
    const now = this.clock.now();
    let wakeAt = Number.POSITIVE_INFINITY;
    const inUse = new Map<string, number>();
    // Coordinators (JobHandler.coordinator) take no slot and count against no key.
    const coordinates = (kind: string): boolean => this.handlers.get(kind)?.coordinator === true;
    let working = 0;
    for (const a of this.attempts.values()) {
      if (coordinates(a.job.kind)) continue;
      working++;
      for (const k of a.job.limitKeys) inUse.set(k, (inUse.get(k) ?? 0) + 1);
    }
    for (const job of this.store.listQueued()) {
      const coordinator = coordinates(job.kind);
      if (!coordinator && working >= this.limits.global) continue;
      const due = job.nextAttemptAt === null ? now : Date.parse(job.nextAttemptAt);
      if (due > now) {
        wakeAt = Math.min(wakeAt, due);
        continue;
      }
      if (!coordinator) {
        // A job blocked by its key limit does not hold up jobs on other keys behind it.
        if (!keysFit(this.limits, job.limitKeys, inUse)) continue;
        for (const k of job.limitKeys) inUse.set(k, (inUse.get(k) ?? 0) + 1);
        working++;
      }
      this.launch(job, now);
    }
    this.wake?.cancel();
    this.wake = Number.isFinite(wakeAt) ? this.clock.setTimer(wakeAt - now, () => this.safePump()) : null;
  }

  private launch(job: JobRecord, now: number): void {
    const handler = this.handlers.get(job.kind);
    if (!handler) {
      const failed = this.store.update(job.id, now, { state: 'failed', finishedAt: now, error: { code: 'job-kind-unknown', message: `no handler is registered for kind ${job.kind}` } });
      this.events.publish(job.id, { type: 'state', job: failed });
      return;
    }
    const attemptNo = job.attempt + 1;
    const progress: JobProgress = { bytesDone: 0, bytesTotal: null, rateBytesPerSecond: null, etaSeconds: null };
    const running = this.store.update(job.id, now, {
      state: 'running',
      attempt: attemptNo,
      nextAttemptAt: null,
      startedAt: job.startedAt === null ? now : undefined,
      bytesDone: 0,
      bytesTotal: null,
      rateBytesPerSecond: null,
      etaSeconds: null,
    });
    const a: Attempt = {
      job: running,
      handler,
      controller: new AbortController(),
      stopController: new AbortController(),
      meter: new ProgressMeter(),
      stopReason: null,
      stopMessage: '',
      phases: [...running.phases],
      progress,
      progressDirty: false,
      lastProgressAt: Number.NEGATIVE_INFINITY,
      closed: false,
      warnedClosed: false,
      timeout: null,
      done: Promise.resolve(),
    };
    this.attempts.set(job.id, a);
    this.appendLog(job.id, 'info', attemptNo === 1 ? 'started' : `attempt ${attemptNo} of ${running.maxAttempts} started`);
    this.events.publish(job.id, { type: 'state', job: running });
    if (handler.timeoutMs !== undefined) {
      const ms = handler.timeoutMs;
      a.timeout = this.clock.setTimer(ms, () => {
        if (a.closed) return;
        const message = `the attempt ran longer than ${Math.round(ms / 1000)} s`;
        // After a cancel the attempt ends cancelled; work that ignores the cancel stops all the same.
        a.stopController.abort(new LifelineError('job-timeout', message));
        if (a.stopReason !== null) return;
        a.stopReason = 'timeout';
        a.stopMessage = message;
        a.controller.abort(new LifelineError('job-timeout', a.stopMessage));
      });
    }
    const ctx = this.context(a, attemptNo);
    a.done = Promise.resolve()
      .then(() => handler.run(ctx))
      .then(
        (value) => this.settle(a, { ok: true, value }),
        (error: unknown) => this.settle(a, { ok: false, error }),
      );
  }

  private context(a: Attempt, attemptNo: number): JobContext {
    const id = a.job.id;
    const live = (what: string): boolean => {
      if (!a.closed) return true;
      if (!a.warnedClosed) {
        a.warnedClosed = true;
        this.log.warn('job called its context after its attempt ended; ignored', { jobId: id, call: what });
      }
      return false;
    };
    return {
      jobId: id,
      kind: a.job.kind,
      target: a.job.target,
      params: a.job.params,
      attempt: attemptNo,
      checkpoint: a.job.checkpoint,
      signal: a.controller.signal,
      stopSignal: a.stopController.signal,
      clock: this.clock,
      phase: (name) => {
        if (!live('phase')) return;
        const now = this.clock.now();
        const at = new Date(now).toISOString();
        a.phases = a.phases.map((p) => (p.endedAt === null ? { ...p, endedAt: at } : p));
        a.phases.push({ name, startedAt: at, endedAt: null });
        this.store.update(id, now, { phase: name, phases: a.phases, ...this.progressPatch(a) });
        this.events.publish(id, { type: 'phase', phase: name });
      },
      progress: (bytesDone, bytesTotal = null) => {
        if (!live('progress')) return;
        if (!Number.isSafeInteger(bytesDone) || bytesDone < 0 || (bytesTotal !== null && (!Number.isSafeInteger(bytesTotal) || bytesTotal < 0))) {
          throw new ValidationError('progress must be given in non-negative integer bytes', { bytesDone, bytesTotal });
        }
        const now = this.clock.now();
        a.progress = a.meter.update(now, bytesDone, bytesTotal);
        a.progressDirty = true;
        const finished = bytesTotal !== null && bytesDone >= bytesTotal;
        if (finished || now - a.lastProgressAt >= this.progressIntervalMs) {
          a.lastProgressAt = now;
          this.store.update(id, now, this.progressPatch(a));
          this.events.publish(id, { type: 'progress', progress: a.progress });
        }
      },
      log: (message, level = 'info') => {
        if (!live('log')) return;
        this.appendLog(id, level, message);
      },
      saveCheckpoint: (checkpoint) => {
        if (!live('saveCheckpoint')) return;
        checkJsonSize('checkpoint', checkpoint);
        this.store.update(id, this.clock.now(), { checkpoint: checkpoint ?? null });
      },
    };
  }

  private progressPatch(a: Attempt): JobPatch {
    if (!a.progressDirty) return {};
    a.progressDirty = false;
    return {
      bytesDone: a.progress.bytesDone,
      bytesTotal: a.progress.bytesTotal,
      rateBytesPerSecond: a.progress.rateBytesPerSecond,
      etaSeconds: a.progress.etaSeconds,
    };
  }

  private settle(a: Attempt, outcome: Outcome): void {
    if (a.closed) return;
    a.closed = true;
    a.timeout?.cancel();
    this.attempts.delete(a.job.id);
    if (this.detached) return;
    try {
      this.record(a, outcome);
    } catch (err) {
      // The catalog refused the write (closed, disk full): the job stays as last written and the
      // next start treats it as interrupted. Nothing else can be done here but say so.
      this.log.error('could not record the end of a job', { jobId: a.job.id, err: describeError(err) });
    }
    this.safePump();
  }

  /** pump() for callbacks nothing awaits (timers, settled jobs): a failure is logged, not lost. */
  private safePump(): void {
    try {
      this.pump();
    } catch (err) {
      this.log.error('job dispatch failed', { err: describeError(err) });
    }
  }

  private record(a: Attempt, outcome: Outcome): void {
    const id = a.job.id;
    const now = this.clock.now();
    const at = new Date(now).toISOString();
    const base: JobPatch = { phases: a.phases.map((p) => (p.endedAt === null ? { ...p, endedAt: at } : p)), ...this.progressPatch(a) };
    let patch: JobPatch;
    let line: [LogLevel, string];
    if (outcome.ok) {
      patch = { state: 'succeeded', finishedAt: now, result: jsonOrNull(outcome.value), error: null };
      line = ['info', a.stopReason === 'cancel' ? 'succeeded before the cancel took effect' : 'succeeded'];
    } else if (a.stopReason === 'cancel') {
      patch = { state: 'cancelled', finishedAt: now, error: { code: 'cancelled', message: a.stopMessage } };
      line = ['warn', 'cancelled; clean-up done'];
    } else if (a.stopReason === 'shutdown') {
      patch = { state: 'interrupted', finishedAt: now, cleanup: a.handler.cleanup ? 'pending' : 'none', error: { code: 'interrupted', message: a.stopMessage } };
      line = ['warn', 'interrupted by shutdown'];
    } else if (a.stopReason === 'timeout') {
      patch = { state: 'failed', finishedAt: now, error: { code: 'job-timeout', message: a.stopMessage } };
      line = ['error', `failed: ${a.stopMessage}`];
    } else {
      const error = { code: isLifelineError(outcome.error) ? outcome.error.code : 'job-failed', message: describeError(outcome.error) };
      const transient = isTransientError(outcome.error, (err) => (a.handler.isTransient?.(err) ?? false) || (this.isTransientDefault?.(err) ?? false));
      const attempt = a.job.attempt;
      if (transient && attempt < a.job.maxAttempts) {
        const delay = backoffDelay(attempt + 1, { ...this.retry, ...a.handler.retry }, this.random);
        patch = { state: 'queued', nextAttemptAt: now + delay, error };
        line = ['warn', `attempt ${attempt} failed with a transient fault (${error.code}: ${error.message}); retrying in ${Math.round(delay / 1000)} s`];
      } else {
        // What the job found before it failed, where its kind keeps it: its result.
        const found = a.handler.resultOfFailure?.(outcome.error);
        patch = { state: 'failed', finishedAt: now, error, ...(found === undefined ? {} : { result: jsonOrNull(found) }) };
        line = ['error', transient ? `failed after ${attempt} attempts: ${error.message}` : `failed: ${error.message}`];
      }
    }
    this.store.update(id, now, { ...base, ...patch });
    this.appendLog(id, line[0], line[1]);
    this.events.publish(id, { type: 'state', job: this.get(id) });
  }

  private async runCleanup(job: JobRecord): Promise<boolean> {
    const handler = this.handlers.get(job.kind);
    const publish = (patch: JobPatch) => this.events.publish(job.id, { type: 'state', job: this.store.update(job.id, this.clock.now(), patch) });
    if (!handler?.cleanup) {
      this.appendLog(job.id, 'error', `clean-up not run: no clean-up handler is registered for kind ${job.kind}`);
      publish({ cleanup: 'failed' });
      return false;
    }
    publish({ cleanup: 'running' });
    const ctl = new AbortController();
    const onStop = () => ctl.abort(this.lifetime.signal.reason);
    this.lifetime.signal.addEventListener('abort', onStop, { once: true });
    const timer = this.clock.setTimer(this.cleanupTimeoutMs, () => ctl.abort(new LifelineError('cleanup-timeout', 'the clean-up took too long')));
    try {
      await handler.cleanup(this.get(job.id), ctl.signal);
      if (this.detached) return true;
      this.appendLog(job.id, 'info', 'clean-up done');
      publish({ cleanup: 'done' });
      return true;
    } catch (err) {
      if (this.detached) return false;
      if (this.lifetime.signal.aborted) {
        // Cut short by a stop of Lifeline, not failed: the next start runs it again.
        this.appendLog(job.id, 'warn', `clean-up stopped by a stop of Lifeline (${describeError(err)}); it runs again at the next start`);
        publish({ cleanup: 'pending' });
        return false;
      }
      // Left 'failed', not retried blindly: the target is released so protection goes on, and
      // Lifeline's orphan sweepers (snapshots, temporary files) find what remains.
      this.log.error('clean-up of an interrupted job failed', { jobId: job.id, kind: job.kind, err: describeError(err) });
      this.appendLog(job.id, 'error', `clean-up failed: ${describeError(err)}`);
      publish({ cleanup: 'failed' });
      return false;
    } finally {
      timer.cancel();
      this.lifetime.signal.removeEventListener('abort', onStop);
      if (!this.detached) this.safePump();
    }
  }

  private appendLog(id: string, level: LogLevel, message: string): void {
    const text = message.length > MAX_LOG_MESSAGE ? `${message.slice(0, MAX_LOG_MESSAGE)}… (${message.length - MAX_LOG_MESSAGE} more characters)` : message;
    const now = this.clock.now();
    const line = this.store.appendLog(id, now, level, text, this.logBounds);
    if (line > 0) this.events.publish(id, { type: 'log', line: { line, at: new Date(now).toISOString(), level, message: text } });
  }
}

function validateTarget(t: JobTarget): void {
  const ok = (s: unknown) => typeof s === 'string' && s.length > 0 && s.length <= 200;
  if (!t || !ok(t.type) || !ok(t.id) || !(t.vcenterGuid === null || ok(t.vcenterGuid))) {
    throw new ValidationError('target needs a type, an id and a vCenter GUID (or null)', { field: 'target' });
  }
  targetKey(t);
}

function checkJsonSize(field: string, value: unknown): void {
  let text: string;
  try {
    text = JSON.stringify(value ?? null);
  } catch (err) {
    throw new ValidationError(`${field} is not JSON data: ${describeError(err)}`, { field });
  }
  if (Buffer.byteLength(text) > MAX_JSON_BYTES) {
    throw new ValidationError(`${field} is larger than ${MAX_JSON_BYTES} bytes of JSON`, { field });
  }
}

function jsonOrNull(v: unknown): unknown {
  return v === undefined ? null : v;
}

/** Runs `fn` over `items` with at most `limit` at a time. */
async function runBounded<T>(items: readonly T[], limit: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const item = items[next++] as T;
      await fn(item);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
}
