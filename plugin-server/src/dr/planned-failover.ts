/**
 * Planned migration, the DR site's (B's) part. A failover in mode `planned` asks the source site
 * (A) over the site link to shut the VM down, back it up a last time and replicate that point
 * (A's part: planned-migration.ts); B's `failover` job waits for A's job to end, and only when A
 * reports the point replicated — and B's replica holds it — does it recover exactly that point
 * (failover-job.ts), so no write made before the migration started is lost. When A's job fails,
 * B starts nothing: the failover fails with A's error, which names the VM's power state at A.
 */
import { describeError, LifelineError } from '../errors/index.js';
import { sleep, type LogLevel } from '../jobs/index.js';
import type { Clock } from '../domain/index.js';
import type { Repository } from '../store/index.js';
import type { DrStore, FailoverRecord } from './dr-store.js';
import { describeMissing, missingMappings, needsOf } from './mappings.js';

/** A's answer about its planned-migration job (planned-migration.ts, PlannedMigrationStatus). */
export interface SourcePlannedStatus {
  jobId: string;
  state: string;
  phase: string | null;
  error: { code: string; message: string } | null;
  result: { pointId: string; shutdown: string; chunks: number; chunksSent: number } | null;
}

/** Requests to a source site over the site link (mutual TLS, pinned); the composition root makes it. */
export interface SourceSiteLink {
  /** Asks the source site to start a planned migration of its VM; its job id. Unreachable: 'site-unreachable'. */
  startPlanned(peerId: string, body: { vmId: string; shutdownTimeoutSeconds: number }, signal: AbortSignal): Promise<{ jobId: string }>;
  plannedStatus(peerId: string, jobId: string, signal: AbortSignal): Promise<SourcePlannedStatus>;
}

/**
 * Asks the source site to start its part of the planned failover recorded as `id` (its record's
 * `planned` member names the shutdown timeout) and records A's job. When A cannot be reached the
 * error is `dr-source-unreachable` and points to mode disaster; when A refuses, `dr-planned-refused`
 * with A's reason. Either way the record is failed and nothing was started.
 */
export async function askSourceSite(deps: { readonly store: DrStore; readonly source?: SourceSiteLink }, id: string, signal: AbortSignal): Promise<FailoverRecord> {
  const { store } = deps;
  const rec = store.getFailover(id);
  const shutdownTimeoutSeconds = rec.planned?.shutdownTimeoutSeconds ?? 300;
  let sourceJobId: string;
  try {
    if (!deps.source) throw new LifelineError('dr-planned-refused', 'this server cannot reach source sites');
    sourceJobId = (await deps.source.startPlanned(rec.peerId, { vmId: rec.sourceVm.id, shutdownTimeoutSeconds }, signal)).jobId;
  } catch (err) {
    if (signal.aborted) {
      // Cancelled (or the server stops) while asking: A may have accepted the request meanwhile.
      store.updateFailover(id, (x) => ({ ...x, state: 'failed', report: { ...x.report, failures: [...x.report.failures, `source-site: stopped while asking site ${rec.siteName}; its planned migration of the VM may have started there. Nothing was started at this site`] } }));
      throw err;
    }
    const unreachable = err instanceof LifelineError && err.code === 'site-unreachable';
    const message = unreachable
      ? `site ${rec.siteName} cannot be reached (${err.message}), and a planned migration needs it to shut the VM down and send its last point. Nothing was started. If the site is down, fail over in mode disaster from the latest point this site holds (${rec.pointCreatedAt})`
      : `site ${rec.siteName} refused the planned migration: ${err instanceof Error ? err.message : String(err)}. Nothing was started`;
    store.updateFailover(id, (x) => ({ ...x, state: 'failed', report: { ...x.report, failures: [...x.report.failures, `source-site: ${message}`] } }));
    throw new LifelineError(unreachable ? 'dr-source-unreachable' : 'dr-planned-refused', message, { siteId: rec.peerId, vmId: rec.sourceVm.id });
  }
  // Recorded before the wait: the job waits for the source's point only when it finds this.
  return store.updateFailover(id, (x) => ({ ...x, planned: { shutdownTimeoutSeconds, sourceJobId, shutdown: null, chunks: null, chunksSent: null } }));
}

/**
 * Waits for the source site's part of a planned failover to end; then points the record at the
 * point A made (checking that B's replica holds it and that the mappings still cover it). Throws,
 * with nothing started at B, when A's part failed or the link to A failed for a minute.
 */
/** What the wait needs of the failover job's dependencies (failover-job.ts, FailoverJobDeps). */
interface PlannedWaitDeps {
  readonly store: DrStore;
  replica(peerId: string, signal: AbortSignal): Promise<Repository | undefined>;
  readonly source?: SourceSiteLink;
  readonly plannedPollMs?: number;
}

