/**
 * The backup of one VM, as one function the 'backup' job runs (docs/architecture.md, "Backup"):
 *
 *   pre-snapshot hook → snapshot `lifeline-<job id>` (quiesced for application consistency)
 *   → post-snapshot hook (always, also when the snapshot failed) → plan each disk (backup-plan.ts)
 *   → QueryChangedDiskAreas → ranged reads of the snapshot's flat extents straight into the store
 *   → commit the restore point (its manifest records each disk's new changeId)
 *   → remove the snapshot (finally, on every path).
 *
 * Restore points are keyed in the store by vmKey() — the vCenter GUID and the VM's moref — the
 * same key the scheduler, the policies and the jobs use, so "the VM's last point" is one catalog
 * lookup. The VM's instanceUuid is recorded in the point, and a base point of another instanceUuid
 * (a moref reused after a vCenter restore) is never used for changed-block tracking.
 *
 * Consistency is recorded as achieved, not as asked: a quiesce failure or a failed pre-snapshot
 * hook under onQuiesceFailure 'crash-consistent' gives a 'crash' point and says so in the log.
 *
 * Memory is bounded by the store's ingest (a fixed pool of chunk buffers, 8 chunks in flight);
 * disks are read one after another.
 */
import { LifelineError, describeError } from '../errors/index.js';
import { runHookWithTimeout, type BackupHooks, type HookTarget } from '../hooks/index.js';
import type { LogLevel } from '../jobs/index.js';
import type { PointRow } from '../catalog/index.js';
import { DAY_MS, PointWriter, isStoreError, slotsToRead, type ChangedArea, type Repository } from '../store/index.js';
import {
  isVimFault,
  type ChangedAreasQuery,
  type DatastoreFile,
  type DiskArea,
  type RemoveSnapshotOptions,
  type SnapshotOptions,
  type SnapshotTree,
  type SnapshotNode,
  type TaskOptions,
  type VmDisk,
  type VmInfo,
} from '../vsphere/index.js';
import { SnapshotDiskReader, flatExtentOf } from './backup-disk-reader.js';
import { fallbackPlan, isAttachedClone, planDiskReads, type DiskReadMode, type DiskReadPlan, type PlanBase } from './backup-plan.js';
import type { PolicySpec } from './policy.js';
import { vmKey, type TimeSource } from '../domain/index.js';

/** The adapter calls a backup makes; `Vcenter` satisfies it. */
export interface BackupVcenter {
  getVm(vm: string, signal?: AbortSignal): Promise<VmInfo>;
  setChangeTracking(vm: string, enabled: boolean, task?: TaskOptions): Promise<void>;
  createSnapshot(vm: string, opts: SnapshotOptions, task?: TaskOptions): Promise<string>;
  removeSnapshot(snapshot: string, opts?: RemoveSnapshotOptions, task?: TaskOptions): Promise<void>;
  snapshotTree(vm: string, signal?: AbortSignal): Promise<SnapshotTree>;
  snapshotDisks(snapshot: string, signal?: AbortSignal): Promise<VmDisk[]>;
  queryChangedDiskAreas(q: ChangedAreasQuery, signal?: AbortSignal): Promise<DiskArea[]>;
  readRangeInto(file: DatastoreFile, offset: number, target: Buffer, signal?: AbortSignal): Promise<number>;
}

export type BackupPolicy = Pick<PolicySpec, 'consistency' | 'onQuiesceFailure' | 'excludedDisks' | 'immutabilityDays'>;

/** Saved before and right after the snapshot is made, so a crash never leaves it untracked. */
export interface BackupCheckpoint {
  vcenterGuid: string;
  vm: string;
  snapshotName: string;
  /** The snapshot's moref, once vCenter returned it. */
  snapshot: string | null;
}

/** The parts of a job's context the pipeline uses. */
export interface BackupContext {
  readonly signal: AbortSignal;
  phase(name: string): void;
  progress(bytesDone: number, bytesTotal?: number | null): void;
  log(message: string, level?: LogLevel): void;
  saveCheckpoint(checkpoint: BackupCheckpoint): void;
}

export interface BackupDeps {
  vcenter: BackupVcenter;
  vcenterGuid: string;
  repository: Repository;
  hooks: BackupHooks;
  clock: TimeSource;
  /** Each hook's deadline. Default 5 minutes. */
  hookTimeoutMs?: number;
  /** How long removing the snapshot and undoing a pending point may take after a cancel. Default 10 minutes. */
  cleanupTimeoutMs?: number;
}

