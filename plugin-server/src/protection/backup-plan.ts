/**
 * What a backup reads of each disk, decided before anything is read: a pure function of the
 * snapshot's disks and the base point's, so every rule can be tested (and printed) on its own.
 *
 * - `incremental`: QueryChangedDiskAreas since the base point's changeId; only changed 4 MiB
 *   slots are read and the rest is carried over from the base index.
 * - `allocated`: QueryChangedDiskAreas with changeId "*" (the areas ever written); the rest of
 *   the disk is zeros. The base index, when there is one, still spares storing unchanged chunks.
 *   A damaged base point is read this way too: its damaged chunks may lie in areas that did not
 *   change, and only reading them lets the store write them again (the point heals).
 * - `full`: every slot, when vCenter has no change tracking data for the disk at all.
 *
 * A refused changeId at query time (FileFault: CBT was reset, the changeId is unknown) moves a
 * disk one step down: incremental → allocated → full (fallbackPlan).
 */
import type { ManifestDisk } from '../store/index.js';
import type { VmDisk } from '../vsphere/index.js';
import type { ExcludedDisk } from './policy.js';

export type DiskReadMode = 'incremental' | 'allocated' | 'full';

export interface DiskReadPlan {
  readonly disk: VmDisk;
  readonly mode: DiskReadMode;
  /** The changeId to query since (incremental), "*" (allocated), or null (full). */
  readonly since: string | null;
  /** Why the disk is not read incrementally; null when it is. */
  readonly reason: string | null;
}

/** The base point as far as planning cares: its disks by device key and whose VM it was. */
export interface PlanBase {
  readonly pointId: string;
  /** config.instanceUuid of the VM the point was taken from, when it recorded one. */
  readonly instanceUuid: string | undefined;
  /** Verify (or a failed backup) found chunks of the point damaged. */
  readonly damaged?: boolean;
  readonly disks: ReadonlyMap<number, Pick<ManifestDisk, 'capacity' | 'changeId'>>;
}

export interface PlanInput {
  readonly disks: readonly VmDisk[];
  readonly excluded: readonly ExcludedDisk[];
  readonly base: PlanBase | undefined;
  readonly instanceUuid: string | undefined;
  /** Change tracking was off and this backup turned it on: no earlier changeId can be trusted. */
  readonly cbtJustEnabled: boolean;
}

export interface BackupPlanResult {
  readonly read: DiskReadPlan[];
  readonly skipped: VmDisk[];
}

export function isExcluded(disk: Pick<VmDisk, 'key' | 'label'>, excluded: readonly ExcludedDisk[]): boolean {
  return excluded.some((e) => ('deviceKey' in e ? e.deviceKey === disk.key : e.label === disk.label));
}

/**
 * A clone of a restore point's disk that recovery attached to the VM (its files lie in a
 * `lifeline-attach-<id>` folder): a copy of data already backed up, detached again later, never
 * part of the VM's own backups.
 */
export function isAttachedClone(disk: Pick<VmDisk, 'fileName'>): boolean {
  return /^\[[^\]]*\] lifeline-attach-[^/]+\//.test(disk.fileName);
}

export function planDiskReads(input: PlanInput): BackupPlanResult {
  const read: DiskReadPlan[] = [];
  const skipped: VmDisk[] = [];
  for (const disk of [...input.disks].sort((a, b) => a.key - b.key)) {
    if (isExcluded(disk, input.excluded) || isAttachedClone(disk)) {
      skipped.push(disk);
      continue;
    }
    read.push(planOne(disk, input));
  }
  return { read, skipped };
}

function planOne(disk: VmDisk, input: PlanInput): DiskReadPlan {
  const allocated = (reason: string): DiskReadPlan => ({ disk, mode: 'allocated', since: '*', reason });
  if (disk.changeId === undefined) return { disk, mode: 'full', since: null, reason: 'change tracking has no data for this disk at the snapshot' };
  if (input.cbtJustEnabled) return allocated('change tracking was off and has been turned on');
  const base = input.base;
  if (!base) return allocated('first backup of this VM');
  if (base.instanceUuid !== undefined && input.instanceUuid !== undefined && base.instanceUuid !== input.instanceUuid) {
    return allocated(`the previous restore point ${base.pointId} is of another VM (instanceUuid ${base.instanceUuid})`);
  }
  if (base.damaged) return allocated(`the previous restore point ${base.pointId} is damaged; reading the disk in full writes its damaged chunks again`);
  const prev = base.disks.get(disk.key);
  if (!prev) return allocated(`the previous restore point ${base.pointId} has no disk ${disk.key}`);
  if (prev.changeId === null) return allocated(`the previous restore point ${base.pointId} recorded no changeId for this disk`);
  if (prev.capacity !== disk.capacityBytes) {
    return allocated(`the disk's capacity changed from ${prev.capacity} to ${disk.capacityBytes} bytes since ${base.pointId}`);
  }
  return { disk, mode: 'incremental', since: prev.changeId, reason: null };
}

/** The next plan down after vCenter refused `plan`'s changeId, or undefined when none is left. */
export function fallbackPlan(plan: DiskReadPlan, why: string): DiskReadPlan | undefined {
  if (plan.mode === 'incremental') return { disk: plan.disk, mode: 'allocated', since: '*', reason: `vCenter refused changeId ${plan.since ?? ''} (${why})` };
  if (plan.mode === 'allocated') return { disk: plan.disk, mode: 'full', since: null, reason: `vCenter has no allocated areas for the disk (${why})` };
  return undefined;
}
