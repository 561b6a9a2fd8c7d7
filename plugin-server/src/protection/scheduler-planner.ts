/**
 * The backup planner: a pure function from what is known now (each protected VM's policy, newest
 * good restore point, whether a job holds it, whether it is paused, where its disks are) to the
 * backups to start now. All state lives in the catalog, so the plan after a restart is the plan
 * before it; the driver (scheduler-driver.ts) only gathers the facts and submits the jobs.
 *
 * When a VM is due. An RPO is a promise about the age of the newest good point at every moment,
 * and a new point only becomes good when its backup commits. Waiting until the point is older than
 * the RPO would therefore break the promise by one backup's duration every time. A VM is due once
 * its point is older than the RPO minus a lead: its expected backup duration plus a safety margin
 * (for queueing and the planner's own tick), but never more than half the RPO — a VM whose
 * backups take longer than half its RPO cannot meet it without overlapping itself, which the
 * planner never allows, and the compliance report says so instead.
 *
 * Without a storm. After downtime every VM may be due at once. The plan starts no more than the
 * free global slots and the free slots of each datastore, most urgent first (earliest RPO
 * deadline, i.e. the oldest point relative to its RPO), and a VM blocked by its datastore does not
 * hold back VMs elsewhere. Each VM's due point is brought forward by a stable per-VM fraction
 * (jitter) so that VMs protected together drift apart instead of coming due in lockstep forever.
 *
 * Never two jobs for one VM: a VM a job holds (queued, running, or being cleaned up) is skipped.
 * Paused VMs (e.g. in a temporary revert) are skipped. Backup windows limit scheduled starts.
 * "Back up now" does not go through the plan: it is submitted straight to the job runner (see
 * ProtectionScheduler.backupNow), which bypasses the RPO but not the one-job-per-VM rule.
 */
import { isWithinWindows, type ProtectionPolicy } from './policy.js';
import { vmKey, type VmRef } from '../domain/index.js';

export interface ScheduleCandidate {
  vm: VmRef;
  policy: Pick<ProtectionPolicy, 'id' | 'rpoSeconds' | 'windows'>;
  /** Time (ms) of the newest good restore point, null when there is none. */
  lastGoodPointAt: number | null;
  /** When the VM was protected (ms): the deadline of a VM without any point counts from there. */
  assignedAt: number;
  /** A job (of any kind) holds the VM. */
  busy: boolean;
  paused: boolean;
  /** Datastores holding the VM's disks; each counts against its per-datastore limit. */
  datastores: readonly string[];
  /** How long its backups usually take (e.g. the longest of the last few), or null when unknown. */
  expectedDurationSeconds: number | null;
}

export interface PlanCapacity {
  globalLimit: number;
  /** Per datastore; undefined for no per-datastore limit. */
  datastoreLimit: number | undefined;
  /** Jobs (of all kinds) occupying a global slot now. */
  activeGlobal: number;
  /** Jobs occupying each datastore's slots now. */
  activePerDatastore: ReadonlyMap<string, number>;
}

export interface PlanOptions {
  /** Lead added to the expected duration, for queueing and tick delay. */
  safetyMarginSeconds: number;
  /** Expected duration of a VM with no backup history yet. */
  defaultExpectedDurationSeconds: number;
  /** Up to this fraction of the interval, a VM comes due earlier (stable per VM). */
  jitterFraction: number;
}

export const DEFAULT_PLAN_OPTIONS: PlanOptions = { safetyMarginSeconds: 30, defaultExpectedDurationSeconds: 120, jitterFraction: 0.05 };

export type SkipReason = 'not-due' | 'outside-window' | 'busy' | 'paused' | 'global-limit' | 'datastore-limit';

export interface PlannedBackup {
  vm: VmRef;
  policyId: string;
  datastores: readonly string[];
  /** When the RPO would be exceeded (ms). */
  deadline: number;
}

export interface SkippedVm {
  vm: VmRef;
  reason: SkipReason;
}

export interface BackupPlan {
  /** In order of urgency. */
  start: PlannedBackup[];
  skipped: SkippedVm[];
  /** Earliest time (ms) a VM not yet due becomes due, or null. */
  nextDueAt: number | null;
}

/** Age (s) at which a VM's point makes it due. */
export function dueAgeSeconds(c: Pick<ScheduleCandidate, 'vm' | 'policy' | 'expectedDurationSeconds'>, options: PlanOptions = DEFAULT_PLAN_OPTIONS): number {
  const rpo = c.policy.rpoSeconds;
  const lead = Math.min(rpo / 2, (c.expectedDurationSeconds ?? options.defaultExpectedDurationSeconds) + options.safetyMarginSeconds);
  return (rpo - lead) * (1 - options.jitterFraction * stableFraction(vmKey(c.vm)));
}

export function planBackups(now: number, candidates: readonly ScheduleCandidate[], capacity: PlanCapacity, options: PlanOptions = DEFAULT_PLAN_OPTIONS): BackupPlan {
  const skipped: SkippedVm[] = [];
  const due: { c: ScheduleCandidate; deadline: number }[] = [];
  let nextDueAt: number | null = null;

  for (const c of candidates) {
    if (c.paused) {
      skipped.push({ vm: c.vm, reason: 'paused' });
      continue;
    }
    if (c.busy) {
      skipped.push({ vm: c.vm, reason: 'busy' });
      continue;
    }
    const base = c.lastGoodPointAt ?? c.assignedAt;
    const deadline = base + c.policy.rpoSeconds * 1000;
    if (c.lastGoodPointAt !== null) {
      const dueAt = c.lastGoodPointAt + dueAgeSeconds(c, options) * 1000;
      if (now < dueAt) {
        nextDueAt = nextDueAt === null ? dueAt : Math.min(nextDueAt, dueAt);
        skipped.push({ vm: c.vm, reason: 'not-due' });
        continue;
      }
    }
    if (!isWithinWindows(c.policy.windows, now)) {
      skipped.push({ vm: c.vm, reason: 'outside-window' });
      continue;
    }
    due.push({ c, deadline });
  }

  due.sort((a, b) => a.deadline - b.deadline || vmKey(a.c.vm).localeCompare(vmKey(b.c.vm)));

  const start: PlannedBackup[] = [];
  let freeGlobal = capacity.globalLimit - capacity.activeGlobal;
  const inUse = new Map(capacity.activePerDatastore);
  for (const { c, deadline } of due) {
    if (freeGlobal <= 0) {
      skipped.push({ vm: c.vm, reason: 'global-limit' });
      continue;
    }
    const limit = capacity.datastoreLimit;
    if (limit !== undefined && c.datastores.some((ds) => (inUse.get(ds) ?? 0) >= limit)) {
      skipped.push({ vm: c.vm, reason: 'datastore-limit' });
      continue;
    }
    freeGlobal--;
    for (const ds of c.datastores) inUse.set(ds, (inUse.get(ds) ?? 0) + 1);
    start.push({ vm: c.vm, policyId: c.policy.id, datastores: c.datastores, deadline });
  }
  return { start, skipped, nextDueAt };
}

/**
 * A number in [0, 1) fixed for a given key, so a VM's jitter is the same on every tick and after a
 * restart. FNV-1a, then a final avalanche (MurmurHash3's fmix32) so that keys differing only in
 * their last character (vm-1, vm-2, …) still land far apart.
 */
export function stableFraction(key: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < key.length; i++) {
    h ^= key.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return (h >>> 0) / 0x1_0000_0000;
}
