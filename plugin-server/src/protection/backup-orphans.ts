/**
 * The orphan snapshot sweeper: removes `lifeline-<job id>` snapshots that no running backup owns
 * (a crash between snapshot and removal, a removal vCenter refused), at start-up and on a timer.
 *
 * Which snapshots go is planned first by a pure function (planOrphanSweep), then executed:
 * - the job is running → kept (it removes its own snapshot);
 * - the job is known and not running → removed;
 * - the job is unknown to this server → removed only once older than `unknownJobGraceMs` (24 h),
 *   because another Lifeline server may share the vCenter and be backing up that VM right now.
 */
import { describeError } from '../errors/index.js';
import type { JobRecord } from '../jobs/index.js';
import type { Clock, Timer } from '../domain/index.js';
import type { Logger } from '../log/index.js';
import type { RemoveSnapshotOptions, SnapshotTree, TaskOptions } from '../vsphere/index.js';
import { isVimFault } from '../vsphere/index.js';
import { flattenSnapshots } from './backup-pipeline.js';

export interface SweepVcenter {
  /** Every VM's snapshot tree, by moref, in one query (VMs without snapshots may be left out). */
  snapshotTrees(signal?: AbortSignal): Promise<ReadonlyMap<string, SnapshotTree>>;
  removeSnapshot(snapshot: string, opts?: RemoveSnapshotOptions, task?: TaskOptions): Promise<void>;
}

export interface SweepJobs {
  find(id: string): Pick<JobRecord, 'state'> | undefined;
}

export interface FoundSnapshot {
  vm: string;
  snapshot: string;
  name: string;
  /** ms since the epoch; undefined when vCenter did not say. */
  createdAt: number | undefined;
}

export interface SweepDecision extends FoundSnapshot {
  action: 'remove' | 'keep';
  reason: string;
  jobId: string;
}

const NAME = /^lifeline-([A-Za-z0-9._:-]+)$/;
export const DEFAULT_UNKNOWN_JOB_GRACE_MS = 24 * 3_600_000;

export function planOrphanSweep(found: readonly FoundSnapshot[], jobs: SweepJobs, now: number, unknownJobGraceMs = DEFAULT_UNKNOWN_JOB_GRACE_MS): SweepDecision[] {
  const out: SweepDecision[] = [];
  for (const s of found) {
    const m = NAME.exec(s.name);
    if (!m?.[1]) continue;
    const jobId = m[1];
    const job = jobs.find(jobId);
    if (job?.state === 'running') out.push({ ...s, jobId, action: 'keep', reason: `job ${jobId} is running` });
    else if (job) out.push({ ...s, jobId, action: 'remove', reason: `job ${jobId} is ${job.state}` });
    else if (s.createdAt !== undefined && now - s.createdAt >= unknownJobGraceMs) out.push({ ...s, jobId, action: 'remove', reason: `job ${jobId} is unknown and the snapshot is older than ${unknownJobGraceMs} ms` });
    else out.push({ ...s, jobId, action: 'keep', reason: `job ${jobId} is unknown here (another Lifeline server may own it)` });
  }
  return out;
}

export interface SweepReport {
  removed: SweepDecision[];
  kept: SweepDecision[];
  failed: Array<SweepDecision & { error: string }>;
}

/**
 * Finds, plans and removes orphans in one vCenter. The snapshot trees of all VMs come in one
 * property collector query, so a sweep costs the same few calls for ten VMs or ten thousand.
 */
