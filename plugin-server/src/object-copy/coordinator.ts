/**
 * Copy to object storage as the server runs it: the `object-copy` job kind and the coordinator
 * that queues one after each successful backup of a VM whose policy asks for copies
 * (`copyToObjectStorage`). A job copies the VM's points that the copy should hold and does not
 * yet — every point, or only those the policy's retention keeps as weekly or monthly ones — the
 * newest first, into the server's copy on object storage (store/object-copy.ts), each locked
 * there for the policy's `immutableDays` from its creation. Only the chunks the copy lacks are
 * uploaded. A job that fails (object storage unreachable) is retried by the job runner and, like
 * any run, sends only what is still missing; cancelling it stops at once and leaves the copy as
 * consistent as before (a point is visible in the copy only once it is whole). Then the copy's own
 * retention is applied to the VM's points there (store/object-copy.ts pruneCopy): those whose lock
 * has run out are deleted from the copy and its unreferenced, unlocked chunks collected.
 *
 * A policy asking for copies on a server without object storage for them (lifeline.json `copyS3`)
 * fails its jobs with 'object-copy-not-configured', so that nobody takes the missing copy for a
 * made one.
 */
import { LifelineError, describeError } from '../errors/index.js';
import { vmKey, vmTarget, validateVmRef, type VmRef } from '../domain/index.js';
import type { JobHandler, JobRecord, JobRunner } from '../jobs/index.js';
import type { Logger } from '../log/index.js';
import { copyPoint, isStoreError, planPrune, pruneCopy, type Repository } from '../store/index.js';

export const OBJECT_COPY_JOB_KIND = 'object-copy';

/**
 * The lane in which copy jobs hold their VM (JobHandler.lane): a copy reads only committed restore
 * points, so it neither waits for the VM's backups and restores nor makes them wait, while two
 * copies of one VM still never run at once.
 */
export const OBJECT_COPY_LANE = 'object-copy';

/** What a policy asks of copies (its copyToObjectStorage and the retention counts it needs). */
export interface CopyRule {
  points: 'all' | 'weekly-monthly';
  immutableDays: number;
  /** The policy's weekly and monthly counts: which points 'weekly-monthly' copies. */
  weekly: number;
  monthly: number;
}

export interface ObjectCopyJobParams extends CopyRule {
  vm: VmRef;
  /** The restore point whose backup queued the job. */
  pointId: string;
}

export interface ObjectCopyJobResult {
  /** Points copied by this job, newest first. */
  pointsCopied: string[];
  /** Points the rule selects that the copy held already. */
  pointsHeld: number;
  chunksSent: number;
  /** Stored bytes uploaded. */
  bytesSent: number;
  /** The VM's points deleted from the copy, their lock there having run out. */
  pointsPruned: string[];
  /** Chunks the copy's garbage collection then removed (0 when none ran or it could not run now). */
  chunksCollected: number;
}

export interface StartObjectCopyOptions {
  runner: JobRunner;
  repository: Repository;
  /** Opens the copy on object storage (creating it the first time); null when the server has none. */
  openCopy: ((signal: AbortSignal) => Promise<Repository>) | null;
  /** The copy rule of the policy of a backup job that succeeded, or null for none. */
  ruleOfBackup: (job: JobRecord) => CopyRule | null;
  logger: Logger;
}

export interface ObjectCopies {
  /**
   * The copy on object storage, opened (and created the first time) when not open yet: restores
   * and exports that the user asks to read from it ('object-copy-not-configured' when the server
   * has none).
   */
  open(signal: AbortSignal): Promise<Repository>;
  /** The copy once open, else null. */
  opened(): Repository | null;
  /** Until when the copy on object storage keeps the point, or null when it holds none (or is not open yet). */
  copyOf(pointId: string): { retainUntil: number } | null;
  /** Queues a copy of the VM's points (what the coordinator does after a backup). */
  enqueue(params: ObjectCopyJobParams): JobRecord;
  stop(): Promise<void>;
}

