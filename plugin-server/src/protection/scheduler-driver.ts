/**
 * The scheduler's driver: it gathers the facts the planner (scheduler-planner.ts) needs, queues the
 * planned backups on the job runner (each with its VM's RPO deadline and its datastore and host
 * slot keys; the runner starts them earliest deadline first as slots free), and re-assesses RPO
 * compliance, announcing and logging each VM whose status changed — once per change.
 *
 * It plans when something changes, not on a fixed pace: when a job ends (a VM's point is new or
 * its backup failed, a slot is free), exactly when the next VM comes due, and on a regular tick
 * that also refreshes where the VMs live (vCenter's inventory is not asked on every round).
 *
 * It keeps nothing that matters in memory: the catalog has the policies, assignments, jobs and
 * last announced statuses, so a restart loses nothing and announces nothing twice. What it does
 * keep (placement, measured durations, when a VM's backup last failed) is read again on start.
 *
 * The backup itself is the 'backup' job kind, registered on the runner by the backup pipeline;
 * this driver only decides when to ask for one.
 */
import { LifelineError, describeError } from '../errors/index.js';
import type { ConcurrencyLimits, JobRecord, JobRunner, SubmitResult, Unsubscribe } from '../jobs/index.js';
import { vmKey, vmTarget, type Clock, type Timer, type VmRef } from '../domain/index.js';
import { isTerminal, targetKey } from '../jobs/index.js';
import type { Logger } from '../log/index.js';
import type { PolicyStore, VmProtection } from './policy-store-type.js';
import type { ProtectionPolicy } from './policy.js';
import { assessRpo, type RpoAssessment, type RpoStatus } from './rpo-compliance.js';
import { assessFeasibility, type FeasibilityReport, type FeasibilityVm } from './feasibility.js';
import { DEFAULT_PLAN_OPTIONS, planBackups, type PlanOptions, type ScheduleCandidate, type SkipReason } from './scheduler-planner.js';

export const BACKUP_JOB_KIND = 'backup';
/** Slot key classes of a backup job: one key per datastore of its disks and one for its host. */
export const DATASTORE_CLASS = 'datastore';
export const HOST_CLASS = 'host';

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

/** Where each VM lives (its disks' datastores, its host); vCenter's inventory answers this. */
export interface VmPlacementSource {
  /** Map from vmKey() to datastore ids (e.g. 'datastore-12'); a VM missing from the map counts only globally. */
  datastoresOf(vms: readonly VmRef[], signal: AbortSignal): Promise<ReadonlyMap<string, readonly string[]>>;
  /** Map from vmKey() to the id of the host running the VM (e.g. 'host-21'); without it no per-host limit applies. */
  hostsOf?(vms: readonly VmRef[], signal: AbortSignal): Promise<ReadonlyMap<string, string>>;
}

/** A VM's backup duration (s) as measured (for compliance) and as the planner leads with (padded while few are measured). */
interface Durations {
  measured: number | null;
  planned: number | null;
}

interface Placement {
  datastores: readonly string[];
  host: string | null;
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
  /** The same limits the runner enforces (`global`, `perKeyClass.datastore`, `perKeyClass.host`). */
  limits: ConcurrencyLimits;
  /** Regular rounds, which also re-read where the VMs live. Default 15 s. */
  tickMs?: number;
  plan?: Partial<PlanOptions>;
  /** Successful backups looked at to estimate a VM's backup duration. Default 20. */
  durationSamples?: number;
  /**
   * VMs whose backups are held by another use case, by vmKey() — a VM in a temporary revert runs
   * on restored disks until the revert is cancelled or made permanent. Held VMs are skipped like
   * paused ones and "back up now" refuses them. Default: none.
   */
  held?: () => ReadonlySet<string>;
  /** Why a held VM is held, by vmKey(), for "back up now"'s refusal; default: a temporary revert. */
  heldReason?: (key: string) => string | undefined;
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
  private againRefresh = false;
  /** Where each VM lives, by vmKey(); re-read on the regular tick and for VMs not seen before. */
  private readonly placements = new Map<string, Placement>();
  /**
   * When each VM's last backup failed (ms), by vmKey(); null when its last one did not fail. Read
   * from the job history the first time a VM is planned, then kept current from job events.
   */
  private readonly lastFailures = new Map<string, number | null>();
  /**
   * Expected backup duration per vmKey, read from the job history; kept only while started, when
   * the job subscription drops a VM's entry as soon as one of its backups succeeds.
   */
  private readonly durationCache = new Map<string, Durations>();

  constructor(opts: ProtectionSchedulerOptions) {
    this.o = { tickMs: 15_000, durationSamples: 20, held: () => new Set(), heldReason: () => undefined, ...opts, plan: { ...DEFAULT_PLAN_OPTIONS, ...opts.plan } };
    this.log = opts.log.child({ component: 'scheduler' });
  }

