/**
 * Failback, the DR site's (B's) part: a VM failed over to this site goes back to its source site
 * (A) as a planned migration in the other direction (docs/dr.md, "Failback"). A `failback` job at B
 *
 * 1. shuts the recovered VM down through VMware Tools, waits up to the user's timeout, then powers
 *    it off;
 * 2. backs it up a last time **into this site's replica of A's repository**, as a point of A's
 *    original VM (A's VM id, A's disk numbers): the replica holds A's keys, so the chunk ids are
 *    those A's own store uses;
 * 3. replicates that point back to A over the site link (reverse replication): A answers which
 *    chunks it lacks, and only those cross — after a short outage, the blocks written at B;
 * 4. asks A to recover exactly that point onto the original VM (its disks replaced, its identity
 *    and moref kept) or as a new VM, and waits for A's job (failback-source.ts);
 * 5. marks the failover failed back; the VM here stays powered off.
 *
 * A is asked first whether it would take the failback (reachable, the VM known, a name free): when
 * it cannot be reached or refuses, the request is refused and nothing is touched. A failure after
 * the shutdown powers the VM here on again when it ran; A rolls back its own part (a revert and a
 * new instance undo themselves), so a failed failback leaves the VM running here. Once A was asked
 * to recover the point, a cancel takes no effect (it cannot stop A's job): A's job is followed to
 * its end.
 *
 * Each step is recorded in the failover before it is taken. A failback Lifeline stopped under
 * (killed, or stopped: a stop does not settle it half-way) is settled by a job the next start
 * queues (resumeInterrupted, resume): rolled back before A was asked to recover the point,
 * followed to the end of A's job after.
 */
import { describeError, isLifelineError, LifelineError, NotFoundError, ValidationError } from '../errors/index.js';
import { ignoringCancel, sleep, type JobContext, type JobHandler, type JobRecord, type JobRunner, type LogLevel, type SubmitResult } from '../jobs/index.js';
import type { Clock } from '../domain/index.js';
import type { Repository } from '../store/index.js';
import type { DrStore, FailbackPart, FailoverRecord } from './dr-store.js';
import type { DrVcenter } from './dr-vcenter.js';
import { failoverTarget } from './dr-service.js';
import { needsOf } from './mappings.js';

export const FAILBACK_JOB_KIND = 'failback';
/** After each backup of a failed-over VM at this site, its point goes back to the source site ahead of the failback. */
export const REVERSE_REPLICATION_JOB_KIND = 'reverse-replication';

/** Where A recovers the point: the original VM (disks replaced, moref kept) or a new VM. */
export type FailbackTarget = 'original' | 'new';

/** What B asks of A (checked by A at the request, acted on once the point is there). */
export interface FailbackAsk {
  vmId: string;
  target: FailbackTarget;
  /** The new VM's name (target `new`). */
  name: string | null;
  powerOn: boolean;
  /** Target `new`: this site's network names → A's, and A's datastore for the VM (the pairing's mappings reversed). */
  networks: Record<string, string>;
  datastore: string | null;
}

/** A's answer about its failback job (failback-source.ts, FailbackSourceStatus). */
export interface SourceFailbackStatus {
  jobId: string;
  state: string;
  phase: string | null;
  error: { code: string; message: string } | null;
  result: { vm: { moref: string; name: string }; target: FailbackTarget; pointId: string } | null;
}

/** What a failback asks of the site link to A; the composition root makes it. Unreachable: 'site-unreachable'. */
export interface FailbackLink {
  /** A checks the request and changes nothing. */
  check(peerId: string, ask: FailbackAsk, signal: AbortSignal): Promise<void>;
  /** Sends a point of this site's replica of A's repository back to A; the chunks A lacked only. */
  sendBack(peerId: string, replica: Repository, pointId: string, signal: AbortSignal): Promise<{ chunks: number; chunksSent: number; bytesSent: number }>;
  /**
   * A recovers the point; its job id. 'dr-failback-refused' when A answered that it will not (it
   * queued no job, so it recovers nothing); any other failure leaves open whether A's job runs.
   */
  start(peerId: string, ask: FailbackAsk & { pointId: string }, signal: AbortSignal): Promise<{ jobId: string }>;
  status(peerId: string, jobId: string, signal: AbortSignal): Promise<SourceFailbackStatus>;
}

/** The last backup of the recovered VM into the replica, as a point of A's VM (protection's pipeline, wired in server/). */
export type FailbackBackup = (o: {
  jobId: string;
  vcenterGuid: string;
  moref: string;
  replica: Repository;
  /** A's VM id, and A's disk number for each of this VM's disks (by its device key). */
  vmId: string;
  diskKeys: ReadonlyMap<number, number>;
  /** How the VM came to be off: through VMware Tools (guest), powered off by the failback, or off already. */
  shutdown: 'guest' | 'powered-off' | 'was-off';
  signal: AbortSignal;
  log(message: string, level?: LogLevel): void;
}) => Promise<{ pointId: string; bytesRead: number; newStoredBytes: number; consistency: 'application' | 'crash' }>;

