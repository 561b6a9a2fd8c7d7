/**
 * Repository maintenance, the 'maintenance' job kind: what keeps the repository the size the
 * policies say and proves it still holds what it claims. One run does, in order:
 *
 * 1. retention — every protected VM's restore points are pruned by its policy's keep rules
 *    (store/prune.ts). A point within its retain-until, or the base of a backup in flight, is never
 *    removed whatever the rules say; VMs no policy protects any more keep all their points until an
 *    administrator deletes them.
 * 2. garbage collection — chunks no point references any more are removed (store/gc.ts).
 * 3. verification — a random share of the chunks is re-read, decrypted and re-hashed
 *    (store/verify.ts); damage marks the affected points, and the job fails naming them, so that
 *    it shows where administrators look.
 *
 * startMaintenanceSchedule submits one run a day at the configured time of day (lifeline.json
 * `maintenance.at`, server local time); an administrator can submit one at any time through the
 * job API.
 */
import { DEFAULT_MAINTENANCE, type DailyTime } from '../config/index.js';
import { LifelineError, ValidationError } from '../errors/index.js';
import type { JobHandler, JobRequest, JobTarget, SubmitResult } from '../jobs/index.js';
import { vmKey, type Clock, type Timer } from '../domain/index.js';
import type { Logger } from '../log/index.js';
import { collectGarbage, prune, verifyRepository, type KeepRules, type Repository } from '../store/index.js';
import type { Retention } from './policy.js';
import type { PolicyStore } from './policy-store-type.js';

export const MAINTENANCE_JOB_KIND = 'maintenance';
export const MAINTENANCE_TARGET: JobTarget = { type: 'repository', id: 'store', vcenterGuid: null };
/** The share of chunks a daily run re-reads: every chunk about once a month. */
export const DEFAULT_VERIFY_PERCENT = DEFAULT_MAINTENANCE.verifyPercent;

export type MaintenanceStep = 'retention' | 'gc' | 'verify';
const STEPS: readonly MaintenanceStep[] = ['retention', 'gc', 'verify'];

export interface MaintenanceParams {
  /** Default: all three, in order. */
  steps?: MaintenanceStep[];
  /** Share of chunks to verify, (0, 100]; default DEFAULT_VERIFY_PERCENT. */
  verifyPercent?: number;
  trigger: 'schedule' | 'manual';
}

export interface MaintenanceResult {
  retention: { vms: number; removed: string[]; protectedPoints: number } | null;
  gc: { swept: number; sweptBytes: number; pointsNotInCatalog: string[] } | null;
  verify: { percent: number; chunksChecked: number; damagedPoints: string[]; healedPoints: string[] } | null;
}

export interface MaintenanceDeps {
  repository: Repository;
  policies: Pick<PolicyStore, 'getPolicy' | 'listProtections'>;
  /**
   * Restore points being read or held right now (a restore, a temporary revert): a VM with one of
   * them is left out of this run's retention, so nothing it reads disappears under it.
   */
  busyPoints?: () => ReadonlySet<string>;
}

/** A policy's retention as the store's keep rules (keep-last is 'last' there). */
export function keepRulesOf(r: Retention): KeepRules {
  return { last: r.keepLast, hourly: r.hourly, daily: r.daily, weekly: r.weekly, monthly: r.monthly, yearly: r.yearly };
}

export function parseMaintenanceParams(raw: unknown): Required<MaintenanceParams> {
  const p = (raw ?? {}) as Partial<MaintenanceParams>;
  if (typeof p !== 'object') throw new ValidationError('maintenance job params must be an object', { field: 'params' });
  const steps = p.steps ?? [...STEPS];
  if (!Array.isArray(steps) || steps.length === 0 || steps.some((s) => !STEPS.includes(s))) {
    throw new ValidationError(`maintenance steps must be some of ${STEPS.join(', ')}`, { field: 'params.steps' });
  }
  const percent = p.verifyPercent ?? DEFAULT_VERIFY_PERCENT;
  if (typeof percent !== 'number' || !(percent > 0 && percent <= 100)) {
    throw new ValidationError('verifyPercent must be a number in (0, 100]', { field: 'params.verifyPercent' });
  }
  return { steps: STEPS.filter((s) => steps.includes(s)), verifyPercent: percent, trigger: p.trigger === 'manual' ? 'manual' : 'schedule' };
}

