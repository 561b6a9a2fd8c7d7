/**
 * The `recovery-plan` job kind: one run of a recovery plan (its groups in order, the VMs of a
 * group together, at most the plan's maxParallel at once, each a failover step as failover-job.ts
 * runs one; in mode `planned` each step first has the source site shut its VM down, back it up
 * and replicate that point, as planned-failover.ts does for one VM), or the clean-up of a test run (each drill VM the run brought up removed).
 *
 * A step that fails is rolled back by itself and recorded; the other steps go on, and the job
 * fails at the end naming the steps that failed. A cancel starts no new step; steps under way
 * roll back, VMs already up stay up. After a crash the clean-up finishes or rolls back each step
 * from its record (a VM up stays; one being made is removed).
 */
import { LifelineError, ValidationError } from '../errors/index.js';
import { abortReason, type JobHandler, type JobRecord, type LogLevel } from '../jobs/index.js';
import type { PlanRun } from './dr-store.js';
import { removeDrillVm, resolveFailover, runFailover, type FailoverJobDeps } from './failover-job.js';
import { askSourceSite, settlePlannedPoint } from './planned-failover.js';

export const PLAN_JOB_KIND = 'recovery-plan';

export type PlanJobParams = { operation: 'run' | 'cleanup'; runId: string };

function parseParams(p: unknown): PlanJobParams {
  const x = p as Partial<Record<string, unknown>> | null;
  if (typeof x !== 'object' || x === null || (x['operation'] !== 'run' && x['operation'] !== 'cleanup') || typeof x['runId'] !== 'string') {
    throw new ValidationError('recovery-plan job params need an operation (run or cleanup) and a runId', { field: 'params' });
  }
  return x as PlanJobParams;
}

/** Runs `fn` over `items`, at most `limit` at once. */
async function eachLimited<T>(items: readonly T[], limit: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) await fn(items[next++]!);
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, worker));
}

export function createPlanJobHandler(deps: FailoverJobDeps & { maxParallel(run: PlanRun): number }): JobHandler<PlanJobParams> {
  const { store } = deps;
  return {
    retry: { maxAttempts: 1 },
    timeoutMs: 24 * 3_600_000,
    async run(ctx) {
      const p = parseParams(ctx.params);
      const run = store.getRun(p.runId);
      const failed: string[] = [];
      if (p.operation === 'cleanup') {
        ctx.phase('cleanup');
        for (const id of run.groups.flat()) {
          const rec = store.getFailover(id);
          if (rec.mode !== 'test' || rec.state === 'cleaned' || rec.state === 'failed' || rec.vm === null) continue;
          try {
            await removeDrillVm(deps, id, ctx.signal);
            ctx.log(`${rec.name} removed`);
          } catch (err) {
            failed.push(`${rec.name}: ${err instanceof Error ? err.message : String(err)}`);
            ctx.log(`clean-up of ${rec.name} failed: ${err instanceof Error ? err.message : String(err)}`, 'error');
          }
        }
        if (failed.length > 0) throw new LifelineError('dr-plan-step-failed', `the clean-up of ${failed.length} VM(s) failed: ${failed.join('; ')}`, { runId: run.id });
        return { runId: run.id, cleaned: run.groups.flat().length };
      }
      for (const [g, ids] of run.groups.entries()) {
        if (ctx.signal.aborted) break;
        ctx.phase(`group-${g + 1}`);
        ctx.log(`group ${g + 1} of ${run.groups.length}: ${ids.length} VM(s)`);
        await eachLimited(ids, deps.maxParallel(run), async (id) => {
          if (ctx.signal.aborted) return;
          const rec = store.getFailover(id);
          const name = rec.name;
          try {
            const step = {
              jobId: ctx.jobId,
              signal: ctx.signal,
              clock: ctx.clock,
              phase: (n: string) => ctx.log(`${name}: ${n}`),
              progress: () => undefined,
              log: (m: string, l?: LogLevel) => ctx.log(`${name}: ${m}`, l),
            };
            if (rec.mode === 'planned') {
              // A planned migration's step: the source site shuts the VM down, backs it up and
              // replicates that point now; the step then recovers exactly that point. The VMs of
              // a group go together, as their recoveries do: the source site's planned-migration
              // jobs take no job slot there, and its backups and replications of them run within
              // its own job limits.
              if (!store.getFailover(id).planned?.sourceJobId) await askSourceSite(deps, id, ctx.signal);
              await settlePlannedPoint(deps, step, id);
            }
            const done = await runFailover(deps, step, id);
            // The VM is up, but a plan whose hook failed did not do all it was asked: the job says so.
            if (done.report.hook && !done.report.hook.ok) failed.push(`${name}: hook set ${done.report.hook.set} failed`);
          } catch (err) {
            failed.push(`${name}: ${err instanceof Error ? err.message : String(err)}`);
            ctx.log(`${name} failed: ${err instanceof Error ? err.message : String(err)}`, 'error');
          }
        });
      }
      // Steps a cancel kept from starting say so in their records.
      for (const id of run.groups.flat()) {
        if (store.getFailover(id).state === 'starting') {
          store.updateFailover(id, (r) => ({ ...r, state: 'failed', report: { ...r.report, failures: [...r.report.failures, 'not started: the plan run was cancelled'] } }));
        }
      }
      if (ctx.signal.aborted) throw abortReason(ctx.signal);
      if (failed.length > 0) throw new LifelineError('dr-plan-step-failed', `${failed.length} of ${run.groups.flat().length} VM(s) failed: ${failed.join('; ')}`, { runId: run.id });
      return { runId: run.id, vms: run.groups.flat().length };
    },
    async cleanup(job: JobRecord, signal: AbortSignal): Promise<void> {
      const p = parseParams(job.params);
      const run = store.getRun(p.runId);
      for (const id of run.groups.flat()) {
        if (p.operation === 'cleanup') {
          const rec = store.getFailover(id);
          if (rec.mode === 'test' && rec.vm !== null && rec.state !== 'cleaned' && rec.state !== 'failed') await removeDrillVm(deps, id, signal);
        } else {
          await resolveFailover(deps, id, null, signal);
        }
      }
    },
  };
}