/** Removes the snapshot a failback's last backup (job `jobId`) may have left on the VM; the snapshots removed. */
export type FailbackSnapshotDrop = (o: { vcenterGuid: string; moref: string; jobId: string; signal: AbortSignal }) => Promise<string[]>;

export interface FailbackVcenter extends DrVcenter {
  shutdownGuest(vm: string, signal?: AbortSignal): Promise<void>;
}

export interface FailbackOptions {
  readonly target: FailbackTarget;
  readonly name: string | null;
  readonly powerOn: boolean;
  readonly shutdownTimeoutSeconds: number;
}

export interface FailbackDeps {
  readonly store: DrStore;
  readonly runner: Pick<JobRunner, 'submit' | 'activeForTarget' | 'register' | 'subscribe' | 'find'>;
  readonly clock: Clock;
  vcenter(guid: string, signal: AbortSignal): Promise<FailbackVcenter>;
  replica(peerId: string, signal: AbortSignal): Promise<Repository | undefined>;
  readonly link: FailbackLink;
  readonly backup: FailbackBackup;
  readonly dropBackupSnapshot: FailbackSnapshotDrop;
  /** How often the VM's power state and A's job are looked at. Default 1 s. */
  readonly pollMs?: number;
}

export interface FailbackParams {
  failoverId: string;
  /** Set on the job a start queues for a failback Lifeline stopped under (resumeInterrupted). */
  resume?: boolean;
}

const iso = (ms: number): string => new Date(ms).toISOString();

/**
 * The job's signal without the user's cancel: aborted by a stop of Lifeline or the job's time
 * limit only. Once the source site was asked to recover the point, a cancel cannot stop its job;
 * the failback follows that job to its end, so that its record says where the VM runs.
 */
function withoutCancel(ctx: Pick<JobContext<unknown>, 'signal' | 'stopSignal' | 'log'>, why: string): AbortSignal {
  // A stop of Lifeline (or the time limit) still ends the waiting, also after a cancel.
  return ignoringCancel(ctx, () => ctx.log(`the cancel takes no effect: ${why}, which a cancel here does not stop; the failback follows it to its end`, 'warn'));
}

/** Whether Lifeline is stopping under the job (also after a cancel it ignored). */
const stopping = (ctx: Pick<JobContext<unknown>, 'stopSignal'>): boolean => ctx.stopSignal.aborted && isLifelineError(ctx.stopSignal.reason) && ctx.stopSignal.reason.code === 'shutdown';

/** A failback's options, checked before anything is asked of the source site. */
export function checkFailbackOptions(opts: FailbackOptions): void {
  if (opts.target !== 'original' && opts.target !== 'new') throw new ValidationError('target must be original (the source site\'s VM, its disks replaced) or new (a new VM at the source site)', { field: 'target' });
  if (!Number.isSafeInteger(opts.shutdownTimeoutSeconds) || opts.shutdownTimeoutSeconds < 0 || opts.shutdownTimeoutSeconds > 3600) {
    throw new ValidationError('shutdownTimeoutSeconds must be a whole number of seconds from 0 to 3600', { field: 'shutdownTimeoutSeconds' });
  }
  if (opts.target === 'new' && (opts.name === null || opts.name.trim() === '')) throw new ValidationError('a failback to a new VM needs its name', { field: 'name' });
  if (opts.target === 'original' && opts.name !== null) throw new ValidationError('name is for target new only: the original VM keeps its name', { field: 'name' });
}

interface ReverseParams {
  failoverId: string;
  pointId: string;
}

export class FailbackService {
  readonly stop: () => void;

  constructor(private readonly d: FailbackDeps) {
    d.runner.register(FAILBACK_JOB_KIND, this.handler() as JobHandler);
    d.runner.register(REVERSE_REPLICATION_JOB_KIND, this.reverseHandler() as JobHandler);
    // A backup of a failed-over VM (its policy at this site) lands in the replica: it goes back to the source now.
    this.stop = d.runner.subscribe((ev) => {
      if (ev.type === 'state' && ev.job.kind === FAILBACK_JOB_KIND) this.endedUnsettled(ev.job);
      if (ev.type !== 'state' || ev.job.kind !== 'backup' || ev.job.state !== 'succeeded' || ev.job.target.type !== 'VirtualMachine') return;
      const job = ev.job;
      const pointId = (job.result as { pointId?: unknown } | null)?.pointId;
      const rec = this.failedOverAt(job.target.vcenterGuid ?? '', job.target.id);
      if (!rec || typeof pointId !== 'string') return;
      setImmediate(() => {
        try {
          d.runner.submit<ReverseParams>({ kind: REVERSE_REPLICATION_JOB_KIND, target: { type: 'ReverseReplication', id: rec.sourceVm.id, vcenterGuid: null }, params: { failoverId: rec.id, pointId }, priority: 60, requestedBy: `backup job ${job.id}` });
        } catch {
          // Busy with an earlier point: the next backup's point, or the failback, sends this one's chunks too.
        }
      });
    });
  }