export interface BackupRequest {
  jobId: string;
  /** The VM's moref in the vCenter of `deps.vcenterGuid`. */
  vm: string;
  policy: BackupPolicy;
  /**
   * Keep the point under another VM's id and disk numbers: a failback backs the VM recovered at the
   * DR site up into its replica of the source site's repository as a point of the source's VM
   * (docs/dr.md, "Failback"). Default: the VM's own id and device keys.
   */
  storeAs?: { vmId: string; diskKey(disk: VmDisk): number };
}

export interface DiskBackupStats {
  deviceKey: number;
  label: string;
  capacity: number;
  mode: DiskReadMode;
  reason: string | null;
  /** The changeId at the snapshot, recorded in the point for the next incremental. */
  changeId: string | null;
  /** Bytes of the changed or allocated areas vCenter reported (null for a full read). */
  changedBytes: number | null;
  bytesRead: number;
  newChunks: number;
  newStoredBytes: number;
}

export interface BackupResult {
  pointId: string;
  vm: { vcenterGuid: string; moref: string; name: string };
  consistency: 'application' | 'crash';
  snapshotName: string;
  createdAt: string;
  retainUntil: string;
  basePointId: string | null;
  disks: DiskBackupStats[];
  excludedDisks: number[];
  /** Bytes fetched from vCenter. */
  bytesRead: number;
  newStoredBytes: number;
  warnings: string[];
}

export type BackupErrorCode = 'backup-quiesce-failed' | 'backup-pre-hook-failed' | 'backup-no-disks' | 'backup-vm-unplaced';

export class BackupError extends LifelineError {
  constructor(code: BackupErrorCode, message: string, details: Record<string, unknown> = {}, options?: { cause?: unknown }) {
    super(code, message, details, options);
  }
}

/** Faults with which vCenter reports that the guest could not be quiesced. */
const QUIESCE_FAULTS = ['ApplicationQuiesceFault', 'ToolsUnavailable', 'ToolsUnavailableFault'];

export function snapshotNameFor(jobId: string): string {
  return `lifeline-${jobId}`;
}

/** Every snapshot in the tree, depth first. */
export function flattenSnapshots(tree: SnapshotTree): SnapshotNode[] {
  const out: SnapshotNode[] = [];
  const walk = (nodes: readonly SnapshotNode[]): void => {
    for (const n of nodes) {
      out.push(n);
      walk(n.children);
    }
  };
  walk(tree.roots);
  return out;
}

/**
 * Removes a snapshot, or every snapshot of the VM with the given name when its moref is unknown (a
 * task that failed may still have left one). A snapshot that is already gone counts as removed.
 */
export async function removeBackupSnapshot(vc: BackupVcenter, vm: string, name: string, moref: string | null, signal: AbortSignal): Promise<string[]> {
  const targets = moref !== null ? [moref] : flattenSnapshots(await vc.snapshotTree(vm, signal)).filter((s) => s.name === name).map((s) => s.moref);
  for (const s of targets) {
    try {
      await vc.removeSnapshot(s, { removeChildren: false, consolidate: true }, { signal });
    } catch (err) {
      if (!isVimFault(err, 'ManagedObjectNotFound', 'NotFound', 'InvalidArgument')) throw err;
    }
  }
  return targets;
}

function cleanupSignal(signal: AbortSignal, ms: number): AbortSignal {
  // Cleanup must run even after the job was cancelled, but not forever.
  return signal.aborted ? AbortSignal.timeout(ms) : AbortSignal.any([AbortSignal.timeout(ms), signal]);
}

/**
 * The VM's latest point as the base of this backup. A point whose manifest cannot be read any
 * more is no base (the backup reads every disk as if it were the first) rather than a reason for
 * every later backup to fail.
 */
async function loadBase(repo: Repository, vmId: string, signal: AbortSignal, warn: (m: string) => void): Promise<{ row: PointRow; plan: PlanBase } | undefined> {
  const row = repo.latestPoint(vmId);
  if (!row) return undefined;
  let manifest;
  try {
    manifest = await repo.readManifest(row.id, signal);
  } catch (err) {
    if (!isStoreError(err, 'manifest-invalid') && !isStoreError(err, 'object-not-found')) throw err;
    warn(`the previous restore point ${row.id} is damaged (${err.message}); this backup builds on no earlier point and reads every disk in full`);
    return undefined;
  }
  const cfg = manifest.vm.config;
  const instanceUuid = typeof cfg['instanceUuid'] === 'string' ? cfg['instanceUuid'] : undefined;
  return {
    row,
    plan: { pointId: row.id, instanceUuid, damaged: row.damaged, disks: new Map(manifest.disks.map((d) => [d.disk, { capacity: d.capacity, changeId: d.changeId }])) },
  };
}