function parseParams(raw: unknown): ObjectCopyJobParams {
  const p = raw as Partial<ObjectCopyJobParams> | null;
  const count = (v: unknown): v is number => typeof v === 'number' && Number.isInteger(v) && v >= 0;
  if (
    typeof p !== 'object' || p === null || typeof p.pointId !== 'string' || (p.points !== 'all' && p.points !== 'weekly-monthly') ||
    !count(p.immutableDays) || !count(p.weekly) || !count(p.monthly)
  ) {
    throw new LifelineError('validation', 'object-copy job params need vm, pointId, points, immutableDays, weekly and monthly', { field: 'params' });
  }
  return { vm: validateVmRef(p.vm), pointId: p.pointId, points: p.points, immutableDays: p.immutableDays, weekly: p.weekly, monthly: p.monthly };
}

export function startObjectCopy(opts: StartObjectCopyOptions): ObjectCopies {
  const { runner, repository: repo } = opts;
  const log = opts.logger.child({ component: 'object-copy' });
  let opening: Promise<Repository> | undefined;
  let opened: Repository | undefined;
  const shutdown = new AbortController();

  const copyRepo = async (signal: AbortSignal): Promise<Repository> => {
    const open = opts.openCopy;
    if (!open) {
      throw new LifelineError(
        'object-copy-not-configured',
        "the VM's policy asks for copies on object storage, but this Lifeline server has none configured (copyS3 in lifeline.json): its restore points are not copied",
        { transient: false },
      );
    }
    if (!opening) {
      opening = open(shutdown.signal).then((r) => (opened = r));
      // A failed open is tried again by the next job.
      opening.catch(() => (opening = undefined));
    }
    const p = opening;
    return await new Promise<Repository>((resolve, reject) => {
      const onAbort = (): void => reject(signal.reason as Error);
      signal.addEventListener('abort', onAbort, { once: true });
      p.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
    });
  };

  /** The VM's points the rule selects, newest first. */
  const selected = (vmId: string, rule: CopyRule): string[] => {
    const points = repo.listPoints({ vmId });
    if (rule.points === 'all') return points.map((p) => p.id);
    const decisions = planPrune(
      points.map((p) => ({ id: p.id, vmId: p.vmId, createdAt: p.createdAt, retainUntil: 0 })),
      { weekly: rule.weekly, monthly: rule.monthly },
      repo.now(),
    );
    const keep = new Set(decisions.filter((d) => d.mark === 'keep').map((d) => d.id));
    return points.filter((p) => keep.has(p.id)).map((p) => p.id);
  };

  const handler: JobHandler<ObjectCopyJobParams> = {
    lane: OBJECT_COPY_LANE,
    retry: { maxAttempts: 4, baseDelayMs: 60_000, maxDelayMs: 30 * 60_000 },
    timeoutMs: 24 * 3_600_000,
    async run(ctx): Promise<ObjectCopyJobResult> {
      const p = parseParams(ctx.params);
      ctx.phase('open the copy');
      const copy = await copyRepo(ctx.signal);
      const wanted = selected(vmKey(p.vm), p);
      const todo = wanted.filter((id) => copy.catalog.getPoint(id)?.state !== 'committed');
      ctx.phase('copy');
      ctx.log(`copying ${todo.length} restore point${todo.length === 1 ? '' : 's'} of ${p.vm.moref} to object storage (${copy.backend.location}), the newest first; ${wanted.length - todo.length} held there already`);
      let chunksSent = 0;
      let bytesSent = 0;
      const copied: string[] = [];
      for (const pointId of todo) {
        const r = await copyPoint(repo, copy, pointId, {
          signal: ctx.signal,
          minRetainDays: p.immutableDays,
          onChunk: (n) => {
            bytesSent += n;
            ctx.progress(bytesSent, null);
          },
        });
        chunksSent += r.chunksSent;
        copied.push(pointId);
        ctx.log(`${pointId}: copied, ${r.chunksSent} of ${r.chunks} chunks uploaded (${r.bytesSent} bytes), locked until ${new Date(r.retainUntil).toISOString()}`);
      }
      // The copy's own retention: the VM's points whose lock there has run out leave the copy, and
      // the chunks no point references any more go once their own lock has passed.
      ctx.phase('prune');
      let pruned: string[] = [];
      let chunksCollected = 0;
      try {
        const r = await pruneCopy(copy, { vmId: vmKey(p.vm), signal: ctx.signal });
        pruned = r.pointsDeleted;
        chunksCollected = r.gc?.swept ?? 0;
        if (pruned.length > 0) ctx.log(`deleted ${pruned.length} point${pruned.length === 1 ? '' : 's'} from the copy whose lock there had run out (${pruned.join(', ')}); ${chunksCollected} chunks collected, ${r.gc?.keptLocked ?? 0} still locked`);
      } catch (err) {
        // Another copy job's garbage collection is running: this one's turn comes with the next job.
        if (!isStoreError(err, 'repository-busy')) throw err;
        ctx.log(`the copy's garbage collection runs in another job now: ${describeError(err)}`);
      }
      return { pointsCopied: copied, pointsHeld: wanted.length - todo.length, chunksSent, bytesSent, pointsPruned: pruned, chunksCollected };
    },
  };
  runner.register(OBJECT_COPY_JOB_KIND, handler as JobHandler);
  // Opened at start, so that the points the copy holds show before the next copy job runs.
  if (opts.openCopy) {
    copyRepo(shutdown.signal).catch((err: unknown) => {
      if (!shutdown.signal.aborted) log.warn('the copy on object storage cannot be opened now; the next copy job tries again', { err: describeError(err) });
    });
  }

  const enqueue = (params: ObjectCopyJobParams): JobRecord =>
    runner.submit<ObjectCopyJobParams>({ kind: OBJECT_COPY_JOB_KIND, target: vmTarget(params.vm), params, requestedBy: 'object-copy' }).job;

  /** Copies that found their VM busy with another copy, queued when that job ends. */
  const deferred = new Map<string, ObjectCopyJobParams>();
  const tryEnqueue = (params: ObjectCopyJobParams): void => {
    try {
      enqueue(params);
      deferred.delete(vmKey(params.vm));
    } catch (err) {
      if (err instanceof LifelineError && err.code === 'busy') deferred.set(vmKey(params.vm), params);
      else log.error('could not queue a copy to object storage', { vm: vmKey(params.vm), err: describeError(err) });
    }
  };
  const unsubscribe = runner.subscribe((ev) => {
    if (ev.type !== 'state' || ev.job.target.type !== 'VirtualMachine') return;
    const job = ev.job;
    if (job.state !== 'succeeded' && job.state !== 'failed' && job.state !== 'cancelled') return;
    // Outside the runner's own publishing: submitting publishes too.
    setImmediate(() => {
      if (job.kind === 'backup' && job.state === 'succeeded') {
        let rule: CopyRule | null = null;
        try {
          rule = opts.ruleOfBackup(job);
        } catch (err) {
          log.warn('the policy of a finished backup could not be read; its point is not copied to object storage', { jobId: job.id, err: describeError(err) });
        }
        const result = job.result as { pointId?: unknown } | null;
        if (rule !== null && typeof result?.pointId === 'string') {
          tryEnqueue({ vm: { vcenterGuid: job.target.vcenterGuid ?? '', moref: job.target.id }, pointId: result.pointId, ...rule });
        }
        return;
      }
      const waiting = deferred.get(`${job.target.vcenterGuid ?? ''}:${job.target.id}`);
      if (waiting) tryEnqueue(waiting);
    });
  });

  return {
    enqueue,
    open: copyRepo,
    opened: () => opened ?? null,
    copyOf(pointId) {
      const row = opened?.catalog.getPoint(pointId);
      return row?.state === 'committed' ? { retainUntil: row.retainUntil } : null;
    },
    async stop() {
      unsubscribe();
      shutdown.abort();
      const r = await opening?.catch(() => undefined);
      await r?.close();
    },
  };
}