  /**
   * A `failback` job that ended (not by a stop of Lifeline) with its failback still recorded
   * running never ran it (cancelled while queued): the failback is marked failed, so that the VM
   * may be failed back again without waiting for a restart. A job that ran marks its own end; a
   * settling job after a restart leaves the record for the next start when it cannot settle it.
   */
  private endedUnsettled(job: JobRecord): void {
    if (!['succeeded', 'failed', 'cancelled'].includes(job.state)) return;
    const p = job.params as Partial<FailbackParams> | null;
    if (typeof p?.failoverId !== 'string' || p.resume === true) return;
    const fb = this.d.store.findFailover(p.failoverId)?.failback;
    if (fb?.state !== 'running' || fb.jobId !== job.id) return;
    this.markFailed(p.failoverId, `not started: its job ${job.id} ended ${job.state} before it ran; the VM runs at this site as before`);
  }

  /** The failover (up, not a drill, not failed back) whose VM at this site is `moref` of vCenter `guid`. */
  private failedOverAt(guid: string, moref: string): FailoverRecord | undefined {
    return this.d.store.listFailovers().find((r) => r.mode !== 'test' && r.state === 'up' && r.vm?.moref === moref && r.vcenterGuid === guid && r.failback?.state !== 'done');
  }

  /**
   * Where a backup of a VM at this site goes: for a VM failed over here, the replica of its source
   * site's repository, as a point of the source's VM with the source's disk numbers (null: the
   * site's own repository).
   */
  async destinationOf(vm: { vcenterGuid: string; moref: string }, signal: AbortSignal): Promise<{ repository: Repository; storeAs: { vmId: string; diskKey(disk: { key: number }): number }; note: string } | null> {
    const rec = this.failedOverAt(vm.vcenterGuid, vm.moref);
    if (!rec) return null;
    const replica = await this.d.replica(rec.peerId, signal);
    if (!replica) return null;
    const keys = await this.diskKeys(rec, replica, signal);
    return {
      repository: replica,
      storeAs: { vmId: rec.sourceVm.id, diskKey: (d) => keys.get(d.key) ?? d.key },
      note: `${rec.name} was failed over from site ${rec.siteName}: its point is kept in this site's replica of ${rec.siteName}'s repository as a point of ${rec.sourceVm.name}, and sent back to ${rec.siteName} (only the chunks it lacks) once made`,
    };
  }

  /**
   * The scheduler's view of a failed-over VM's points: they are in the replica under the source
   * VM's id, so its newest there stands in for the none `own` found in this site's repository.
   */
  async lastGoodPoints(own: ReadonlyMap<string, number | null>, vms: ReadonlyArray<{ vcenterGuid: string; moref: string }>, signal: AbortSignal): Promise<ReadonlyMap<string, number | null>> {
    const out = new Map(own);
    // One read of the failovers for the whole question (the scheduler asks about every protected VM).
    const up = new Map(this.d.store.listFailovers().filter((r) => r.mode !== 'test' && r.state === 'up' && r.vm !== null && r.failback?.state !== 'done').map((r) => [`${r.vcenterGuid}:${r.vm!.moref}`, r]));
    if (up.size === 0) return out;
    for (const vm of vms) {
      const rec = up.get(`${vm.vcenterGuid}:${vm.moref}`);
      if (!rec) continue;
      const replica = await this.d.replica(rec.peerId, signal);
      const newest = replica?.listPoints({ vmId: rec.sourceVm.id, limit: 1 })[0];
      if (newest) out.set(`${vm.vcenterGuid}:${vm.moref}`, newest.createdAt);
    }
    return out;
  }

  /** A's disk number for each disk of the VM here: the failover made them in the order of the point's. */
  private async diskKeys(rec: FailoverRecord, replica: Repository, signal: AbortSignal): Promise<Map<number, number>> {
    const original = await replica.readManifest(rec.pointId, signal);
    const vm = await (await this.d.vcenter(rec.vcenterGuid, signal)).getVm(rec.vm!.moref, signal);
    const aDisks = [...original.disks].sort((x, y) => x.disk - y.disk).map((x) => x.disk);
    const bDisks = [...vm.disks].sort((x, y) => (x.controllerKey - y.controllerKey) || ((x.unitNumber ?? 0) - (y.unitNumber ?? 0)));
    if (bDisks.length !== aDisks.length) throw new LifelineError('conflict', `${rec.name} has ${bDisks.length} disks here and the point it was recovered from ${aDisks.length}: a failback replaces disk for disk and cannot map them`, { failoverId: rec.id });
    return new Map(bDisks.map((x, i) => [x.key, aDisks[i]!]));
  }

  private reverseHandler(): JobHandler<ReverseParams> {
    return {
      retry: { maxAttempts: 4, baseDelayMs: 60_000, maxDelayMs: 30 * 60_000 },
      timeoutMs: 24 * 3_600_000,
      run: async (ctx) => {
        const p = ctx.params as Partial<ReverseParams> | null;
        if (typeof p?.failoverId !== 'string' || typeof p.pointId !== 'string') throw new ValidationError('reverse-replication job params need failoverId and pointId', { field: 'params' });
        const rec = this.d.store.getFailover(p.failoverId);
        const replica = await this.d.replica(rec.peerId, ctx.signal);
        if (!replica) throw new NotFoundError(`this site holds no replica of site ${rec.siteName} any more`, { siteId: rec.peerId });
        ctx.phase('replicate');
        const sent = await this.d.link.sendBack(rec.peerId, replica, p.pointId, ctx.signal);
        ctx.log(`restore point ${p.pointId} of ${rec.sourceVm.name} is at site ${rec.siteName}: ${sent.chunksSent} of its ${sent.chunks} chunks sent (${sent.bytesSent} bytes)`);
        return { failoverId: rec.id, pointId: p.pointId, ...sent };
      },
    };
  }

