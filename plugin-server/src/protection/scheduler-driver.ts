/**
 * The scheduler's driver: on a timer (and whenever a job ends and frees a slot) it gathers the
 * facts the planner (scheduler-planner.ts) needs, submits the planned backups to the job runner, and re-assesses RPO
 * compliance, announcing each VM whose status changed. It keeps nothing that matters in memory:
 * the catalog has the policies, assignments, jobs and last announced statuses, so a restart loses
 * nothing and announces nothing twice.
 *
 * The backup itself is the 'backup' job kind, registered on the runner by the backup pipeline;
 * this driver only decides when to ask for one.
 */
import { LifelineError, describeError } from '../errors/index.js';
import type { ConcurrencyLimits, JobRecord, JobRunner, SubmitResult, Unsubscribe } from '../jobs/index.js';
import { vmKey, vmTarget, type Clock, type Timer, type VmRef } from '../domain/index.js';
import { isTerminal, keyClass, keyLimit, targetKey } from '../jobs/index.js';
import type { Logger } from '../log/index.js';
import type { PolicyStore, VmProtection } from './policy-store-type.js';
import type { ProtectionPolicy } from './policy.js';
import { assessRpo, type RpoAssessment, type RpoStatus } from './rpo-compliance.js';
import { DEFAULT_PLAN_OPTIONS, planBackups, type PlanOptions, type ScheduleCandidate, type SkipReason } from './scheduler-planner.js';

export const BACKUP_JOB_KIND = 'backup';
const DATASTORE_CLASS = 'datastore';
const MIN_DURATION_SAMPLES = 10;

/** Params of a 'backup' job. */
export interface BackupJobParams {
  vm: VmRef;
  policyId: string;
  trigger: 'schedule' | 'manual';
}

/** Newest good restore point per VM; the repository's catalog answers this. */
export interface RestorePointSource {
  /** Map from vmKey() to the time (ms) of the VM's newest good point, or null when it has none. */
  lastGoodPoints(vms: readonly VmRef[], signal: AbortSignal): Promise<ReadonlyMap<string, number | null>>;
}

/** Which datastores hold each VM's disks; vCenter's inventory answers this. */
export interface VmPlacementSource {
  /** Map from vmKey() to datastore ids (e.g. 'datastore-12'); a VM missing from the map counts only globally. */
  datastoresOf(vms: readonly VmRef[], signal: AbortSignal): Promise<ReadonlyMap<string, readonly string[]>>;
}

export interface RpoCompliance extends RpoAssessment {
  vm: VmRef;
  policyId: string;
  lastGoodPointAt: string | null;
  paused: boolean;
}

export interface RpoChange {
  vm: VmRef;
  policyId: string;
  from: RpoStatus | null;
  to: RpoStatus;
  at: string;
  compliance: RpoCompliance;
}

export interface TickReport {
  started: JobRecord[];
  skipped: Partial<Record<SkipReason, number>>;
  changes: RpoChange[];
}

export interface ProtectionSchedulerOptions {
  runner: JobRunner;
  policies: PolicyStore;
  points: RestorePointSource;
  placement: VmPlacementSource;
  clock: Clock;
  log: Logger;
  /** The same limits the runner enforces; the planner uses `global` and `perKeyClass.datastore`. */
  limits: ConcurrencyLimits;
  /** Default 15 s. */
  tickMs?: number;
  /**
   * Extra rounds (after a job ends, when a VM comes due) run at most this often. Default 2 s: far
   * inside the planner's safety margin, and it spares a round per finished job on a busy system.
   */
  minRoundGapMs?: number;
  plan?: Partial<PlanOptions>;
  /** Successful backups looked at to estimate a VM's backup duration. Default 20. */
  durationSamples?: number;
  /**
   * VMs whose backups are held by another use case, by vmKey() — a VM in a temporary revert runs
   * on restored disks until the revert is cancelled or made permanent. Held VMs are skipped like
   * paused ones and "back up now" refuses them. Default: none.
   */
  held?: () => ReadonlySet<string>;
}

export class ProtectionScheduler {
  private readonly o: Required<Omit<ProtectionSchedulerOptions, 'plan'>> & { plan: PlanOptions };
  private readonly log: Logger;
  private readonly listeners = new Set<(change: RpoChange) => void>();
  private lifetime = new AbortController();
  private timer: Timer | null = null;
  private soon: Timer | null = null;
  private dueTimer: Timer | null = null;
  private unsubscribeJobs: Unsubscribe | null = null;
  private running: Promise<TickReport> | null = null;
  private again = false;
  private againAssess = false;
  private lastRoundAt = Number.NEGATIVE_INFINITY;
  /**
   * Expected backup duration per vmKey, read from the job history; kept only while started, when
   * the job subscription drops a VM's entry as soon as one of its backups succeeds.
   */
  private readonly durationCache = new Map<string, number | null>();

