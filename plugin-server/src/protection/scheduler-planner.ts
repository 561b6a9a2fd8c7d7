/**
 * The backup planner: a pure function from what is known now (each protected VM's policy, newest
 * good restore point, whether a job holds it, whether it is paused, when its last backup failed)
 * to the backups to queue now. All state lives in the catalog, so the plan after a restart is the
 * plan before it; the driver (scheduler-driver.ts) only gathers the facts and submits the jobs.
 *
 * When a VM is due. An RPO is a promise about the age of the newest good point at every moment,
 * and a new point only becomes good when its backup commits. Waiting until the point is older than
 * the RPO would therefore break the promise by one backup's duration every time. A VM is due once
 * its point is older than the RPO minus a lead: its expected backup duration (measured from its
 * own backups as soon as there is one) plus a safety margin for waiting in the queue, but never
 * more than half the RPO — a VM whose backups take longer than half its RPO cannot meet it
 * without overlapping itself, which the planner never allows, and the compliance report says so
 * instead. Each VM's due point is brought forward by a stable per-VM fraction (jitter) so that VMs
 * protected together drift apart instead of coming due in lockstep forever.
 *
 * Slots and order. A due VM is queued at once as a backup job carrying its RPO deadline; the job
 * runner, which enforces the global, per-datastore and per-host slot limits, starts the queued
 * job with the earliest deadline whenever a slot frees (earliest deadline first). Waiting VMs are
 * therefore visible as queued jobs, and no slot idles while a VM is due. A VM blocked by a
 * datastore's or host's limit does not hold back VMs elsewhere (the runner skips it).
 *
 * Fairness. Earliest-deadline-first serves every VM in turn: a VM that waited has the older point,
 * so its deadline comes first, whatever its RPO. The one way a VM could take more than its turn is
 * by failing: its point stays old, so its deadline would always come first and a VM that fails at
 * once would take a slot on every round. After a failed backup a VM therefore waits a cool-down
 * (a quarter of its RPO, from 15 s to 15 minutes) before it is queued again.
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
  /** How long its backups take, measured from its recent ones, or null when it has none yet. */
  expectedDurationSeconds: number | null;
  /** When its last backup failed (ms), or null when the last one did not fail. */
  lastFailureAt?: number | null;
}

export interface PlanOptions {
  /** Lead added to the expected duration, for waiting in the queue. */
  safetyMarginSeconds: number;
  /** Expected duration of a VM with no backup history yet. */
  defaultExpectedDurationSeconds: number;
  /** Up to this fraction of the interval, a VM comes due earlier (stable per VM). */
  jitterFraction: number;
}

export const DEFAULT_PLAN_OPTIONS: PlanOptions = { safetyMarginSeconds: 30, defaultExpectedDurationSeconds: 120, jitterFraction: 0.05 };

export const FAILURE_COOL_DOWN_MIN_SECONDS = 15;
export const FAILURE_COOL_DOWN_MAX_SECONDS = 15 * 60;

export type SkipReason = 'not-due' | 'outside-window' | 'busy' | 'paused' | 'cooling-down';

export interface PlannedBackup {
  vm: VmRef;
  policyId: string;
  /** When the RPO would be exceeded (ms); the job runner starts the earliest first. */
  deadline: number;
}

export interface SkippedVm {
  vm: VmRef;
  reason: SkipReason;
}

export interface BackupPlan {
  /** Backups to queue now, earliest deadline first. */
  start: PlannedBackup[];
  skipped: SkippedVm[];
  /** Earliest time (ms) a VM not yet due (or cooling down) becomes due, or null. */
  nextDueAt: number | null;
}

/** Age (s) at which a VM's point makes it due. */
export function dueAgeSeconds(c: Pick<ScheduleCandidate, 'vm' | 'policy' | 'expectedDurationSeconds'>, options: PlanOptions = DEFAULT_PLAN_OPTIONS): number {
  const rpo = c.policy.rpoSeconds;
  const lead = Math.min(rpo / 2, (c.expectedDurationSeconds ?? options.defaultExpectedDurationSeconds) + options.safetyMarginSeconds);
  return (rpo - lead) * (1 - options.jitterFraction * stableFraction(vmKey(c.vm)));
}

/** How long (s) a VM waits after a failed backup before it is queued again. */
export function failureCoolDownSeconds(rpoSeconds: number): number {
  return Math.min(FAILURE_COOL_DOWN_MAX_SECONDS, Math.max(FAILURE_COOL_DOWN_MIN_SECONDS, rpoSeconds / 4));
}

export function planBackups(now: number, candidates: readonly ScheduleCandidate[], options: PlanOptions = DEFAULT_PLAN_OPTIONS): BackupPlan {
  const skipped: SkippedVm[] = [];
  const start: PlannedBackup[] = [];
  let nextDueAt: number | null = null;
  const later = (at: number) => {
    nextDueAt = nextDueAt === null ? at : Math.min(nextDueAt, at);
  };

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
        later(dueAt);
        skipped.push({ vm: c.vm, reason: 'not-due' });
        continue;
      }
    }
    const failedAt = c.lastFailureAt ?? null;
    if (failedAt !== null && (c.lastGoodPointAt === null || failedAt > c.lastGoodPointAt)) {
      const retryAt = failedAt + failureCoolDownSeconds(c.policy.rpoSeconds) * 1000;
      if (now < retryAt) {
        later(retryAt);
        skipped.push({ vm: c.vm, reason: 'cooling-down' });
        continue;
      }
    }
    if (!isWithinWindows(c.policy.windows, now)) {
      skipped.push({ vm: c.vm, reason: 'outside-window' });
      continue;
    }
    start.push({ vm: c.vm, policyId: c.policy.id, deadline });
  }

  start.sort((a, b) => a.deadline - b.deadline || vmKey(a.vm).localeCompare(vmKey(b.vm)));
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