  /** The VM's failover that a failback would send back: the newest one up, not a drill. */
  failoverOf(peerId: string, vmId: string): FailoverRecord {
    const rec = this.d.store.listFailovers().find((r) => r.peerId === peerId && r.sourceVm.id === vmId && r.mode !== 'test' && r.state === 'up' && r.vm !== null && r.failback?.state !== 'done');
    if (!rec) throw new NotFoundError(`VM ${vmId} is not failed over to this site (no failover of it is up here that was not failed back already): there is nothing to fail back`, { vmId });
    return rec;
  }

  /**
   * Checks a failback now — the failover is up and not failed back, A is reachable and takes it —
   * records it in the failover and queues the job. Nothing is touched when any check fails.
   *
   * The VM is claimed with no `await` between the last check and the record: the checks are
   * repeated once A has answered, so that of two requests for one VM (two of its own, or one and
   * its recovery plan's) exactly one records a failback and the other is refused 'busy'.
   */
  async failback(peerId: string, vmId: string, opts: FailbackOptions, requestedBy: string, signal: AbortSignal): Promise<SubmitResult & { failover: FailoverRecord }> {
    checkFailbackOptions(opts);
    const target = failoverTarget(peerId, vmId);
    const asked = this.claimable(peerId, vmId);
    await this.checkWithSource(asked, opts, signal);
    const rec = this.claimable(peerId, vmId);
    if (rec.id !== asked.id) throw new LifelineError('busy', `VM ${vmId} was failed over again while site ${rec.siteName} was asked about it; ask again`, { failoverId: rec.id });
    const previous = rec.failback ?? null;
    this.record(rec.id, opts, requestedBy, null);
    let r: SubmitResult;
    try {
      r = this.d.runner.submit<FailbackParams>({ kind: FAILBACK_JOB_KIND, target, params: { failoverId: rec.id }, priority: 30, requestedBy });
    } catch (err) {
      // No job will run it: the claim is given back (the failover as it was).
      this.d.store.updateFailover(rec.id, (x) => ({ ...x, failback: previous }));
      throw err;
    }
    return { ...r, failover: this.d.store.updateFailover(rec.id, (x) => ({ ...x, failback: { ...x.failback!, jobId: r.job.id } })) };
  }

  /**
   * The VM's failover when its failback may be claimed now; else 'busy' naming the holder: a job
   * of the VM (its failover, its failback), or a failback recorded running (its recovery plan's
   * job, or one a stop cut and the start has not settled yet). Synchronous, so that a caller can
   * check and record with nothing in between.
   */
  claimable(peerId: string, vmId: string): FailoverRecord {
    const active = this.d.runner.activeForTarget(failoverTarget(peerId, vmId));
    if (active) throw new LifelineError('busy', `a failover or failback of VM ${vmId} is under way (job ${active.id})`, { jobId: active.id });
    const rec = this.failoverOf(peerId, vmId);
    if (rec.failback?.state === 'running') {
      // A recovery plan's failback (plan-failback.ts) holds its VMs through its own job.
      const holder = rec.failback.jobId !== null ? this.d.runner.find(rec.failback.jobId) : undefined;
      if (holder && holder.kind !== FAILBACK_JOB_KIND && !['succeeded', 'failed', 'cancelled', 'interrupted'].includes(holder.state)) {
        throw new LifelineError('busy', `VM ${vmId} is being failed back by its recovery plan (job ${holder.id})`, { jobId: holder.id });
      }
      // Its job ended under a stop of Lifeline and the start has not settled it yet (resumeInterrupted).
      throw new LifelineError('busy', `the failback of ${rec.name} asked for at ${rec.failback.startedAt} is not settled yet (job ${rec.failback.jobId ?? 'unknown'}, step ${rec.failback.step ?? 'none'})`, { jobId: rec.failback.jobId });
    }
    return rec;
  }

  /** Asks A whether it would take the failback of `rec` (changes nothing); its refusal or absence as the request's error. */
  async checkWithSource(rec: FailoverRecord, opts: FailbackOptions, signal: AbortSignal): Promise<void> {
    const ask = await this.askOf(rec, opts, signal);
    try {
      await this.d.link.check(rec.peerId, ask, signal);
    } catch (err) {
      if (err instanceof LifelineError && err.code === 'site-unreachable') {
        throw new LifelineError('dr-source-unreachable', `site ${rec.siteName} cannot be reached (${err.message}), and a failback needs it to take the VM back. Nothing was changed: ${rec.name} goes on running at this site`, { siteId: rec.peerId, vmId: rec.sourceVm.id });
      }
      throw new LifelineError('dr-failback-refused', `site ${rec.siteName} refused the failback: ${describeError(err)}. Nothing was changed`, { siteId: rec.peerId, vmId: rec.sourceVm.id });
    }
  }