export async function sweepOrphanSnapshots(vc: SweepVcenter, jobs: SweepJobs, now: number, signal: AbortSignal, unknownJobGraceMs?: number): Promise<SweepReport> {
  const found: FoundSnapshot[] = [];
  for (const [vm, tree] of await vc.snapshotTrees(signal)) {
    for (const s of flattenSnapshots(tree)) {
      if (NAME.test(s.name)) found.push({ vm, snapshot: s.moref, name: s.name, createdAt: s.createTime ? Date.parse(s.createTime) : undefined });
    }
  }
  const plan = planOrphanSweep(found, jobs, now, unknownJobGraceMs);
  const report: SweepReport = { removed: [], kept: plan.filter((d) => d.action === 'keep'), failed: [] };
  for (const d of plan.filter((x) => x.action === 'remove')) {
    // Re-checked right before removal: the job may have been started again since the plan.
    if (jobs.find(d.jobId)?.state === 'running') {
      report.kept.push({ ...d, action: 'keep', reason: `job ${d.jobId} started again` });
      continue;
    }
    try {
      await vc.removeSnapshot(d.snapshot, { removeChildren: false, consolidate: true }, { signal });
      report.removed.push(d);
    } catch (err) {
      if (isVimFault(err, 'ManagedObjectNotFound', 'NotFound')) report.removed.push(d);
      else report.failed.push({ ...d, error: describeError(err) });
    }
  }
  return report;
}

export interface OrphanSweeperOptions {
  /** The vCenters to sweep, by GUID. */
  vcenters: () => Promise<ReadonlyArray<{ vcenterGuid: string; vcenter: SweepVcenter }>>;
  jobs: SweepJobs;
  clock: Clock;
  log: Logger;
  /** Default 15 minutes. */
  intervalMs?: number;
  unknownJobGraceMs?: number;
}

export class OrphanSnapshotSweeper {
  private timer: Timer | null = null;
  private lifetime = new AbortController();
  private running: Promise<SweepReport[]> | null = null;
  private readonly log: Logger;

  constructor(private readonly o: OrphanSweeperOptions) {
    this.log = o.log.child({ component: 'snapshot-sweeper' });
  }

  /** Sweeps now, then every intervalMs. */
  start(): void {
    if (this.timer) return;
    this.lifetime = new AbortController();
    const tick = (): void => {
      void this.sweepOnce().finally(() => {
        if (!this.lifetime.signal.aborted) this.timer = this.o.clock.setTimer(this.o.intervalMs ?? 15 * 60_000, tick);
      });
    };
    this.timer = this.o.clock.setTimer(0, tick);
  }

  async stop(): Promise<void> {
    this.timer?.cancel();
    this.timer = null;
    this.lifetime.abort();
    await this.running?.catch(() => undefined);
  }

  /** One sweep over every vCenter; a vCenter that fails is logged and the others still swept. */
  sweepOnce(): Promise<SweepReport[]> {
    this.running ??= this.sweep().finally(() => (this.running = null));
    return this.running;
  }

  private async sweep(): Promise<SweepReport[]> {
    const signal = this.lifetime.signal;
    const reports: SweepReport[] = [];
    let targets: ReadonlyArray<{ vcenterGuid: string; vcenter: SweepVcenter }>;
    try {
      targets = await this.o.vcenters();
    } catch (err) {
      this.log.error('orphan snapshot sweep could not list vCenters', { err: describeError(err) });
      return reports;
    }
    for (const t of targets) {
      try {
        const r = await sweepOrphanSnapshots(t.vcenter, this.o.jobs, this.o.clock.now(), signal, this.o.unknownJobGraceMs);
        for (const d of r.removed) this.log.info('removed orphaned backup snapshot', { vcenterGuid: t.vcenterGuid, vm: d.vm, snapshot: d.snapshot, name: d.name, reason: d.reason });
        for (const d of r.failed) this.log.warn('could not remove orphaned backup snapshot', { vcenterGuid: t.vcenterGuid, vm: d.vm, snapshot: d.snapshot, err: d.error });
        reports.push(r);
      } catch (err) {
        if (signal.aborted) break;
        this.log.error('orphan snapshot sweep failed', { vcenterGuid: t.vcenterGuid, err: describeError(err) });
      }
    }
    return reports;
  }
}