export function createMaintenanceJobHandler(deps: MaintenanceDeps): JobHandler<MaintenanceParams> {
  const repo = deps.repository;
  return {
    timeoutMs: 24 * 3_600_000,
    resultOfFailure: maintenanceResultOfFailure,
    async run(ctx): Promise<MaintenanceResult> {
      const params = parseMaintenanceParams(ctx.params);
      const result: MaintenanceResult = { retention: null, gc: null, verify: null };
      if (params.steps.includes('retention')) {
        ctx.phase('retention');
        const removed: string[] = [];
        let protectedPoints = 0;
        const protections = deps.policies.listProtections();
        // Asked again for each VM (and by prune before each deletion): a restore may start while the run goes on.
        const busyNow = (): ReadonlySet<string> => deps.busyPoints?.() ?? new Set<string>();
        for (const p of protections) {
          ctx.signal.throwIfAborted();
          const policy = deps.policies.getPolicy(p.policyId);
          if (p.paused) {
            ctx.log(`${p.vm.moref}: left as it is (protection paused: ${p.pauseReason ?? 'no reason given'})`);
            continue;
          }
          const busy = busyNow();
          const inUse = repo.listPoints({ vmId: vmKey(p.vm) }).find((x) => busy.has(x.id));
          if (inUse) {
            ctx.log(`${p.vm.moref}: left as it is (restore point ${inUse.id} is being read)`);
            continue;
          }
          const r = await prune(repo, keepRulesOf(policy.retention), { dryRun: false, vmId: vmKey(p.vm), signal: ctx.signal, busy: busyNow });
          const held = r.plan.filter((d) => d.mark === 'protected').length;
          protectedPoints += held;
          removed.push(...r.removed);
          if (r.removed.length > 0 || held > 0) {
            const what = r.removed.length > 0 ? `removed ${r.removed.length} (${r.removed.join(', ')})` : 'removed none';
            ctx.log(`${p.vm.moref} (policy ${policy.name}): ${what}; ${held} kept because they are within their retain-until or in use`);
          }
        }
        ctx.log(`retention: ${removed.length} restore points removed over ${protections.length} protected VMs`);
        result.retention = { vms: protections.length, removed, protectedPoints };
      }
      if (params.steps.includes('gc')) {
        ctx.phase('gc');
        const gc = await collectGarbage(repo, { signal: ctx.signal });
        ctx.log(`garbage collection: removed ${gc.swept} chunks (${(gc.sweptBytes / 1048576).toFixed(1)} MiB); ${gc.keptLocked} still locked, ${gc.keptRecent} too recent`);
        if (gc.pointsNotInCatalog.length > 0) {
          ctx.log(`${gc.pointsNotInCatalog.length} restore points are in the repository but not in its catalog (kept): run lifeline repo rebuild-catalog`, 'warn');
        }
        result.gc = { swept: gc.swept, sweptBytes: gc.sweptBytes, pointsNotInCatalog: gc.pointsNotInCatalog };
      }
      if (params.steps.includes('verify')) {
        ctx.phase('verify');
        const v = await verifyRepository(repo, { percent: params.verifyPercent, signal: ctx.signal, onProgress: (done, total) => ctx.progress(done, total) });
        ctx.log(`verification: ${v.chunksChecked} of ${v.chunksReferenced} chunks checked (${params.verifyPercent} %), ${v.problems.length} damaged`);
        for (const p of v.problems) ctx.log(`${p.problem} chunk ${p.digest}: ${p.detail}; affects ${p.points.join(', ') || 'no point'}`, 'error');
        if (v.healedPoints.length > 0) ctx.log(`whole again: ${v.healedPoints.join(', ')}`);
        result.verify = { percent: params.verifyPercent, chunksChecked: v.chunksChecked, damagedPoints: v.damagedPoints, healedPoints: v.healedPoints };
        if (v.damagedPoints.length > 0) {
          throw new MaintenanceDamageError(v.damagedPoints, result);
        }
      }
      return result;
    },
  };
}

