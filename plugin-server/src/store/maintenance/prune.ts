/**
 * Prune: plan with prune-plan.ts, then (unless it is a dry run) delete the points marked remove.
 * Each deletion goes through Repository.deletePoint, which checks retention again, so a plan made
 * on stale data can never remove a locked point. Chunks are reclaimed later by GC.
 */
import { planPrune, type KeepRules, type PruneDecision } from './prune-plan.js';
import type { Repository } from '../repository.js';

export interface PruneResult {
  plan: PruneDecision[];
  removed: string[];
  dryRun: boolean;
}

export async function prune(
  repo: Repository,
  rules: KeepRules,
  opts: {
    dryRun: boolean;
    vmId?: string;
    signal: AbortSignal;
    /** Points being read right now (a restore, an export): asked again right before each deletion, and those are kept. */
    busy?: () => ReadonlySet<string>;
  },
): Promise<PruneResult> {
  const now = opts.dryRun ? repo.now() : repo.guardClock('prune');
  const inUse = repo.pointsInUse();
  const points = repo.listPoints(opts.vmId !== undefined ? { vmId: opts.vmId } : {});
  const plan = planPrune(
    points.map((p) => ({ id: p.id, vmId: p.vmId, createdAt: p.createdAt, retainUntil: p.retainUntil, inUse: inUse.has(p.id) })),
    rules,
    now,
  );
  const removed: string[] = [];
  if (opts.dryRun) return { plan, removed, dryRun: true };
  const run = repo.catalog.startRun('prune', now);
  let outcome = 'ok';
  try {
    for (const d of plan) {
      if (d.mark !== 'remove') continue;
      // A reader that started since the plan was made keeps its point: nothing is awaited between
      // this look and the point becoming invisible ('deleting'), so no reader starts in between.
      if (opts.busy?.().has(d.id)) continue;
      await repo.deletePoint(d.id, opts.signal);
      removed.push(d.id);
    }
  } catch (err) {
    outcome = 'failed';
    throw err;
  } finally {
    repo.catalog.finishRun(run, repo.now(), outcome, { rules, removed: removed.length, kept: plan.length - removed.length });
  }
  return { plan, removed, dryRun: false };
}