const sumAreas = (areas: readonly ChangedArea[]): number => areas.reduce((n, a) => n + a.length, 0);

export async function runBackup(deps: BackupDeps, req: BackupRequest, ctx: BackupContext): Promise<BackupResult> {
  const { vcenter: vc, repository: repo } = deps;
  const signal = ctx.signal;
  const hookTimeoutMs = deps.hookTimeoutMs ?? 5 * 60_000;
  const cleanupMs = deps.cleanupTimeoutMs ?? 10 * 60_000;
  const vmRef = { vcenterGuid: deps.vcenterGuid, moref: req.vm };
  const vmId = req.storeAs?.vmId ?? vmKey(vmRef);
  const keyOf = (d: VmDisk): number => req.storeAs?.diskKey(d) ?? d.key;
  const snapshotName = snapshotNameFor(req.jobId);
  const warnings: string[] = [];
  const warn = (m: string): void => {
    warnings.push(m);
    ctx.log(m, 'warn');
  };

  ctx.phase('prepare');
  // A store below its reserve is refused before the VM is touched (no snapshot, no CBT change).
  await repo.checkRoom(signal);
  const vm = await vc.getVm(req.vm, signal);
  const datacenterPath = vm.datacenter?.path;
  if (datacenterPath === undefined) throw new BackupError('backup-vm-unplaced', `VM ${vm.name} (${req.vm}) is in no datacenter; its disks cannot be read`, { vm: req.vm });
  let cbtJustEnabled = false;
  if (!vm.changeTrackingEnabled) {
    ctx.log(`change tracking is off for ${vm.name}; turning it on (this backup reads the allocated areas of each disk)`);
    await vc.setChangeTracking(req.vm, true, { signal });
    cbtJustEnabled = true;
  }
  const base = await loadBase(repo, vmId, signal, warn);
  ctx.log(base ? `previous restore point ${base.row.id}` : 'no previous restore point: first backup of this VM');

  let consistency: 'application' | 'crash' = req.policy.consistency;
  const target = (): HookTarget => ({ jobId: req.jobId, vcenterGuid: deps.vcenterGuid, moref: req.vm, name: vm.name, consistency });

  // ---- pre-snapshot hook, snapshot, post-snapshot hook --------------------------------------
  let snapshot: string | null = null;
  let snapshotCreateTried = false;
  let writer: PointWriter | undefined;
  let committed = false;
  try {
    let snapshotError: unknown;
    let createdAt = 0;
    try {
      ctx.phase('pre-snapshot');
      let preFailure: unknown;
      try {
        const r = await runHookWithTimeout('pre-snapshot hook', hookTimeoutMs, signal, (s) => deps.hooks.preSnapshot(target(), s));
        for (const m of r.messages) ctx.log(m);
      } catch (err) {
        if (signal.aborted) throw err;
        preFailure = err;
      }
      if (preFailure !== undefined) {
        if (req.policy.onQuiesceFailure !== 'crash-consistent') {
          throw new BackupError('backup-pre-hook-failed', `pre-snapshot hook failed: ${describeError(preFailure)}`, { vm: req.vm }, { cause: preFailure });
        }
        consistency = 'crash';
        warn(`pre-snapshot hook failed (${describeError(preFailure)}); the policy allows a crash-consistent point, continuing without quiescing`);
      }
      ctx.phase('snapshot');
      ctx.saveCheckpoint({ vcenterGuid: deps.vcenterGuid, vm: req.vm, snapshotName, snapshot: null });
      snapshotCreateTried = true;
      snapshot = await createSnapshot(vc, req, snapshotName, consistency, (c) => (consistency = c), warn, signal);
      createdAt = deps.clock.now();
      ctx.saveCheckpoint({ vcenterGuid: deps.vcenterGuid, vm: req.vm, snapshotName, snapshot });
      ctx.log(`snapshot ${snapshotName} (${snapshot}) taken, ${consistency === 'application' ? 'quiesced' : 'not quiesced'}`);
    } catch (err) {
      snapshotError = err;
      throw err;
    } finally {
      // Whatever the pre-snapshot hook froze is thawed, whether or not a snapshot exists.
      const outcome = { snapshotTaken: snapshot !== null, error: snapshotError === undefined ? null : describeError(snapshotError) };
      try {
        const r = await runHookWithTimeout('post-snapshot hook', hookTimeoutMs, cleanupSignal(signal, hookTimeoutMs), (s) => deps.hooks.postSnapshot(target(), outcome, s));
        for (const m of r.messages) ctx.log(m);
      } catch (err) {
        warn(`post-snapshot hook failed: ${describeError(err)}`);
      }
    }

    // ---- plan and query changed areas ----------------------------------------------------------
    ctx.phase('changed-areas');
    const snapDisks = await vc.snapshotDisks(snapshot, signal);
    const planned = planDiskReads({ disks: snapDisks, excluded: req.policy.excludedDisks, base: base?.plan, instanceUuid: vm.instanceUuid, cbtJustEnabled });
    for (const d of planned.skipped) {
      ctx.log(
        isAttachedClone(d)
          ? `disk ${d.key} (${d.label}) is a clone attached from a restore point and not backed up`
          : `disk ${d.key} (${d.label}) is excluded by the policy and not backed up`,
      );
    }
    if (planned.read.length === 0) throw new BackupError('backup-no-disks', `VM ${vm.name} has no disk to back up (all ${planned.skipped.length} excluded or attached from restore points)`, { vm: req.vm });
    const work: Array<{ plan: DiskReadPlan; areas: ChangedArea[] | undefined; file: DatastoreFile }> = [];
    for (let plan of planned.read) {
      const file = { datacenterPath, datastorePath: flatExtentOf(plan.disk.fileName) };
      let areas: ChangedArea[] | undefined;
      for (;;) {
        if (plan.since === null) break;
        try {
          areas = await vc.queryChangedDiskAreas({ vm: req.vm, snapshot, deviceKey: plan.disk.key, changeId: plan.since, capacityBytes: plan.disk.capacityBytes }, signal);
          break;
        } catch (err) {
          if (!isVimFault(err, 'FileFault')) throw err;
          const next = fallbackPlan(plan, describeError(err));
          if (!next) throw err;
          plan = next;
        }
      }
      const what = plan.mode === 'incremental' ? `changed areas since ${plan.since ?? ''}` : plan.mode === 'allocated' ? 'allocated areas (full read)' : 'every block (full read)';
      ctx.log(`disk ${plan.disk.key} (${plan.disk.label}): reading ${what}${areas ? `, ${sumAreas(areas)} bytes reported` : ''}${plan.reason ? ` — ${plan.reason}` : ''}`, plan.mode === 'incremental' ? 'info' : 'warn');
      work.push({ plan, areas, file });
    }

    // ---- read into the store -------------------------------------------------------------------
    ctx.phase('read');
    const chunkSize = repo.config.chunkSize;
    let bytesTotal = 0;
    for (const w of work) for (const s of slotsToRead(w.plan.disk.capacityBytes, chunkSize, w.areas)) bytesTotal += Math.min(chunkSize, w.plan.disk.capacityBytes - s * chunkSize);
    ctx.progress(0, bytesTotal);
    const retainUntil = createdAt + req.policy.immutabilityDays * DAY_MS;
    writer = await PointWriter.begin(
      repo,
      {
        vm: { id: vmId, name: vm.name, config: vmConfig(vm, deps.vcenterGuid, snapDisks, planned.skipped, keyOf) },
        consistency,
        createdAt,
        retainUntil,
        base: base?.row.id ?? null,
      },
      signal,
    );
    const stats: DiskBackupStats[] = [];
    let bytesDoneBefore = 0;
    let bytesRead = 0;
    for (const w of work) {
      // A first backup's areas are the allocated ones: the rest of each chunk is zeros, not read.
      const reader = new SnapshotDiskReader(vc, w.file, w.plan.disk.capacityBytes, w.plan.mode === 'allocated' ? w.areas : undefined);
      const changed = w.areas === undefined ? undefined : { since: w.plan.mode === 'incremental' ? (base?.row.id ?? null) : null, areas: w.areas };
      try {
        const r = await writer.ingestDisk(
          { disk: keyOf(w.plan.disk), capacity: w.plan.disk.capacityBytes, reader, changed, changeId: w.plan.disk.changeId ?? null, label: w.plan.disk.label },
          signal,
          (p) => ctx.progress(bytesDoneBefore + p.bytesDone, bytesTotal),
        );
        bytesDoneBefore += r.bytesRead;
        stats.push({
          deviceKey: w.plan.disk.key,
          label: w.plan.disk.label,
          capacity: w.plan.disk.capacityBytes,
          mode: w.plan.mode,
          reason: w.plan.reason,
          changeId: w.plan.disk.changeId ?? null,
          changedBytes: w.areas ? sumAreas(w.areas) : null,
          bytesRead: r.bytesRead,
          newChunks: r.newChunks,
          newStoredBytes: r.newStoredBytes,
        });
        ctx.log(`disk ${w.plan.disk.key}: read ${r.bytesRead} bytes in ${r.slotsRead} chunks, ${r.newChunks} new (${r.newStoredBytes} bytes stored), ${r.zeroChunks} zero`);
      } finally {
        bytesRead += reader.bytesRead;
      }
    }

    // ---- commit --------------------------------------------------------------------------------
    ctx.phase('commit');
    const point = await writer.commit(signal);
    committed = true;
    ctx.log(`restore point ${point.id} committed (${consistency}-consistent), retained until ${new Date(retainUntil).toISOString()}`);
    return {
      pointId: point.id,
      vm: { vcenterGuid: deps.vcenterGuid, moref: req.vm, name: vm.name },
      consistency,
      snapshotName,
      createdAt: new Date(createdAt).toISOString(),
      retainUntil: new Date(retainUntil).toISOString(),
      basePointId: base?.row.id ?? null,
      disks: stats,
      excludedDisks: planned.skipped.map((d) => d.key),
      bytesRead,
      newStoredBytes: stats.reduce((n, d) => n + d.newStoredBytes, 0),
      warnings,
    };
  } finally {
    const cleanup = cleanupSignal(signal, cleanupMs);
    if (writer && !committed) {
      try {
        await writer.abort(cleanup);
      } catch (err) {
        // The pending point stays for the repository's recovery at the next open; the job's own error matters more.
        ctx.log(`could not discard the unfinished restore point ${writer.pointId}: ${describeError(err)}`, 'error');
      }
    }
    if (snapshotCreateTried) {
      ctx.phase('remove-snapshot');
      try {
        const removed = await removeBackupSnapshot(vc, req.vm, snapshotName, snapshot, cleanup);
        if (removed.length > 0) ctx.log(`snapshot ${snapshotName} removed`);
        ctx.saveCheckpoint({ vcenterGuid: deps.vcenterGuid, vm: req.vm, snapshotName, snapshot: null });
      } catch (err) {
        // Left for the orphan sweeper; the restore point (if committed) is good regardless.
        warn(`could not remove snapshot ${snapshotName}: ${describeError(err)}; the orphan sweeper will retry`);
      }
    }
  }
}

