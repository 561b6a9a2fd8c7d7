/**
 * Failback of a recovery plan at the DR site (docs/dr.md, "Failback of a recovery plan"): every VM
 * of the plan that is failed over here goes back to the source site as one `recovery-plan-failback`
 * job, a step per VM, each step the per-VM failback of failback.ts (shut down here, last backup
 * into the replica, only the chunks the source lacks sent back, the source recovers that point
 * onto the original VM or as a new one).
 *
 * Order: **the plan's last group first**, back to its first; the VMs of a group together, at most
 * the plan's maxParallel at once. A plan starts what others depend on first (databases, directory)
 * and what depends on them last; going back, the dependants stop first, so a VM's last backup here
 * is taken once nothing of the plan still writes to it, and what was started first at this site is
 * the last to leave it.
 *
 * The request is refused with nothing started, naming each VM and why, when a VM of the plan is
 * not failed over here (or was failed back already), its failback or failover runs, or no reverse
 * replication of it has completed yet (the site has not protected the VM and sent a point back:
 * the failback would send its whole disks while the VM is down). Then the source site is asked
 * about each VM (reachable, takes it); only when all pass is anything recorded or started.
 *
 * A failed step keeps its VM running here (failback.ts undoes its own part) and the others go on;
 * the job fails at the end naming the steps that failed. A cancel starts no new step; a step under
 * way is undone as failback.ts undoes a cancelled failback (or, once the source site was asked to
 * recover its point, followed to its end). After a crash a step under way is
 * settled as any failback cut by a stop is (rolled back, or followed to the end of the source
 * site's job), and a step not yet begun is marked not started.
 */
import { LifelineError, ValidationError } from '../errors/index.js';
import { abortReason, type JobContext, type JobHandler, type JobRecord, type JobRunner, type LogLevel, type SubmitResult } from '../jobs/index.js';
import type { Clock } from '../domain/index.js';
import type { DrStore, FailoverRecord, PlanFailbackOptions, PlanRun, RecoveryPlan } from './dr-store.js';
import { planTarget } from './dr-service.js';
import { checkFailbackOptions, FAILBACK_JOB_KIND, REVERSE_REPLICATION_JOB_KIND, type FailbackOptions, type FailbackParams, type FailbackService } from './failback.js';
import { randomUUID } from 'node:crypto';

export const PLAN_FAILBACK_JOB_KIND = 'recovery-plan-failback';

/** Why a VM of a plan cannot be failed back now. */
export type PlanFailbackBlock = 'not-failed-over' | 'busy' | 'no-reverse-replication';

export interface PlanFailbackDeps {
  readonly store: DrStore;
  readonly runner: Pick<JobRunner, 'submit' | 'activeForTarget' | 'register' | 'list' | 'find' | 'subscribe'>;
  readonly clock: Clock;
  readonly failback: FailbackService;
  plan(id: string): RecoveryPlan;
}

interface PlanFailbackParams {
  runId: string;
}

/** Runs `fn` over `items`, at most `limit` at once. */
async function eachLimited<T>(items: readonly T[], limit: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) await fn(items[next++]!);
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, worker));
}

const TERMINAL = new Set(['succeeded', 'failed', 'cancelled', 'interrupted']);
const NAME_SUFFIX = /^[A-Za-z0-9 ._()-]{1,40}$/;

export class PlanFailbackService {
  readonly stop: () => void;

  constructor(private readonly d: PlanFailbackDeps) {
    d.runner.register(PLAN_FAILBACK_JOB_KIND, this.handler() as JobHandler);
    // A job cancelled while queued never runs: its steps say so, and their VMs run here as before.
    this.stop = d.runner.subscribe((ev) => {
      // An interrupted job's steps are its clean-up's to settle (handler().cleanup).
      if (ev.type !== 'state' || ev.job.kind !== PLAN_FAILBACK_JOB_KIND || !TERMINAL.has(ev.job.state) || ev.job.state === 'interrupted') return;
      const runId = (ev.job.params as Partial<PlanFailbackParams> | null)?.runId;
      const run = typeof runId === 'string' ? this.d.store.getRun(runId) : null;
      for (const id of run?.groups.flat() ?? []) {
        const rec = this.d.store.findFailover(id);
        if (rec?.failback?.state !== 'running' || rec.failback.jobId !== ev.job.id) continue;
        this.d.failback.markFailed(id, `not started: the plan's failback ended ${ev.job.state} before this VM's turn; the VM runs at this site as before`);
      }
    });
  }

  /** Whether a reverse replication of this failover completed: a point the VM made here is at the source site. */
  private reverseReplicated(rec: FailoverRecord): boolean {
    const page = this.d.runner.list({ kind: REVERSE_REPLICATION_JOB_KIND, target: { type: 'ReverseReplication', id: rec.sourceVm.id, vcenterGuid: null }, states: ['succeeded'], limit: 500 });
    return page.items.some((j) => (j.params as { failoverId?: unknown } | null)?.failoverId === rec.id);
  }