  /** Records a failback asked for in the failover's record (state running), run by `jobId` (set later when null). */
  record(failoverId: string, opts: FailbackOptions, requestedBy: string, jobId: string | null): FailoverRecord {
    const part: FailbackPart = { state: 'running', target: opts.target, name: opts.name, powerOn: opts.powerOn, shutdownTimeoutSeconds: opts.shutdownTimeoutSeconds, jobId, shutdown: null, pointId: null, chunks: null, chunksSent: null, bytesSent: null, sourceJobId: null, sourceVm: null, failures: [], requestedBy, startedAt: iso(this.d.clock.now()), endedAt: null, step: null, wasOn: null, backupJobId: null, consistency: null };
    return this.d.store.updateFailover(failoverId, (r) => ({ ...r, failback: part }));
  }

  /** The `failback` job's work for one failover, as a step of another job (a recovery plan's failback, plan-failback.ts). */
  runStep(ctx: JobContext<FailbackParams>): Promise<unknown> {
    return this.handler().run(ctx);
  }

  /** Marks the failback recorded in failover `failoverId` failed, `failure` added to its failures, ended now. */
  markFailed(failoverId: string, failure: string): FailoverRecord {
    return this.d.store.updateFailover(failoverId, (r) => ({ ...r, failback: { ...r.failback!, state: 'failed', failures: [...r.failback!.failures, failure], endedAt: iso(this.d.clock.now()) } }));
  }

  /** A's side of the request: the VM, and for a new VM the pairing's mappings reversed. */
  private async askOf(rec: FailoverRecord, opts: FailbackOptions, signal: AbortSignal): Promise<FailbackAsk> {
    const networks = Object.fromEntries(Object.entries(rec.request.networks).map(([a, b]) => [b, a]));
    let datastore: string | null = null;
    const repo = await this.d.replica(rec.peerId, signal);
    if (repo) {
      try {
        datastore = needsOf((await repo.readManifest(rec.pointId, signal)).vm.config).datastore;
      } catch {
        datastore = null;
      }
    }
    return { vmId: rec.sourceVm.id, target: opts.target, name: opts.name, powerOn: opts.powerOn, networks, datastore };
  }

  /**
   * At start, after the job runner marked the last process's jobs interrupted: each failback still
   * `running` whose job is no longer queued or running (Lifeline stopped under it) gets a job that
   * settles it from the step it recorded (see the handler). Returns the jobs queued.
   */
  resumeInterrupted(): string[] {
    const out: string[] = [];
    for (const rec of this.d.store.listFailovers()) {
      const fb = rec.failback;
      if (!fb || fb.state !== 'running') continue;
      const job = fb.jobId ? this.d.runner.find(fb.jobId) : undefined;
      if (job && (job.state === 'queued' || job.state === 'running')) continue;
      try {
        const r = this.d.runner.submit<FailbackParams>({ kind: FAILBACK_JOB_KIND, target: failoverTarget(rec.peerId, rec.sourceVm.id), params: { failoverId: rec.id, resume: true }, priority: 30, requestedBy: `restart of Lifeline (failback job ${fb.jobId ?? 'unknown'} was interrupted)` });
        this.d.store.updateFailover(rec.id, (x) => ({ ...x, failback: { ...x.failback!, jobId: r.job.id } }));
        out.push(r.job.id);
      } catch {
        // The target is busy with another job of the VM: the next start looks again.
      }
    }
    return out;
  }

  /**
   * Powers this site's VM on again when the failback found it running; says what it did, for the
   * record. A failback stopped while its guest may be shutting down (asked through VMware Tools,
   * the wait cut short): the guest goes on with it, so the VM is watched for up to `settleMs` and
   * powered on once it is off, rather than found still running, left, and then going off by itself.
   */
  private async powerOnAgain(vc: FailbackVcenter, rec: FailoverRecord, wasOn: boolean | null | undefined, settleMs = 0): Promise<string> {
    if (!wasOn) return '';
    try {
      const cleanup = AbortSignal.timeout(5 * 60_000 + settleMs);
      const until = this.d.clock.now() + settleMs;
      let state = (await vc.getVm(rec.vm!.moref, cleanup)).powerState;
      while (state !== 'poweredOff' && this.d.clock.now() < until) {
        await sleep(this.d.clock, Math.min(this.d.pollMs ?? 1000, Math.max(0, until - this.d.clock.now())), cleanup);
        state = (await vc.getVm(rec.vm!.moref, cleanup)).powerState;
      }
      if (state !== 'poweredOff') return `; ${rec.name} still runs at this site`;
      await vc.powerOn(rec.vm!.moref, { signal: cleanup });
      return `; ${rec.name} was powered on again at this site`;
    } catch (e) {
      return `; ${rec.name} could not be powered on again here (${describeError(e)})`;
    }
  }

