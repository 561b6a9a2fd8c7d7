// Lifeline's disaster recovery at the DR site: the resource mappings of each pairing, the source
// site's replicated VMs and what each lacks of the mappings, failover and test failover (a DR
// drill) of one VM from a replicated point, a drill's clean-up, the failover reports, and
// recovery plans (ordered groups of VMs run as one job, for a drill or for real). It builds
// on recovery's new-instance steps and reads the source site's replica; only a planned migration
// and a failback talk to the source site, through the site link (planned-failover.ts and
// failback.ts at the DR site, planned-migration.ts, planned-site-routes.ts and failback-source.ts
// at the source). A use case of the server's layers; how it fits with the rest: docs/architecture.md
// and docs/dr.md.
import type { Clock } from '../domain/index.js';
import type { Database, JobRunner } from '../jobs/index.js';
import type { RecoveryStore } from '../recovery/index.js';
import type { Repository } from '../store/index.js';
import { DrService, FAILOVER_JOB_KIND, type DrPeer } from './dr-service.js';
import { SqliteDrStore } from './dr-store.js';
import type { DrVcenterProvider } from './dr-vcenter.js';
import type { SourceSiteLink } from './planned-failover.js';
import { createFailoverJobHandler, type FailoverJobDeps } from './failover-job.js';
import { createPlanJobHandler, PLAN_JOB_KIND } from './plan-job.js';

export { DrService, FAILOVER_JOB_KIND, failoverTarget, planTarget } from './dr-service.js';
export { PLAN_JOB_KIND, createPlanJobHandler } from './plan-job.js';
export type { PlanJobParams } from './plan-job.js';
export { parseVmOptions } from './plan-options.js';
export type { VmPlanOptions } from './plan-options.js';
export type { DrPeer, DrServiceOptions, FailoverAccepted, FailoverOptions, ReplicatedPoint, ReplicatedVm, SiteReplicatedVm } from './dr-service.js';
export { SqliteDrStore } from './dr-store.js';
export type { DrStore, FailoverMode, FailoverRecord, FailoverReport, FailoverState, PlanRun, RecoveryPlan } from './dr-store.js';
export { createFailoverJobHandler } from './failover-job.js';
export type { FailoverJobDeps, FailoverJobParams } from './failover-job.js';
export { EMPTY_MAPPINGS, missingMappings, needsOf, parseMappings } from './mappings.js';
export type { MappingKind, MissingMapping, ResourceMappings, VmNeeds } from './mappings.js';
export type { DrVcenter, DrVcenterProvider } from './dr-vcenter.js';
export { PlannedMigrationSource, SqliteFailedOverStore, PLANNED_MIGRATION_JOB_KIND } from './planned-migration.js';
export type { FailedOverMark, PlannedMigrationSourceOptions, PlannedMigrationStatus, PlannedMigrationResult, SourceVcenter } from './planned-migration.js';
export { plannedMigrationSiteRouter } from './planned-site-routes.js';
export type { PlannedSiteAuditEvent } from './planned-site-routes.js';
export type { SourceSiteLink, SourcePlannedStatus } from './planned-failover.js';
export type { PlannedPart } from './dr-store.js';

export interface DisasterRecoveryOptions {
  readonly db: Database;
  readonly clock: Clock;
  readonly runner: Pick<JobRunner, 'submit' | 'reserve' | 'activeForTarget' | 'register' | 'subscribe'>;
  readonly recoveryStore: RecoveryStore;
  readonly vcenters: DrVcenterProvider;
  readonly vcenterGuids: readonly string[];
  peer(id: string): DrPeer | undefined;
  /** Every paired site (the global list of replicated VMs reads those that replicate here). */
  peers?(): readonly DrPeer[];
  replica(peerId: string, signal: AbortSignal): Promise<Repository | undefined>;
  /** Requests to the source sites, for planned migration. */
  readonly source?: SourceSiteLink;
  /** The hook sets of the configuration, by name, and how to run one once a VM is up (FailoverJobDeps.runHookSet). */
  readonly hookSets?: readonly string[];
  readonly runHookSet?: FailoverJobDeps['runHookSet'];
}