  /**
   * Checks the failback of every VM of the plan — each failed over here and reverse replicated,
   * none busy, the source site reachable and taking each — then records the run and queues its
   * job. Any refusal names the VMs and their reasons; nothing is recorded or started then.
   *
   * The checks here are repeated once the source site has answered, with no `await` between them
   * and the records: a failback of one of the VMs (its own, or another plan's) recorded meanwhile
   * refuses this one 'busy', and of two requests exactly one claims each VM.
   */
  async request(planId: string, opts: PlanFailbackOptions, requestedBy: string, signal: AbortSignal): Promise<SubmitResult & { run: PlanRun }> {
    const plan = this.d.plan(planId);
    if (opts.target === 'new' && (opts.nameSuffix === null || !NAME_SUFFIX.test(opts.nameSuffix))) {
      throw new ValidationError('nameSuffix must be 1 to 40 letters, digits, spaces or ._()- : each new VM is named its source VM\'s name followed by it', { field: 'nameSuffix' });
    }
    if (opts.target === 'original' && opts.nameSuffix !== null) throw new ValidationError('nameSuffix is for target new only: the original VMs keep their names', { field: 'nameSuffix' });
    const perVm = (rec: FailoverRecord): FailbackOptions => ({ target: opts.target, name: opts.target === 'new' ? `${rec.sourceVm.name}${opts.nameSuffix ?? ''}` : null, powerOn: opts.powerOn, shutdownTimeoutSeconds: opts.shutdownTimeoutSeconds });
    checkFailbackOptions({ ...opts, name: opts.target === 'new' ? 'x' : null });
    const target = planTarget(plan.id);
    const asked = this.claimable(plan);
    // The source site is asked about every VM before anything is recorded.
    for (const rec of asked.flat()) await this.d.failback.checkWithSource(rec, perVm(rec), signal);
    const recs = this.claimable(plan);
    if (recs.flat().some((r, i) => r.id !== asked.flat()[i]!.id)) throw new LifelineError('busy', `a VM of recovery plan ${plan.name} was failed over again while the source site was asked about it; ask again`, { planId: plan.id });

    let run = this.d.store.newRun({ id: randomUUID(), planId: plan.id, mode: 'planned', failback: opts, jobId: null, cleanupJobId: null, groups: recs.map((g) => g.map((r) => r.id)), requestedBy });
    for (const rec of recs.flat()) this.d.failback.record(rec.id, perVm(rec), requestedBy, null);
    let r: SubmitResult;
    try {
      r = this.d.runner.submit<PlanFailbackParams>({ kind: PLAN_FAILBACK_JOB_KIND, target, params: { runId: run.id }, priority: 30, requestedBy });
    } catch (err) {
      // No job will run them: the VMs' failovers are given back as they were, and the run goes.
      for (const rec of recs.flat()) this.d.store.updateFailover(rec.id, (x) => ({ ...x, failback: rec.failback ?? null }));
      this.d.store.deleteRun(run.id);
      throw err;
    }
    run = this.d.store.updateRun(run.id, (x) => ({ ...x, jobId: r.job.id }));
    for (const rec of recs.flat()) this.d.store.updateFailover(rec.id, (x) => ({ ...x, failback: { ...x.failback!, jobId: r.job.id } }));
    return { ...r, run };
  }

  /**
   * The plan's failovers by group when every VM's failback may be claimed now; else the refusal
   * naming each VM that may not and why. Synchronous (see request()).
   */
  private claimable(plan: RecoveryPlan): FailoverRecord[][] {
    const active = this.d.runner.activeForTarget(planTarget(plan.id));
    if (active) throw new LifelineError('busy', `recovery plan ${plan.name} is running (job ${active.id})`, { jobId: active.id });
    const blocked: Array<{ vmId: string; name: string; reason: PlanFailbackBlock; message: string }> = [];
    const recs: FailoverRecord[][] = [];
    for (const g of plan.groups) {
      const row: FailoverRecord[] = [];
      for (const vmId of g.vms) {
        let rec: FailoverRecord;
        try {
          // The per-VM failback's own rule: a job of the VM, or a failback of it recorded running.
          rec = this.d.failback.claimable(plan.peerId, vmId);
        } catch (err) {
          if (err instanceof LifelineError && err.code === 'busy') {
            const held = this.d.store.listFailovers().find((f) => f.peerId === plan.peerId && f.sourceVm.id === vmId && f.state === 'up' && f.mode !== 'test');
            blocked.push({ vmId, name: held?.sourceVm.name ?? vmId, reason: 'busy', message: err.message });
          } else {
            blocked.push({ vmId, name: vmId, reason: 'not-failed-over', message: 'not failed over to this site (or failed back already)' });
          }
          continue;
        }
        if (!this.reverseReplicated(rec)) {
          blocked.push({ vmId, name: rec.sourceVm.name, reason: 'no-reverse-replication', message: `no reverse replication of it has completed yet: protect ${rec.name} at this site and let a backup send a point back first` });
        }
        row.push(rec);
      }
      recs.push(row);
    }
    if (blocked.length > 0) {
      throw new LifelineError('dr-failback-refused', `recovery plan ${plan.name} cannot be failed back: ${blocked.map((b) => `${b.name}: ${b.message}`).join('; ')}. Nothing was started`, { planId: plan.id, vms: blocked.map(({ vmId, name, reason }) => ({ vmId, name, reason })) });
    }
    return recs;
  }