  constructor(opts: ProtectionSchedulerOptions) {
    this.o = { tickMs: 15_000, minRoundGapMs: 2000, durationSamples: 20, held: () => new Set(), ...opts, plan: { ...DEFAULT_PLAN_OPTIONS, ...opts.plan } };
    this.log = opts.log.child({ component: 'scheduler' });
  }

  /** Ticks now and then every tickMs, and soon after any job ends (a slot is free). */
  start(): void {
    if (this.timer || this.unsubscribeJobs) return;
    this.lifetime = new AbortController();
    this.unsubscribeJobs = this.o.runner.subscribe((e) => {
      if (e.type !== 'state') return;
      const job = e.job;
      if (job.kind === BACKUP_JOB_KIND && job.state === 'succeeded' && job.target.vcenterGuid !== null) {
        this.durationCache.delete(vmKey({ vcenterGuid: job.target.vcenterGuid, moref: job.target.id }));
      }
      // A job that ended, or went back to wait out a retry, has freed its slot.
      if ((isTerminal(job.state) || job.state === 'queued') && job.attempt > 0) this.tickSoon();
    });
    const loop = () => {
      this.timer = this.o.clock.setTimer(this.o.tickMs, loop);
      this.runTick(true);
    };
    loop();
  }

  stop(): void {
    this.timer?.cancel();
    this.soon?.cancel();
    this.dueTimer?.cancel();
    this.timer = null;
    this.soon = null;
    this.dueTimer = null;
    this.unsubscribeJobs?.();
    this.unsubscribeJobs = null;
    this.durationCache.clear();
    this.lifetime.abort(new LifelineError('shutdown', 'the scheduler is stopping'));
  }