  /** Plans now and then every tickMs, as soon as any job ends, and whenever a VM comes due. */
  start(): void {
    if (this.timer || this.unsubscribeJobs) return;
    this.lifetime = new AbortController();
    this.unsubscribeJobs = this.o.runner.subscribe((e) => {
      if (e.type !== 'state') return;
      const job = e.job;
      if (job.kind === BACKUP_JOB_KIND && isTerminal(job.state) && job.target.vcenterGuid !== null) {
        const key = vmKey({ vcenterGuid: job.target.vcenterGuid, moref: job.target.id });
        if (job.state === 'succeeded') {
          this.durationCache.delete(key);
          this.lastFailures.set(key, null);
        } else if (job.state === 'failed') {
          this.lastFailures.set(key, this.o.clock.now());
        }
      }
      // A job that ended changed a VM's point or freed it; the runner has already given its slot
      // to the next queued backup, and this round queues what has come due since.
      if (isTerminal(job.state) && job.attempt > 0) this.roundSoon();
    });
    const loop = () => {
      this.timer = this.o.clock.setTimer(this.o.tickMs, loop);
      this.runRound(true);
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
    this.placements.clear();
    this.lastFailures.clear();
    this.lifetime.abort(new LifelineError('shutdown', 'the scheduler is stopping'));
  }

  /** Plans again at once, e.g. after a VM was given a policy: its first backup need not wait for the tick. */
  nudge(): void {
    if (this.timer) this.roundSoon();
  }

  /** Subscribes to RPO status changes (out of compliance, back in). */
  onRpoChange(listener: (change: RpoChange) => void): Unsubscribe {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** One planning round (re-reading where the VMs live) followed by an RPO compliance assessment. */
  tick(signal: AbortSignal = this.lifetime.signal): Promise<TickReport> {
    return this.schedule(true, signal);
  }

  /**
   * Rounds never overlap: a request during a round makes one more round run after it, and every
   * caller gets the report of all rounds up to then (jobs queued and changes announced).
   */
  private schedule(refresh: boolean, signal: AbortSignal): Promise<TickReport> {
    if (this.running) {
      this.again = true;
      this.againRefresh ||= refresh;
      return this.running;
    }
    const rounds = async (): Promise<TickReport> => {
      const total: TickReport = { started: [], skipped: {}, changes: [] };
      let withRefresh = refresh;
      do {
        this.again = false;
        this.againRefresh = false;
        const r = await this.round(signal, withRefresh);
        total.started.push(...r.started);
        total.changes.push(...r.changes);
        total.skipped = r.skipped;
        withRefresh = this.againRefresh;
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
      const why = this.o.heldReason(vmKey(vm));
      if (why !== undefined) throw new LifelineError('vm-paused', `backups of VM ${vm.moref} are held: ${why}`, { vm, reason: 'held' });
      throw new LifelineError('vm-paused', `backups of VM ${vm.moref} are held while it is in a temporary revert; cancel the revert or make it permanent first`, { vm, reason: 'temporary-revert' });
    }
    const placement = await this.readPlacement([vm], signal);
    return this.submit(vm, p.policyId, placement.get(vmKey(vm)) ?? { datastores: [], host: null }, 'manual', requestedBy, null);
  }

  /** Current RPO compliance of every protected VM, for the dashboard. */
  async compliance(signal: AbortSignal): Promise<RpoCompliance[]> {
    const protections = this.o.policies.listProtections();
    const points = await this.o.points.lastGoodPoints(protections.map((p) => p.vm), signal);
    const active = new Map(this.o.runner.activeJobs('').map((j) => [targetKey(j.target), j]));
    return this.assess(protections, this.policyMap(), points, this.durations(protections), active, this.o.clock.now());
  }

  /**
   * Whether each policy's VMs can meet its RPO with their measured backup durations and the
   * configured slots (feasibility.ts). Placement is as the last round saw it; a VM not yet placed
   * counts only against the global limit.
   */
  feasibility(): FeasibilityReport {
    const protections = this.o.policies.listProtections();
    const policies = this.policyMap();
    const durations = this.durations(protections);
    const vms: FeasibilityVm[] = [];
    for (const p of protections) {
      const policy = policies.get(p.policyId);
      if (!policy) continue;
      const key = vmKey(p.vm);
      const placement = this.placements.get(key);
      vms.push({ key, policyId: policy.id, rpoSeconds: policy.rpoSeconds, durationSeconds: durations.get(key)?.measured ?? null, datastores: placement?.datastores ?? [], host: placement?.host ?? null });
    }
    const per = this.o.limits.perKeyClass ?? {};
    return assessFeasibility(vms, { global: this.o.limits.global, perDatastore: per[DATASTORE_CLASS], perHost: per[HOST_CLASS] });
  }

  private runRound(refresh: boolean): void {
    this.schedule(refresh, this.lifetime.signal).catch((err: unknown) => {
      if (!this.lifetime.signal.aborted) this.log.error('scheduling round failed', { err: describeError(err) });
    });
  }

  /** A round as soon as the current one (if any) ends; many requests meanwhile make one round. */
  private roundSoon(): void {
    if (this.soon || this.lifetime.signal.aborted) return;
    this.soon = this.o.clock.setTimer(0, () => {
      this.soon = null;
      this.runRound(false);
    });
  }

  /** Plans again exactly when the next VM comes due (only while the driver runs on its timer). */
  private wakeAt(at: number | null): void {
    if (!this.timer || this.lifetime.signal.aborted) return;
    this.dueTimer?.cancel();
    this.dueTimer = null;
    if (at === null) return;
    this.dueTimer = this.o.clock.setTimer(Math.max(0, Math.ceil(at) - this.o.clock.now()), () => {
      this.dueTimer = null;
      this.runRound(false);
    });
  }

  /** Where the VMs live: from vCenter for VMs not seen before (all of them when `refresh`), else as last read. */
  private async placementsFor(vms: readonly VmRef[], refresh: boolean, signal: AbortSignal): Promise<Map<string, Placement>> {
    const missing = refresh ? vms : vms.filter((vm) => !this.placements.has(vmKey(vm)));
    if (missing.length > 0) {
      const read = await this.readPlacement(missing, signal);
      for (const vm of missing) {
        const key = vmKey(vm);
        this.placements.set(key, read.get(key) ?? { datastores: [], host: null });
      }
    }
    const out = new Map<string, Placement>();
    for (const vm of vms) out.set(vmKey(vm), this.placements.get(vmKey(vm)) ?? { datastores: [], host: null });
    return out;
  }

  private async readPlacement(vms: readonly VmRef[], signal: AbortSignal): Promise<Map<string, Placement>> {
    const [datastores, hosts] = await Promise.all([this.o.placement.datastoresOf(vms, signal), this.o.placement.hostsOf?.(vms, signal)]);
    const out = new Map<string, Placement>();
    for (const vm of vms) {
      const key = vmKey(vm);
      out.set(key, { datastores: [...new Set(datastores.get(key) ?? [])], host: hosts?.get(key) ?? null });
    }
    return out;
  }

  /** When the VM's last backup failed, from the job history the first time, then from job events. */
  private lastFailureOf(vm: VmRef): number | null {
    const key = vmKey(vm);
    let at = this.lastFailures.get(key);
    if (at === undefined) {
      const last = this.o.runner.list({ target: vmTarget(vm), kind: BACKUP_JOB_KIND, states: ['succeeded', 'failed'], limit: 1 }).items[0];
      at = last?.state === 'failed' && last.finishedAt !== null ? Date.parse(last.finishedAt) : null;
      if (this.unsubscribeJobs) this.lastFailures.set(key, at);
    }
    return at;
  }

  private async round(signal: AbortSignal, refresh: boolean): Promise<TickReport> {
    const protections = this.o.policies.listProtections();
    const policies = this.policyMap();
    const vms = protections.map((p) => p.vm);
    const [points, placement] = await Promise.all([this.o.points.lastGoodPoints(vms, signal), this.placementsFor(vms, refresh, signal)]);
    signal.throwIfAborted();
    const now = this.o.clock.now();

    // A VM is busy with a job of the backups' lane (a backup, a restore); a replication or an
    // object copy of its points has a lane of its own and never holds its next backup back.
    const activeByTarget = new Map(this.o.runner.activeJobs('').map((j) => [targetKey(j.target), j]));
    const durations = this.durations(protections);
    const held = this.o.held();

    const candidates: ScheduleCandidate[] = [];
    for (const p of protections) {
      const policy = policies.get(p.policyId);
      if (!policy) continue;
      const key = vmKey(p.vm);
      const busy = activeByTarget.has(targetKey(vmTarget(p.vm)));
      candidates.push({
        vm: p.vm,
        policy,
        lastGoodPointAt: points.get(key) ?? null,
        assignedAt: Date.parse(p.assignedAt),
        busy,
        paused: p.paused || held.has(key),
        expectedDurationSeconds: durations.get(key)?.planned ?? null,
        lastFailureAt: busy ? null : this.lastFailureOf(p.vm),
      });
    }
    const plan = planBackups(now, candidates, this.o.plan);

    const started: JobRecord[] = [];
    for (const b of plan.start) {
      try {
        const r = this.submit(b.vm, b.policyId, placement.get(vmKey(b.vm)) ?? { datastores: [], host: null }, 'schedule', 'scheduler', b.deadline);
        if (r.created) started.push(r.job);
      } catch (err) {
        // A user's job may have taken the VM since the facts were read; the next round sees it.
        this.log.warn('scheduled backup not submitted', { vm: vmKey(b.vm), err: describeError(err) });
      }
    }
    this.wakeAt(plan.nextDueAt);
    const skipped: Partial<Record<SkipReason, number>> = {};
    for (const s of plan.skipped) skipped[s.reason] = (skipped[s.reason] ?? 0) + 1;

    // Jobs just queued count as queued now; compliance judges with them.
    const nowActive = new Map(this.o.runner.activeJobs('').map((j) => [targetKey(j.target), j]));
    const changes = this.announce(protections, this.assess(protections, policies, points, durations, nowActive, now), now);
    return { started, skipped, changes };
  }

  private submit(vm: VmRef, policyId: string, placement: Placement, trigger: BackupJobParams['trigger'], requestedBy: string, deadline: number | null): SubmitResult {
    const params: BackupJobParams = { vm: { vcenterGuid: vm.vcenterGuid, moref: vm.moref }, policyId, trigger };
    const limitKeys = [...new Set(placement.datastores)].map((ds) => `${DATASTORE_CLASS}:${ds}`);
    if (placement.host !== null) limitKeys.push(`${HOST_CLASS}:${placement.host}`);
    return this.o.runner.submit({
      kind: BACKUP_JOB_KIND,
      target: vmTarget(vm),
      params,
      limitKeys,
      priority: trigger === 'manual' ? 10 : 0,
      deadline,
      // A scheduled backup that has not started gives way to a user's restore of the VM.
      yieldsWhileQueued: trigger === 'schedule',
      requestedBy,
    });
  }

  /** Backup durations (s) per vmKey, from each VM's recent successful backups. */
  private durations(protections: readonly VmProtection[]): Map<string, Durations> {
    const out = new Map<string, Durations>();
    for (const p of protections) {
      const key = vmKey(p.vm);
      let expected = this.unsubscribeJobs ? this.durationCache.get(key) : undefined;
      if (expected === undefined) {
        const d = this.o.runner.recentDurations(vmTarget(p.vm), BACKUP_JOB_KIND, this.o.durationSamples).map((ms) => ms / 1000);
        expected = { measured: estimateDuration(d), planned: planningDuration(d) };
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
    durations: ReadonlyMap<string, Durations>,
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
        expectedDurationSeconds: durations.get(vmKey(p.vm))?.measured ?? null,
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
      // One line per change of status (the catalog remembers the last one across restarts).
      const fields = { vm: vmKey(c.vm), policyId: c.policyId, from, to: c.status, ageSeconds: c.ageSeconds, rpoSeconds: c.rpoSeconds };
      if (c.status === 'violated') this.log.warn('VM out of RPO compliance', fields);
      else if (from === 'violated') this.log.info('VM back within its RPO', fields);
      else this.log.info('VM RPO status changed', fields);
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

/** Below this many measured backups, the planner pads a VM's estimate (see planningDuration). */
export const SETTLED_DURATION_SAMPLES = 10;

/**
 * Expected duration (s) of a VM's next backup from its recent ones: the longest, plus the spread
 * divided by the number of gaps between samples (the usual estimate of a range's upper end from a
 * sample), because the longest of a few runs underestimates the next long one. Null without any
 * sample. RPO compliance judges with this from the first measured backup on.
 */
export function estimateDuration(samplesSeconds: readonly number[]): number | null {
  const n = samplesSeconds.length;
  if (n === 0) return null;
  const longest = Math.max(...samplesSeconds);
  const shortest = Math.min(...samplesSeconds);
  return n > 1 ? longest + (longest - shortest) / (n - 1) : longest;
}

/**
 * The duration the planner leads with: estimateDuration, but while fewer than
 * SETTLED_DURATION_SAMPLES backups are measured at least the longest × SETTLED_DURATION_SAMPLES / n,
 * because one sample says nothing of the spread and a first backup that happened to be quick must
 * not make the planner start the next one too late. A VM whose backups take a second is planned
 * with ten seconds after its first backup (not with a default of minutes); one whose backup took a
 * minute is planned cautiously until a few more are measured. Null without any sample (the
 * planner then uses its default).
 */
export function planningDuration(samplesSeconds: readonly number[]): number | null {
  const estimate = estimateDuration(samplesSeconds);
  const n = samplesSeconds.length;
  if (estimate === null || n >= SETTLED_DURATION_SAMPLES) return estimate;
  return Math.max(estimate, (Math.max(...samplesSeconds) * SETTLED_DURATION_SAMPLES) / n);
}