  private handler(): JobHandler<PlanFailbackParams> {
    const d = this.d;
    const runOf = (p: unknown): PlanRun => {
      const runId = (p as Partial<PlanFailbackParams> | null)?.runId;
      if (typeof runId !== 'string') throw new ValidationError('recovery-plan-failback job params need runId', { field: 'params' });
      return d.store.getRun(runId);
    };
    return {
      // Each step undoes itself on failure; another try is the user's.
      retry: { maxAttempts: 1 },
      timeoutMs: 24 * 3_600_000,
      run: async (ctx) => {
        const run = runOf(ctx.params);
        const plan = d.store.findPlan(run.planId);
        const started = new Set<string>();
        const failed: string[] = [];
        const total = run.groups.flat().length;
        let done = 0;
        ctx.progress(0, total);
        // The plan's last group first (see the module comment).
        for (let g = run.groups.length - 1; g >= 0; g--) {
          if (ctx.signal.aborted) break;
          const ids = run.groups[g]!;
          ctx.phase(`group-${g + 1}`);
          ctx.log(`group ${g + 1} of ${run.groups.length}: ${ids.length} VM(s) back to the source site`);
          await eachLimited(ids, plan?.maxParallel ?? 4, async (id) => {
            if (ctx.signal.aborted) return;
            started.add(id);
            // The step's start, in the report: the order the VMs went back in.
            const name = d.store.updateFailover(id, (r) => ({ ...r, failback: { ...r.failback!, startedAt: new Date(ctx.clock.now()).toISOString() } })).name;
            const step: JobContext<FailbackParams> = {
              jobId: ctx.jobId,
              kind: FAILBACK_JOB_KIND,
              target: ctx.target,
              params: { failoverId: id },
              attempt: ctx.attempt,
              checkpoint: null,
              signal: ctx.signal,
              stopSignal: ctx.stopSignal,
              clock: ctx.clock,
              phase: (n: string) => ctx.log(`${name}: ${n}`),
              progress: () => undefined,
              log: (m: string, l?: LogLevel) => ctx.log(`${name}: ${m}`, l),
              saveCheckpoint: () => undefined,
            };
            try {
              await d.failback.runStep(step);
            } catch (err) {
              failed.push(`${name}: ${err instanceof Error ? err.message : String(err)}`);
              ctx.log(`${name} failed: ${err instanceof Error ? err.message : String(err)}`, 'error');
            }
            ctx.progress(++done, total);
          });
        }
        // Steps a cancel kept from starting say so in their records; their VMs run here as before.
        for (const id of run.groups.flat()) {
          if (!started.has(id) && d.store.getFailover(id).failback?.state === 'running') {
            d.failback.markFailed(id, 'not started: the plan\'s failback was cancelled; the VM runs at this site as before');
          }
        }
        if (ctx.signal.aborted) throw abortReason(ctx.signal);
        if (failed.length > 0) throw new LifelineError('dr-plan-step-failed', `${failed.length} of ${total} VM(s) could not be failed back: ${failed.join('; ')}`, { runId: run.id });
        return { runId: run.id, vms: total };
      },
      cleanup: (job: JobRecord): Promise<void> => {
        const run = runOf(job.params);
        for (const id of run.groups.flat()) {
          const rec = d.store.findFailover(id);
          if (rec?.failback?.state !== 'running' || (rec.failback.jobId !== null && rec.failback.jobId !== job.id)) continue;
          // A step under way is settled as any failback cut by a stop is (FailbackService.resumeInterrupted:
          // rolled back, or followed to the end of the source site's job); a step never begun says so.
          if (rec.failback.step !== null && rec.failback.step !== undefined) continue;
          d.failback.markFailed(id, 'not started: the server stopped during the plan\'s failback before this VM\'s turn; the VM runs at this site as before');
        }
        return Promise.resolve();
      },
    };
  }
}