  /** Waits for A's failback-recovery job to end; throws when it did not succeed. */
  private async followSource(ctx: JobContext<FailbackParams>, rec: FailoverRecord, jobId: string, signal: AbortSignal): Promise<NonNullable<SourceFailbackStatus['result']>> {
    const pollMs = this.d.pollMs ?? 1000;
    let status: SourceFailbackStatus | undefined;
    let failures = 0;
    let lastPhase: string | null = null;
    for (;;) {
      try {
        status = await this.d.link.status(rec.peerId, jobId, signal);
        failures = 0;
      } catch (err) {
        if (signal.aborted) throw err;
        if (++failures >= 60) throw new LifelineError('site-unreachable', `site ${rec.siteName} stopped answering while recovering the point (${describeError(err)}); its job ${jobId} may go on there`, { siteId: rec.peerId });
        ctx.log(`site ${rec.siteName} did not answer (${describeError(err)}); asking again`, 'warn');
      }
      if (status && status.phase !== lastPhase) {
        lastPhase = status.phase;
        ctx.log(`site ${rec.siteName}: ${status.phase ?? status.state}`);
      }
      if (status && status.state !== 'queued' && status.state !== 'running') break;
      await sleep(ctx.clock, pollMs, signal);
    }
    if (status.state !== 'succeeded' || !status.result) {
      throw new LifelineError('dr-failback-source-failed', `site ${rec.siteName} could not recover the point (${status.error?.code ?? status.state}): ${status.error?.message ?? `its job ended ${status.state}`}`, { failoverId: rec.id, jobId });
    }
    return status.result;
  }