/** A failed maintenance run's result: what it found when verification found damage, else none. */
export function maintenanceResultOfFailure(err: unknown): MaintenanceResult | undefined {
  return err instanceof MaintenanceDamageError ? err.jobResult : undefined;
}

/**
 * Verification found damage: the job fails so that it is seen, naming the points affected. The
 * run's result so far (`jobResult`, with every damaged point) is kept as the failed job's result
 * (`maintenanceResultOfFailure`, the maintenance handler's `resultOfFailure`).
 */
export class MaintenanceDamageError extends LifelineError {
  constructor(
    readonly points: string[],
    readonly jobResult?: MaintenanceResult,
  ) {
    super(
      'repository-damaged',
      `verification found damage in ${points.length} restore points (${points.slice(0, 5).join(', ')}${points.length > 5 ? ', …' : ''}); ` +
        'the next backup of each affected VM writes the damaged data again',
      { points: points.slice(0, 50) },
    );
  }
}

export interface MaintenanceScheduleOptions {
  runner: { submit(req: JobRequest<MaintenanceParams>): SubmitResult };
  clock: Clock;
  log: Logger;
  /** The time of day of every run, server local time. Without it: firstDelayMs, then every intervalMs. */
  at?: DailyTime;
  /** Between runs when no `at` is given; default 24 hours. */
  intervalMs?: number;
  /** Before the first run when no `at` is given; default 30 minutes. */
  firstDelayMs?: number;
  verifyPercent?: number;
}

/** Minutes a run at a time of day is kept from the one before (a timer may fire a little early). */
const MIN_GAP_MS = 60_000;

/**
 * The next time it is `at` o'clock locally, strictly after `after`. Computed on the calendar, not
 * as 24 hours on: across a daylight-saving change the run stays at its hour (a time the change
 * skips runs at the first valid time after it).
 */
export function nextDailyRun(after: number, at: DailyTime): number {
  const d = new Date(after);
  d.setHours(at.hour, at.minute, 0, 0);
  while (d.getTime() <= after) {
    d.setDate(d.getDate() + 1);
    d.setHours(at.hour, at.minute, 0, 0);
  }
  return d.getTime();
}

export interface MaintenanceSchedule {
  /** When the next scheduled run is due (epoch ms). */
  nextRunAt(): number;
  stop(): void;
}

/** Submits a maintenance run on schedule; a run still active is not submitted twice. */
export function startMaintenanceSchedule(o: MaintenanceScheduleOptions): MaintenanceSchedule {
  const log = o.log.child({ component: 'maintenance' });
  let timer: Timer | null = null;
  let stopped = false;
  let due = 0;
  const arm = (delayMs: number): void => {
    due = o.clock.now() + delayMs;
    timer = o.clock.setTimer(delayMs, tick);
  };
  const armNext = (): void => {
    if (o.at) {
      const now = o.clock.now();
      arm(nextDailyRun(Math.max(now, due + MIN_GAP_MS), o.at) - now);
    } else {
      arm(o.intervalMs ?? 24 * 3_600_000);
    }
  };
  const tick = (): void => {
    try {
      const r = o.runner.submit({
        kind: MAINTENANCE_JOB_KIND,
        target: MAINTENANCE_TARGET,
        params: { trigger: 'schedule', verifyPercent: o.verifyPercent ?? DEFAULT_VERIFY_PERCENT },
        requestedBy: null,
      });
      if (!r.created) log.info('repository maintenance still running from before; not submitted again', { jobId: r.job.id });
    } catch (err) {
      log.error('could not submit repository maintenance', { err: err instanceof Error ? err.message : String(err) });
    }
    if (!stopped) armNext();
  };
  if (o.at) {
    const now = o.clock.now();
    arm(nextDailyRun(now, o.at) - now);
  } else {
    arm(o.firstDelayMs ?? 30 * 60_000);
  }
  log.info('repository maintenance scheduled', { nextRunAt: new Date(due).toISOString() });
  return {
    nextRunAt: () => due,
    stop: () => {
      stopped = true;
      timer?.cancel();
    },
  };
}