/** What the wait needs of the failover job's step (failover-job.ts, FailoverStepContext). */
interface PlannedWaitStep {
  readonly signal: AbortSignal;
  readonly clock: Clock;
  phase(name: string): void;
  log(message: string, level?: LogLevel): void;
}

export async function settlePlannedPoint(deps: PlannedWaitDeps, ctx: PlannedWaitStep, id: string): Promise<FailoverRecord> {
  const { store } = deps;
  const rec = store.getFailover(id);
  if (rec.mode !== 'planned' || !rec.planned || rec.planned.shutdown !== null) return rec;
  const fail = (message: string, code: 'dr-planned-source-failed' | 'site-unreachable' = 'dr-planned-source-failed'): never => {
    store.updateFailover(id, (r) => ({ ...r, state: 'failed', report: { ...r.report, failures: [...r.report.failures, `source-site: ${message}`] } }));
    throw new LifelineError(code, message, { failoverId: id });
  };
  if (!deps.source || rec.planned.sourceJobId === null) return fail('the source site was never asked for the planned migration');
  ctx.phase('source-site');
  ctx.log(`waiting for site ${rec.siteName} to shut ${rec.sourceVm.name} down, back it up and replicate the point (its job ${rec.planned.sourceJobId})`);
  let status: SourcePlannedStatus | undefined;
  let lastPhase: string | null = null;
  let failures = 0;
  const sourceJobId = rec.planned.sourceJobId;
  const stopped = (err: unknown): never => {
    // Cancelled (or the server stops) while waiting: nothing was made here; A's job goes on by itself.
    store.updateFailover(id, (r) => ({ ...r, state: 'failed', report: { ...r.report, failures: [...r.report.failures, `source-site: stopped while waiting for site ${rec.siteName} (its job ${sourceJobId} goes on there); nothing was started at this site`] } }));
    throw err;
  };
  for (;;) {
    try {
      status = await deps.source.plannedStatus(rec.peerId, sourceJobId, ctx.signal);
      failures = 0;
    } catch (err) {
      if (ctx.signal.aborted) stopped(err);
      // A short cut in the link is waited out; a minute of them ends the wait.
      if (++failures >= 60) fail(`site ${rec.siteName} stopped answering during the planned migration (${describeError(err)}); nothing was started at this site. Its VM may be powered off there; if site ${rec.siteName} is lost, fail over in mode disaster`, 'site-unreachable');
      ctx.log(`site ${rec.siteName} did not answer (${describeError(err)}); asking again`, 'warn');
    }
    if (status && status.phase !== lastPhase) {
      lastPhase = status.phase;
      ctx.log(`site ${rec.siteName}: ${status.phase ?? status.state}`);
    }
    if (status && status.state !== 'queued' && status.state !== 'running') break;
    await sleep(ctx.clock, deps.plannedPollMs ?? 1000, ctx.signal).catch(stopped);
  }
  if (status.state !== 'succeeded' || !status.result) {
    return fail(`the planned migration failed at site ${rec.siteName} (${status.error?.code ?? status.state}): ${status.error?.message ?? `its job ended ${status.state}`}. Nothing was started at this site`);
  }
  const { pointId } = status.result;
  const repository = await deps.replica(rec.peerId, ctx.signal);
  const point = repository?.listPoints({ vmId: rec.sourceVm.id }).find((p) => p.id === pointId && !p.damaged);
  if (!repository || !point) return fail(`site ${rec.siteName} reports restore point ${pointId} replicated, but this site does not hold it; nothing was started at this site`);
  // The last point may have another configuration than the one checked at the request (a network added).
  const needs = needsOf((await repository.readManifest(pointId, ctx.signal)).vm.config);
  const { mappings } = store.getMappings(rec.peerId);
  const missing = missingMappings(needs, mappings, false);
  if (missing.length > 0) return fail(`the last point of ${rec.sourceVm.name} needs mappings this site lacks: ${describeMissing(missing)}; nothing was started at this site`);
  const result = status.result;
  ctx.log(`restore point ${pointId} of ${rec.sourceVm.name} is here (${result.chunksSent} of ${result.chunks} chunks sent by the last replication); recovering it`);
  return store.updateFailover(id, (r) => ({
    ...r,
    pointId,
    pointCreatedAt: new Date(point.createdAt).toISOString(),
    request: {
      ...r.request,
      datastore: mappings.datastores[needs.datastore!]!,
      networks: Object.fromEntries(needs.networks.map((n) => [n, mappings.networks[n]!])),
    },
    planned: { ...r.planned!, shutdown: result.shutdown, chunks: result.chunks, chunksSent: result.chunksSent },
  }));
}