  private handler(): JobHandler<FailbackParams> {
    const d = this.d;
    const pollMs = d.pollMs ?? 1000;
    return {
      // What it did (the VM shut down, a point made) is settled by the failure path; another try is the user's.
      retry: { maxAttempts: 1 },
      timeoutMs: 24 * 3_600_000,
      run: async (ctx) => {
        const params = ctx.params as Partial<FailbackParams> | null;
        const failoverId = params?.failoverId;
        if (typeof failoverId !== 'string') throw new ValidationError('failback job params need failoverId', { field: 'params' });
        const rec = d.store.getFailover(failoverId);
        if (!rec.vm || !rec.failback) throw new LifelineError('conflict', `failover ${failoverId} has no failback to run`, { failoverId });
        if (params?.resume === true) return this.resume(ctx as JobContext<FailbackParams>, rec);
        const fb = rec.failback;
        const update = (change: (p: FailbackPart) => FailbackPart): FailoverRecord => d.store.updateFailover(failoverId, (r) => ({ ...r, failback: change(r.failback!) }));
        const moref = rec.vm.moref;
        let vc: FailbackVcenter;
        try {
          vc = await d.vcenter(rec.vcenterGuid, ctx.signal);
        } catch (err) {
          // Nothing was touched yet; a stop leaves the record for the next start to settle (resume()).
          if (!stopping(ctx)) {
            this.markFailed(failoverId, `${describeError(err)}; nothing was changed`);
          }
          throw err;
        }
        const powerState = async (): Promise<string> => (await vc.getVm(moref, ctx.signal)).powerState;
        let wasOn = false;
        // From the moment the guest may have been asked to shut down until its wait ended: a
        // roll-back then waits for it to be down before powering the VM on again.
        let shutdownPending = false;
        try {
          // ---- 1. shut the VM down here ----
          // Each step is recorded before it is taken: a start after a crash settles the failback from it (resume()).
          ctx.phase('shutdown');
          update((p) => ({ ...p, step: 'shutdown' }));
          let shutdown: 'guest' | 'powered-off' | 'was-off' = 'was-off';
          wasOn = (await powerState()) !== 'poweredOff';
          update((p) => ({ ...p, wasOn }));
          if (wasOn) {
            shutdown = 'powered-off';
            let asked = false;
            if (fb.shutdownTimeoutSeconds > 0) {
              try {
                shutdownPending = true;
                await vc.shutdownGuest(moref, ctx.signal);
                asked = true;
                ctx.log(`asked the guest of ${rec.name} to shut down through VMware Tools; waiting up to ${fb.shutdownTimeoutSeconds} s`);
              } catch (err) {
                if (ctx.signal.aborted) throw err;
                shutdownPending = false;
                ctx.log(`the guest could not be asked to shut down (${describeError(err)}); powering the VM off`, 'warn');
              }
            }
            if (asked) {
              const until = ctx.clock.now() + fb.shutdownTimeoutSeconds * 1000;
              while ((await powerState()) !== 'poweredOff' && ctx.clock.now() < until) await sleep(ctx.clock, Math.min(pollMs, Math.max(0, until - ctx.clock.now())), ctx.signal);
              shutdownPending = false;
              if ((await powerState()) === 'poweredOff') shutdown = 'guest';
              else ctx.log(`the guest did not shut down within ${fb.shutdownTimeoutSeconds} s; powering the VM off`, 'warn');
            }
            // Not cut short by a cancel: vCenter would finish it, unknown to the roll-back that powers the VM on again.
            if (shutdown !== 'guest') await vc.powerOff(moref, { signal: AbortSignal.timeout(5 * 60_000) });
          }
          update((p) => ({ ...p, shutdown }));
          ctx.log(shutdown === 'guest' ? 'the guest shut down' : shutdown === 'was-off' ? 'the VM was powered off already' : 'the VM was powered off');

          // ---- 2. the last backup, into the replica of A's repository, as a point of A's VM ----
          ctx.phase('backup');
          update((p) => ({ ...p, step: 'backup', backupJobId: ctx.jobId }));
          const replica = await d.replica(rec.peerId, ctx.signal);
          if (!replica) throw new NotFoundError(`this site holds no replica of site ${rec.siteName} any more`, { siteId: rec.peerId });
          const diskKeys = await this.diskKeys(rec, replica, ctx.signal);
          const made = await d.backup({ jobId: ctx.jobId, vcenterGuid: rec.vcenterGuid, moref, replica, vmId: rec.sourceVm.id, diskKeys, shutdown, signal: ctx.signal, log: (m, l) => ctx.log(m, l) });
          update((p) => ({ ...p, pointId: made.pointId, consistency: made.consistency }));
          ctx.log(`last backup: restore point ${made.pointId} of ${rec.sourceVm.name} (${made.consistency === 'application' ? 'application-consistent' : 'crash-consistent'}), kept in the replica of site ${rec.siteName}'s repository (${made.bytesRead} bytes read, ${made.newStoredBytes} new bytes stored)`);

          // ---- 3. reverse replication: only the chunks A lacks ----
          ctx.phase('replicate');
          update((p) => ({ ...p, step: 'replicate' }));
          const sent = await d.link.sendBack(rec.peerId, replica, made.pointId, ctx.signal);
          update((p) => ({ ...p, chunks: sent.chunks, chunksSent: sent.chunksSent, bytesSent: sent.bytesSent }));
          ctx.log(`restore point ${made.pointId} is at site ${rec.siteName}: ${sent.chunksSent} of its ${sent.chunks} chunks sent (${sent.bytesSent} bytes), the others were there`);

          // ---- 4. A recovers exactly that point ----
          ctx.phase('source-site');
          const ask = await this.askOf(rec, { target: fb.target, name: fb.name, powerOn: fb.powerOn, shutdownTimeoutSeconds: fb.shutdownTimeoutSeconds }, ctx.signal);
          // From here on A may be making the point its own: a crash is followed through, not rolled
          // back, and a cancel, which cannot stop A's job, no longer stops the failback either.
          update((p) => ({ ...p, step: 'source-site' }));
          const following = withoutCancel(ctx, `site ${rec.siteName} was asked to recover the point`);
          const { jobId } = await d.link.start(rec.peerId, { ...ask, pointId: made.pointId }, following);
          update((p) => ({ ...p, sourceJobId: jobId }));
          ctx.log(`site ${rec.siteName} recovers the point ${fb.target === 'original' ? 'onto the original VM' : `as the new VM ${fb.name ?? ''}`} (its job ${jobId})`);
          const result = await this.followSource(ctx as JobContext<FailbackParams>, rec, jobId, following);

          // ---- 5. done: the VM here stays off, marked failed back ----
          update((p) => ({ ...p, state: 'done', sourceVm: result.vm, endedAt: iso(d.clock.now()) }));
          ctx.log(`${rec.sourceVm.name} runs at site ${rec.siteName} again (${result.vm.moref}); ${rec.name} stays powered off here, marked failed back`);
          return { failoverId, pointId: made.pointId, chunks: sent.chunks, chunksSent: sent.chunksSent, bytesSent: sent.bytesSent, shutdown, consistency: made.consistency, target: result.target, sourceVm: result.vm };
        } catch (err) {
          // Lifeline is stopping: the failback stays `running` at its recorded step, and the next start settles it (resume()).
          if (stopping(ctx)) throw err;
          const message = `${describeError(err)}`;
          // The VM was running here: it runs again, unless A may still be making it its own. Once A
          // was asked, only A's refusal (it queued no job) or A's job failing (A undid its part) says
          // so; A unreachable, or an answer lost, may leave its job going on there, and the VM must
          // not run at both sites.
          const sourceAsked = d.store.getFailover(failoverId).failback?.step === 'source-site';
          const sourceFailed = err instanceof LifelineError && (err.code === 'dr-failback-source-failed' || err.code === 'dr-failback-refused');
          const after = sourceAsked && !sourceFailed
            ? `; ${rec.name} is left powered off here, as site ${rec.siteName} may still be recovering the point: look there before powering it on here or asking again`
            : await this.powerOnAgain(vc, rec, wasOn, shutdownPending ? fb.shutdownTimeoutSeconds * 1000 : 0);
          this.markFailed(failoverId, `${message}${after}`);
          if (err instanceof LifelineError) throw new LifelineError(err.code, `${err.message}${after}`, err.details);
          throw err;
        }
      },
    };
  }