/** The failovers of a plan run, or none when the run is not kept (its job could not be queued). */
function runSteps(store: SqliteDrStore, runId: string): string[] {
  try {
    return store.getRun(runId).groups.flat();
  } catch {
    return [];
  }
}

/** Registers the `failover` and `recovery-plan` job kinds and returns the service the API calls. */
export function startDisasterRecovery(o: DisasterRecoveryOptions): DrService {
  const store = new SqliteDrStore(o.db, o.clock);
  const jobDeps: FailoverJobDeps = { store, recoveryStore: o.recoveryStore, vcenters: o.vcenters, replica: o.replica, clock: o.clock, ...(o.source ? { source: o.source } : {}), ...(o.runHookSet ? { runHookSet: o.runHookSet } : {}) };
  o.runner.register(FAILOVER_JOB_KIND, createFailoverJobHandler(jobDeps));
  o.runner.register(PLAN_JOB_KIND, createPlanJobHandler({ ...jobDeps, maxParallel: (run) => store.findPlan(run.planId)?.maxParallel ?? 4 }));
  // A failover's or plan run's job that ended without ever starting (cancelled while queued) ran
  // none of its steps: they are marked failed, not started, rather than left `starting` for ever;
  // a drill whose clean-up never started is up again rather than `cleaning` for ever.
  o.runner.subscribe((ev) => {
    if (ev.type !== 'state' || ev.job.startedAt !== null || !['succeeded', 'failed', 'cancelled'].includes(ev.job.state)) return;
    if (ev.job.kind !== FAILOVER_JOB_KIND && ev.job.kind !== PLAN_JOB_KIND) return;
    const p = ev.job.params as { operation?: unknown; failoverId?: unknown; runId?: unknown } | null;
    const ids = p?.operation === 'failover' && typeof p.failoverId === 'string' ? [p.failoverId] : p?.operation === 'run' && typeof p.runId === 'string' ? runSteps(store, p.runId) : [];
    for (const id of ids) {
      if (store.findFailover(id)?.state !== 'starting') continue;
      store.updateFailover(id, (r) => ({ ...r, state: 'failed', report: { ...r.report, failures: [...r.report.failures, `not started: its job ${ev.job.id} ended ${ev.job.state} before it ran`] } }));
    }
    // A drill's clean-up that never started leaves the drill up, as it was.
    const rec = p?.operation === 'cleanup' && typeof p.failoverId === 'string' ? store.findFailover(p.failoverId) : undefined;
    if (rec?.state === 'cleaning' && rec.cleanupJobId === ev.job.id) store.updateFailover(rec.id, (r) => ({ ...r, state: 'up' }));
  });
  return new DrService({ store, runner: o.runner, peer: o.peer, ...(o.peers ? { peers: o.peers } : {}), replica: o.replica, vcenters: o.vcenters, vcenterGuids: o.vcenterGuids, clock: o.clock, ...(o.source ? { source: o.source } : {}), hookSets: o.hookSets ?? [] });
}
export { FailbackService, FAILBACK_JOB_KIND } from './failback.js';
export type { FailbackAsk, FailbackBackup, FailbackSnapshotDrop, FailbackDeps, FailbackLink, FailbackOptions, FailbackTarget, FailbackVcenter, SourceFailbackStatus } from './failback.js';
export { FailbackSource, failbackSiteRouter, FAILBACK_RECOVERY_JOB_KIND } from './failback-source.js';
export type { FailbackRecovery, FailbackRecoveryResult, FailbackSourceOptions, FailbackSourceVcenter } from './failback-source.js';
export type { FailbackPart } from './dr-store.js';
export { PlanFailbackService, PLAN_FAILBACK_JOB_KIND } from './plan-failback.js';
export type { PlanFailbackBlock, PlanFailbackDeps } from './plan-failback.js';
export type { PlanFailbackOptions } from './dr-store.js';