/** Creates the snapshot, quiesced for application consistency, degrading to crash when the policy allows. */
async function createSnapshot(
  vc: BackupVcenter,
  req: BackupRequest,
  name: string,
  consistency: 'application' | 'crash',
  setConsistency: (c: 'application' | 'crash') => void,
  warn: (m: string) => void,
  signal: AbortSignal,
): Promise<string> {
  const description = `Lifeline backup job ${req.jobId}; removed when the backup ends`;
  const quiesce = consistency === 'application';
  try {
    return await vc.createSnapshot(req.vm, { name, description, memory: false, quiesce }, { signal });
  } catch (err) {
    if (!quiesce || !isVimFault(err, ...QUIESCE_FAULTS)) throw err;
    if (req.policy.onQuiesceFailure !== 'crash-consistent') {
      throw new BackupError('backup-quiesce-failed', `the guest of VM ${req.vm} could not be quiesced for an application-consistent snapshot: ${describeError(err)}. Check that VMware Tools runs in the guest (and its VSS writers on Windows), or set the policy's onQuiesceFailure to crash-consistent to fall back to a crash-consistent point`, { vm: req.vm }, { cause: err });
    }
    warn(`the guest could not be quiesced (${describeError(err)}); the policy allows a crash-consistent point, taking the snapshot without quiescing`);
    setConsistency('crash');
    // A failed quiesced attempt can leave its snapshot behind on some hosts.
    await removeBackupSnapshot(vc, req.vm, name, null, signal);
    return vc.createSnapshot(req.vm, { name, description, memory: false, quiesce: false }, { signal });
  }
}

/** What a restore needs to rebuild the VM, recorded in the point's manifest. */
function vmConfig(vm: VmInfo, vcenterGuid: string, snapDisks: readonly VmDisk[], skipped: readonly VmDisk[], keyOf: (d: VmDisk) => number): Record<string, unknown> {
  return {
    vcenterGuid,
    moref: vm.moref,
    instanceUuid: vm.instanceUuid,
    biosUuid: vm.biosUuid,
    guestId: vm.guestId,
    guestOs: vm.guestOs,
    cpus: vm.cpus,
    memoryMiB: vm.memoryMiB,
    vmxPath: vm.vmxPath,
    // Disk numbers in the point are device keys, so a disk keeps its index across points.
    disks: snapDisks.map((d) => ({ ...d, key: keyOf(d), excluded: skipped.some((s) => s.key === d.key) })),
    controllers: vm.controllers,
    nics: vm.nics,
  };
}