  /**
   * Settles a failback that Lifeline stopped under, from the step it recorded:
   * - before A was asked to recover the point (`shutdown`, `backup`, `replicate`) it is rolled
   *   back — the last backup's snapshot removed, the VM here powered on again when it ran — and
   *   the job fails with 'dr-failback-interrupted': A's VM was not touched (a point already sent
   *   back stays among its points), and the user may ask again;
   * - from `source-site` on, A may be replacing its VM's disks: A's job is followed to its end (asked
   *   for again when its id was not recorded; A answers with the job it has for that point), and the
   *   failback ends done or, when A's job failed (A undid its part), failed with the VM here on again.
   */
  private async resume(ctx: JobContext<FailbackParams>, rec: FailoverRecord): Promise<unknown> {
    const d = this.d;
    const fb = rec.failback!;
    const failoverId = rec.id;
    const update = (change: (p: FailbackPart) => FailbackPart): FailoverRecord => d.store.updateFailover(failoverId, (r) => ({ ...r, failback: change(r.failback!) }));
    if (fb.state !== 'running') {
      ctx.log(`the failback of ${rec.name} is ${fb.state} already; nothing to settle`);
      return { failoverId, state: fb.state };
    }
    const step = fb.step ?? 'shutdown';
    ctx.log(`Lifeline stopped while the failback of ${rec.name} was at step ${step}; settling it`, 'warn');
    let vc: FailbackVcenter;
    try {
      vc = await d.vcenter(rec.vcenterGuid, ctx.signal);
    } catch (err) {
      if (stopping(ctx)) throw err;
      // The next start tries again (the record stays running): nothing can be settled without vCenter.
      throw new LifelineError(isLifelineError(err) ? err.code : 'vcenter-unreachable', `the failback of ${rec.name}, cut at step ${step}, cannot be settled now: ${describeError(err)}. It is settled at the next start`, { failoverId, step });
    }
    if (step === 'source-site') {
      ctx.phase('source-site');
      const following = withoutCancel(ctx, `site ${rec.siteName} was asked to recover the point before Lifeline stopped`);
      try {
        let jobId = fb.sourceJobId;
        if (jobId === null) {
          if (fb.pointId === null) throw new LifelineError('conflict', 'the failback recorded no point to ask the source site about', { failoverId });
          const ask = await this.askOf(rec, { target: fb.target, name: fb.name, powerOn: fb.powerOn, shutdownTimeoutSeconds: fb.shutdownTimeoutSeconds }, following);
          jobId = (await d.link.start(rec.peerId, { ...ask, pointId: fb.pointId }, following)).jobId;
          update((p) => ({ ...p, sourceJobId: jobId }));
        }
        ctx.log(`following site ${rec.siteName}'s job ${jobId}, which recovers restore point ${fb.pointId ?? ''}`);
        const result = await this.followSource(ctx, rec, jobId, following);
        update((p) => ({ ...p, state: 'done', sourceVm: result.vm, endedAt: iso(d.clock.now()) }));
        ctx.log(`${rec.sourceVm.name} runs at site ${rec.siteName} again (${result.vm.moref}); ${rec.name} stays powered off here, marked failed back`);
        return { failoverId, resumed: true, pointId: fb.pointId, chunks: fb.chunks, chunksSent: fb.chunksSent, bytesSent: fb.bytesSent, shutdown: fb.shutdown, consistency: fb.consistency ?? null, target: result.target, sourceVm: result.vm };
      } catch (err) {
        if (stopping(ctx)) throw err;
        const after = err instanceof LifelineError && (err.code === 'dr-failback-source-failed' || err.code === 'dr-failback-refused') ? await this.powerOnAgain(vc, rec, fb.wasOn) : '';
        this.markFailed(failoverId, `${describeError(err)}${after}`);
        if (err instanceof LifelineError) throw new LifelineError(err.code, `${err.message}${after}`, err.details);
        throw err;
      }
    }
    // Before A was asked: undo what this site did.
    ctx.phase('roll-back');
    const undone: string[] = [];
    if (fb.backupJobId) {
      try {
        const removed = await d.dropBackupSnapshot({ vcenterGuid: rec.vcenterGuid, moref: rec.vm!.moref, jobId: fb.backupJobId, signal: ctx.signal });
        if (removed.length > 0) undone.push(`the last backup's snapshot removed from ${rec.name}`);
      } catch (err) {
        // The VM must run again all the same; the orphaned-snapshot sweep removes the snapshot later.
        undone.push(`the last backup's snapshot could not be removed from ${rec.name} (${describeError(err)}); the orphaned-snapshot sweep removes it`);
      }
    }
    const after = await this.powerOnAgain(vc, rec, fb.wasOn);
    if (after !== '') undone.push(after.slice(2));
    const message = `Lifeline stopped during the failback's ${step} step, before site ${rec.siteName} was asked to recover a point; the failback was rolled back at the next start${undone.length ? ` (${undone.join('; ')})` : ' (nothing here needed undoing)'}. ${rec.sourceVm.name} at site ${rec.siteName} was not touched${fb.pointId && step === 'replicate' ? `; restore point ${fb.pointId} may be among its points there` : ''}. Ask for the failback again`;
    ctx.log(message, 'warn');
    this.markFailed(failoverId, message);
    throw new LifelineError('dr-failback-interrupted', message, { failoverId, step });
  }
}