  /** Subscribes to RPO status changes (out of compliance, back in). */
  onRpoChange(listener: (change: RpoChange) => void): Unsubscribe {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** One planning round followed by an RPO compliance assessment. */
  tick(signal: AbortSignal = this.lifetime.signal): Promise<TickReport> {
    return this.schedule(true, signal);
  }

  /**
   * Rounds never overlap: a request during a round makes one more round run after it, and every
   * caller gets the report of all rounds up to then (jobs started and changes announced).
   */
  private schedule(assess: boolean, signal: AbortSignal): Promise<TickReport> {
    if (this.running) {
      this.again = true;
      this.againAssess ||= assess;
      return this.running;
    }
    const rounds = async (): Promise<TickReport> => {
      const total: TickReport = { started: [], skipped: {}, changes: [] };
      let withAssess = assess;
      do {
        this.again = false;
        this.againAssess = false;
        const r = await this.round(signal, withAssess);
        total.started.push(...r.started);
        total.changes.push(...r.changes);
        total.skipped = r.skipped;
        withAssess = this.againAssess;
      } while (this.again && !signal.aborted);
      return total;
    };
    this.running = rounds().finally(() => {
      this.running = null;
    });
    return this.running;
  }

  /**
   * "Back up now": queued at once with a higher priority than scheduled backups, whatever the
   * RPO or window says. If a backup of the VM is already queued or running, that job is returned
   * (created: false); if another kind of job holds the VM, JobBusyError ('busy').
   */
  async backupNow(vm: VmRef, requestedBy: string, signal: AbortSignal): Promise<SubmitResult> {
    const p = this.o.policies.getProtection(vm);
    if (!p) throw new LifelineError('not-protected', `VM ${vm.moref} has no protection policy; assign one first`, { vm });
    if (p.paused) {
      throw new LifelineError('vm-paused', `backups of VM ${vm.moref} are paused (${p.pauseReason ?? 'no reason given'})`, { vm, reason: p.pauseReason });
    }
    if (this.o.held().has(vmKey(vm))) {
      throw new LifelineError('vm-paused', `backups of VM ${vm.moref} are held while it is in a temporary revert; cancel the revert or make it permanent first`, { vm, reason: 'temporary-revert' });
    }
    const placement = await this.o.placement.datastoresOf([vm], signal);
    return this.submit(vm, p.policyId, placement.get(vmKey(vm)) ?? [], 'manual', requestedBy);
  }

  /** Current RPO compliance of every protected VM, for the dashboard. */
  async compliance(signal: AbortSignal): Promise<RpoCompliance[]> {
    const protections = this.o.policies.listProtections();
    const points = await this.o.points.lastGoodPoints(protections.map((p) => p.vm), signal);
    const active = new Map(this.o.runner.activeJobs().map((j) => [targetKey(j.target), j]));
    return this.assess(protections, this.policyMap(), points, this.durations(protections), active, this.o.clock.now());
  }

  private runTick(assess: boolean): void {
    this.schedule(assess, this.lifetime.signal).catch((err: unknown) => {
      if (!this.lifetime.signal.aborted) this.log.error('scheduling round failed', { err: describeError(err) });
    });
  }

  private tickSoon(): void {
    if (this.soon || this.lifetime.signal.aborted) return;
    // A slot was freed: plan at once. Compliance waits for the regular tick; judging it after
    // every job would cost a full assessment per finished backup and tell nothing new.
    this.soon = this.o.clock.setTimer(this.gapLeft(this.o.clock.now()), () => {
      this.soon = null;
      this.runTick(false);
    });
  }

  /**
   * Plans again exactly when the next VM comes due, so a VM does not lose up to a tick of its
   * lead waiting for the regular timer (only while the driver runs on its timer).
   */
  private wakeAt(at: number | null): void {
    if (!this.timer || this.lifetime.signal.aborted) return;
    this.dueTimer?.cancel();
    this.dueTimer = null;
    if (at === null) return;
    const now = this.o.clock.now();
    this.dueTimer = this.o.clock.setTimer(Math.max(Math.ceil(at) - now, this.gapLeft(now)), () => {
      this.dueTimer = null;
      this.runTick(false);
    });
  }

  private gapLeft(now: number): number {
    return Math.max(0, this.lastRoundAt + this.o.minRoundGapMs - now);
  }

  private async round(signal: AbortSignal, assess: boolean): Promise<TickReport> {
    this.lastRoundAt = this.o.clock.now();
    const protections = this.o.policies.listProtections();
    const policies = this.policyMap();
    const vms = protections.map((p) => p.vm);
    const [points, placement] = await Promise.all([this.o.points.lastGoodPoints(vms, signal), this.o.placement.datastoresOf(vms, signal)]);
    signal.throwIfAborted();
    const now = this.o.clock.now();

    const active = this.o.runner.activeJobs();
    const activeByTarget = new Map(active.map((j) => [targetKey(j.target), j]));
    // Jobs that occupy a slot now or will as soon as one frees; jobs waiting out a retry backoff do not.
    const occupying = active.filter((j) => j.state === 'running' || (j.state === 'queued' && (j.nextAttemptAt === null || Date.parse(j.nextAttemptAt) <= now)));
    const perDatastore = new Map<string, number>();
    for (const j of occupying) {
      for (const k of j.limitKeys) {
        if (keyClass(k) !== DATASTORE_CLASS) continue;
        const ds = k.slice(DATASTORE_CLASS.length + 1);
        perDatastore.set(ds, (perDatastore.get(ds) ?? 0) + 1);
      }
    }
    const durations = this.durations(protections);
    const held = this.o.held();

    const candidates: ScheduleCandidate[] = [];
    for (const p of protections) {
      const policy = policies.get(p.policyId);
      if (!policy) continue;
      const key = vmKey(p.vm);
      candidates.push({
        vm: p.vm,
        policy,
        lastGoodPointAt: points.get(key) ?? null,
        assignedAt: Date.parse(p.assignedAt),
        busy: activeByTarget.has(targetKey(vmTarget(p.vm))),
        paused: p.paused || held.has(key),
        datastores: [...new Set(placement.get(key) ?? [])],
        expectedDurationSeconds: durations.get(key) ?? null,
      });
    }
    const plan = planBackups(
      now,
      candidates,
      {
        globalLimit: this.o.limits.global,
        datastoreLimit: keyLimit(this.o.limits, `${DATASTORE_CLASS}:`),
        activeGlobal: occupying.length,
        activePerDatastore: perDatastore,
      },
      this.o.plan,
    );

    const started: JobRecord[] = [];
    for (const b of plan.start) {
      try {
        const r = this.submit(b.vm, b.policyId, b.datastores, 'schedule', 'scheduler');
        if (r.created) started.push(r.job);
      } catch (err) {
        // A user's job may have taken the VM since the facts were read; the next round sees it.
        this.log.warn('scheduled backup not submitted', { vm: vmKey(b.vm), err: describeError(err) });
      }
    }
    this.wakeAt(plan.nextDueAt);
    const skipped: Partial<Record<SkipReason, number>> = {};
    for (const s of plan.skipped) skipped[s.reason] = (skipped[s.reason] ?? 0) + 1;

    if (!assess) return { started, skipped, changes: [] };
    // Jobs just submitted are queued or running now; compliance judges with them.
    const nowActive = new Map(this.o.runner.activeJobs().map((j) => [targetKey(j.target), j]));
    const changes = this.announce(protections, this.assess(protections, policies, points, durations, nowActive, now), now);
    return { started, skipped, changes };
  }

  private submit(vm: VmRef, policyId: string, datastores: readonly string[], trigger: BackupJobParams['trigger'], requestedBy: string): SubmitResult {
    const params: BackupJobParams = { vm: { vcenterGuid: vm.vcenterGuid, moref: vm.moref }, policyId, trigger };
    return this.o.runner.submit({
      kind: BACKUP_JOB_KIND,
      target: vmTarget(vm),
      params,
      limitKeys: [...new Set(datastores)].map((ds) => `${DATASTORE_CLASS}:${ds}`),
      priority: trigger === 'manual' ? 10 : 0,
      requestedBy,
    });
  }

  /** Expected backup duration (s) per vmKey, from each VM's recent successful backups. */
  private durations(protections: readonly VmProtection[]): Map<string, number | null> {
    const out = new Map<string, number | null>();
    for (const p of protections) {
      const key = vmKey(p.vm);
      let expected = this.unsubscribeJobs ? this.durationCache.get(key) : undefined;
      if (expected === undefined) {
        const d = this.o.runner.recentDurations(vmTarget(p.vm), BACKUP_JOB_KIND, this.o.durationSamples);
        expected = estimateDuration(d.map((ms) => ms / 1000), this.o.plan.defaultExpectedDurationSeconds);
        if (this.unsubscribeJobs) this.durationCache.set(key, expected);
      }
      out.set(key, expected);
    }
    return out;
  }

  private policyMap(): Map<string, ProtectionPolicy> {
    return new Map(this.o.policies.listPolicies().map((p) => [p.id, p]));
  }

  private assess(
    protections: readonly VmProtection[],
    policies: ReadonlyMap<string, ProtectionPolicy>,
    points: ReadonlyMap<string, number | null>,
    durations: ReadonlyMap<string, number | null>,
    active: ReadonlyMap<string, JobRecord>,
    now: number,
  ): RpoCompliance[] {
    const out: RpoCompliance[] = [];
    const held = this.o.held();
    for (const p of protections) {
      const policy = policies.get(p.policyId);
      if (!policy) continue;
      const last = points.get(vmKey(p.vm)) ?? null;
      const job = active.get(targetKey(vmTarget(p.vm)));
      const running = job && job.kind === BACKUP_JOB_KIND && job.state === 'running' ? { etaSeconds: job.progress.etaSeconds } : null;
      const a = assessRpo(now, {
        rpoSeconds: policy.rpoSeconds,
        lastGoodPointAt: last,
        assignedAt: Date.parse(p.assignedAt),
        expectedDurationSeconds: durations.get(vmKey(p.vm)) ?? null,
        running,
      });
      out.push({ ...a, vm: p.vm, policyId: p.policyId, lastGoodPointAt: last === null ? null : new Date(last).toISOString(), paused: p.paused || held.has(vmKey(p.vm)) });
    }
    return out;
  }

  private announce(protections: readonly VmProtection[], all: readonly RpoCompliance[], now: number): RpoChange[] {
    const changes: RpoChange[] = [];
    const previous = new Map(protections.map((p) => [vmKey(p.vm), p.rpoStatus]));
    for (const c of all) {
      const from = previous.get(vmKey(c.vm)) ?? null;
      if (from === c.status) continue;
      this.o.policies.setRpoStatus(c.vm, c.status, now);
      const change: RpoChange = { vm: c.vm, policyId: c.policyId, from, to: c.status, at: new Date(now).toISOString(), compliance: c };
      changes.push(change);
      if (c.status === 'violated' || from === 'violated') {
        this.log.warn(c.status === 'violated' ? 'VM out of RPO compliance' : 'VM back within its RPO', { vm: vmKey(c.vm), from, to: c.status, ageSeconds: c.ageSeconds });
      }
      for (const l of [...this.listeners]) {
        try {
          l(change);
        } catch (err) {
          this.log.error('RPO change listener failed', { err: describeError(err) });
        }
      }
    }
    return changes;
  }
}

/**
 * Expected duration (s) of a VM's next backup from its recent ones: the longest, plus the spread
 * divided by the number of gaps between samples (the usual estimate of a range's upper end from a
 * sample), because the longest of a few runs underestimates the next long one. A VM with steady
 * backups gets about its longest; one with few or no samples gets at least the default.
 */
export function estimateDuration(samplesSeconds: readonly number[], defaultSeconds: number): number | null {
  const n = samplesSeconds.length;
  if (n === 0) return null;
  const longest = Math.max(...samplesSeconds);
  const shortest = Math.min(...samplesSeconds);
  const estimate = n > 1 ? longest + (longest - shortest) / (n - 1) : longest;
  return n < MIN_DURATION_SAMPLES ? Math.max(estimate, defaultSeconds) : estimate;
}
