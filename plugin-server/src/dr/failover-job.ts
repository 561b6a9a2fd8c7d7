/**
 * The `failover` job kind: a failover or test failover of one replicated VM at the DR site, or a
 * drill's clean-up (`params.operation`). A failover makes the VM as a new instance of the
 * replicated point (recovery's new-instance steps, reading the source site's replica): its disks
 * restored into its own folder byte for byte, the VM created around them with the mapped
 * networks, datastore, folder and pool, then powered on; it then waits for VMware Tools and
 * writes the report (times, RTO, failures) into the failover's record. A failure at any step
 * (CreateVM_Task, PowerOnVM_Task, an upload) or a cancel removes the VM and folder the job made,
 * so nothing half-created is left. The clean-up removes exactly the drill's VM and its folder.
 *
 * After a crash: a failover interrupted before its VM was up is rolled back (VM and folder
 * removed); one whose VM was up keeps it (only the wait for Tools was cut short); a clean-up is
 * finished.
 */
import { describeError, LifelineError, ValidationError } from '../errors/index.js';
import { sleep, type JobHandler, type JobRecord, type LogLevel } from '../jobs/index.js';
import type { Clock } from '../domain/index.js';
import type { Repository } from '../store/index.js';
import { resolveInstantiate, runInstantiate, type InstantiateCheckpoint, type InstantiateResult, type RecoveryStore } from '../recovery/index.js';
import type { DrStore, FailoverRecord } from './dr-store.js';
import type { DrVcenterProvider } from './dr-vcenter.js';
import { settlePlannedPoint, type SourceSiteLink } from './planned-failover.js';

export type FailoverJobParams = { operation: 'failover'; failoverId: string } | { operation: 'cleanup'; failoverId: string };

export interface FailoverJobDeps {
  readonly store: DrStore;
  readonly recoveryStore: RecoveryStore;
  readonly vcenters: DrVcenterProvider;
  replica(peerId: string, signal: AbortSignal): Promise<Repository | undefined>;
  readonly clock: Clock;
  /** How often the wait for VMware Tools asks vCenter. Default 1 s. */
  readonly toolsPollMs?: number;
  /** The source sites, for a planned migration's wait for the last point (planned-failover.ts). */
  readonly source?: SourceSiteLink;
  /**
   * Runs a hook set of the server's configuration once a VM is up (its post scripts, each with
   * these LIFELINE_* variables); resolves with how it went, never rejects for a script's failure.
   */
  readonly runHookSet?: (name: string, env: Record<string, string>, signal: AbortSignal) => Promise<{ ok: boolean; messages: string[] }>;
}

function parseParams(p: unknown): FailoverJobParams {
  const x = p as Partial<Record<string, unknown>> | null;
  if (typeof x !== 'object' || x === null || (x['operation'] !== 'failover' && x['operation'] !== 'cleanup') || typeof x['failoverId'] !== 'string') {
    throw new ValidationError('failover job params need an operation (failover or cleanup) and a failoverId', { field: 'params' });
  }
  return x as FailoverJobParams;
}

function isCheckpoint(v: unknown): v is InstantiateCheckpoint {
  const c = v as Partial<InstantiateCheckpoint> | null;
  return typeof c === 'object' && c !== null && typeof c.folder === 'string' && typeof c.vcenterGuid === 'string' && typeof c.stage === 'string';
}

const iso = (ms: number): string => new Date(ms).toISOString();
const seconds = (from: string | null, to: string | null): number | null => (from && to ? Math.round((Date.parse(to) - Date.parse(from)) / 100) / 10 : null);

/** What one failover needs of the job that runs it (a `failover` job, or one step of a recovery plan's). */
export interface FailoverStepContext {
  readonly jobId: string;
  readonly signal: AbortSignal;
  readonly clock: Clock;
  phase(name: string): void;
  progress(bytesDone: number, bytesTotal?: number | null): void;
  log(message: string, level?: LogLevel): void;
  /** The job's own checkpoint, when the job runs this one failover; the record keeps it in any case. */
  saveCheckpoint?(cp: InstantiateCheckpoint): void;
}

/** Runs the failover recorded as `id` (state `starting`): makes the VM, powers it on, waits for Tools, writes the report. */
export async function runFailover(deps: FailoverJobDeps, ctx: FailoverStepContext, id: string): Promise<FailoverRecord> {
  const { store } = deps;
  let rec = store.getFailover(id);
  if (rec.state !== 'starting') throw new LifelineError('conflict', `failover ${id} is ${rec.state}; it runs once`, { failoverId: id });
  const now = () => iso(ctx.clock.now());
  rec = store.updateFailover(id, (r) => ({ ...r, report: { ...r.report, startedAt: now() } }));
  let step = 'prepare';
  try {
    const repository = await deps.replica(rec.peerId, ctx.signal);
    if (!repository) throw new LifelineError('not-found', `this site holds no replica of site ${rec.siteName}`, { siteId: rec.peerId });
    ctx.log(`${rec.mode === 'test' ? 'test failover' : 'failover'} of ${rec.sourceVm.name} from replicated point ${rec.pointId} (${rec.pointCreatedAt}) of site ${rec.siteName} as ${rec.name}`);
    const result: InstantiateResult = await runInstantiate(
      { repository, vcenters: deps.vcenters, store: deps.recoveryStore },
      { pointId: rec.pointId, vcenterGuid: rec.vcenterGuid, name: rec.name, host: null, ...rec.request },
      {
        jobId: ctx.jobId,
        signal: ctx.signal,
        phase: (name) => {
          step = name;
          ctx.phase(name);
        },
        progress: (done, total) => ctx.progress(done, total),
        log: (message, level) => ctx.log(message, level),
        saveCheckpoint: (cp) => {
          ctx.saveCheckpoint?.(cp);
          store.updateFailover(id, (r) => ({
            ...r,
            checkpoint: cp,
            ...(cp.stage === 'created' && cp.vm ? { vm: { moref: cp.vm, instanceUuid: null }, report: { ...r.report, createdAt: now() } } : {}),
          }));
        },
      },
    );
    rec = store.updateFailover(id, (r) => ({
      ...r,
      state: 'up',
      vm: { moref: result.vm.moref, instanceUuid: result.vm.instanceUuid },
      report: { ...r.report, poweredOnAt: result.poweredOn ? now() : null },
    }));
  } catch (err) {
    // runInstantiate has removed what it made; the record says which step failed.
    store.updateFailover(id, (r) => ({ ...r, state: 'failed', vm: null, report: { ...r.report, failures: [...r.report.failures, `${step}: ${describeError(err)}`] } }));
    throw err;
  }
  if (rec.request.powerOn && rec.request.toolsTimeoutSeconds > 0 && rec.vm) {
    ctx.phase('wait-for-tools');
    const ready = await waitForTools(deps, ctx, rec.vcenterGuid, rec.vm.moref, rec.request.toolsTimeoutSeconds * 1000);
    rec = store.updateFailover(id, (r) => ({
      ...r,
      report: ready
        ? { ...r.report, toolsReadyAt: now(), toolsWait: 'ready' }
        : { ...r.report, toolsWait: 'timed-out', failures: [...r.report.failures, `wait-for-tools: VMware Tools did not report running within ${rec.request.toolsTimeoutSeconds} s; the VM is up`] },
    }));
    ctx.log(ready ? `VMware Tools running in ${rec.name}` : `VMware Tools did not report running in ${rec.name} within ${rec.request.toolsTimeoutSeconds} s`, ready ? 'info' : 'warn');
  } else {
    rec = store.updateFailover(id, (r) => ({ ...r, report: { ...r.report, toolsWait: 'skipped' } }));
  }
  const hookSet = rec.request.hookSet ?? null;
  if (hookSet !== null && rec.vm) {
    ctx.phase('hook');
    const env = {
      LIFELINE_HOOK: 'post-failover',
      LIFELINE_JOB_ID: ctx.jobId,
      LIFELINE_VCENTER: rec.vcenterGuid,
      LIFELINE_VM: rec.vm.moref,
      LIFELINE_VM_NAME: rec.name,
      LIFELINE_FAILOVER_MODE: rec.mode,
      LIFELINE_SOURCE_VM: rec.sourceVm.id,
      LIFELINE_POINT_ID: rec.pointId,
    };
    const outcome = deps.runHookSet ? await deps.runHookSet(hookSet, env, ctx.signal) : { ok: false, messages: ['this server runs no hook sets'] };
    rec = store.updateFailover(id, (r) => ({
      ...r,
      report: {
        ...r.report,
        hook: { set: hookSet, ...outcome },
        failures: outcome.ok ? r.report.failures : [...r.report.failures, `hook: hook set ${hookSet} failed: ${outcome.messages.join('; ')}; the VM is up`],
      },
    }));
    ctx.log(`hook set ${hookSet} ${outcome.ok ? 'succeeded' : 'failed'}: ${outcome.messages.join('; ')}`, outcome.ok ? 'info' : 'warn');
  }
  rec = store.updateFailover(id, (r) => ({ ...r, report: { ...r.report, rtoSeconds: seconds(r.report.startedAt, r.report.toolsReadyAt ?? r.report.poweredOnAt ?? r.report.createdAt) } }));
  ctx.log(`${rec.name} (${rec.vm?.moref ?? '?'}) is up; RTO ${rec.report.rtoSeconds ?? '?'} s; data-loss window ${rec.dataLossWindowSeconds} s`);
  return rec;
}

async function waitForTools(deps: FailoverJobDeps, ctx: FailoverStepContext, guid: string, moref: string, timeoutMs: number): Promise<boolean> {
  const vc = await deps.vcenters.vcenter(guid, ctx.signal);
  const until = ctx.clock.now() + timeoutMs;
  for (;;) {
    if ((await vc.getVm(moref, ctx.signal)).toolsState === 'running') return true;
    if (ctx.clock.now() >= until) return false;
    await sleep(ctx.clock, Math.min(deps.toolsPollMs ?? 1000, Math.max(0, until - ctx.clock.now())), ctx.signal);
  }
}

/** Removes a drill's VM (powered off first) with its files and its folder: exactly what the drill made. Idempotent. */
export async function removeDrillVm(deps: FailoverJobDeps, id: string, signal: AbortSignal): Promise<FailoverRecord> {
  const { store } = deps;
  const rec = store.getFailover(id);
  if (rec.mode !== 'test') throw new LifelineError('conflict', `failover ${id} is not a test failover; Lifeline does not remove its VM`, { failoverId: id });
  if (rec.state === 'cleaned') return rec;
  try {
    // The VM (powered off first) with its files, then its folder: exactly what the drill made.
    if (rec.checkpoint) await resolveInstantiate({ vcenters: deps.vcenters }, { ...rec.checkpoint, stage: 'created', vm: rec.vm?.moref ?? rec.checkpoint.vm }, signal);
  } catch (err) {
    store.updateFailover(id, (r) => ({ ...r, state: 'up', report: { ...r.report, failures: [...r.report.failures, `clean-up: ${describeError(err)}`] } }));
    throw err;
  }
  return store.updateFailover(id, (r) => ({ ...r, state: 'cleaned', report: { ...r.report, cleanedAt: iso(deps.clock.now()) } }));
}

/**
 * After a crash: a failover whose VM was up keeps it (only the wait for Tools was cut short);
 * one still starting is rolled back from its last checkpoint (the job's, or the record's).
 */
export async function resolveFailover(deps: FailoverJobDeps, id: string, checkpoint: unknown, signal: AbortSignal): Promise<void> {
  const { store } = deps;
  const rec = store.findFailover(id);
  if (!rec) return;
  if (rec.state === 'up') {
    if (rec.report.toolsReadyAt === null && rec.report.rtoSeconds === null) {
      store.updateFailover(rec.id, (r) => ({ ...r, report: { ...r.report, failures: [...r.report.failures, 'interrupted: the server stopped while waiting for VMware Tools; the VM is up'] } }));
    }
    return;
  }
  if (rec.state !== 'starting') return;
  const cp = isCheckpoint(checkpoint) ? checkpoint : rec.checkpoint;
  // No checkpoint: the job died before it made the VM's folder, so it made nothing.
  if (cp) await resolveInstantiate({ vcenters: deps.vcenters }, cp, signal);
  store.updateFailover(rec.id, (r) => ({ ...r, state: 'failed', vm: null, report: { ...r.report, failures: [...r.report.failures, 'interrupted: the server stopped; what the failover had made was removed'] } }));
}

export function createFailoverJobHandler(deps: FailoverJobDeps): JobHandler<FailoverJobParams, InstantiateCheckpoint> {
  return {
    // A failed failover has been undone; trying again is the user's decision.
    retry: { maxAttempts: 1 },
    timeoutMs: 24 * 3_600_000,
    async run(ctx) {
      const p = parseParams(ctx.params);
      if (p.operation === 'failover') {
        const step: FailoverStepContext = { jobId: ctx.jobId, signal: ctx.signal, clock: ctx.clock, phase: (n) => ctx.phase(n), progress: (d, t) => ctx.progress(d, t), log: (m, l) => ctx.log(m, l), saveCheckpoint: (cp) => ctx.saveCheckpoint(cp) };
        // A planned migration first waits for the source site's last point (planned-failover.ts).
        await settlePlannedPoint(deps, step, p.failoverId);
        return runFailover(deps, step, p.failoverId);
      }
      ctx.phase('cleanup');
      const rec = await removeDrillVm(deps, p.failoverId, ctx.signal);
      ctx.log(`drill ${rec.id}: ${rec.name} and its folder removed`);
      return rec;
    },
    async cleanup(job: JobRecord, signal: AbortSignal): Promise<void> {
      const p = parseParams(job.params);
      if (!deps.store.findFailover(p.failoverId)) return;
      if (p.operation === 'cleanup') await removeDrillVm(deps, p.failoverId, signal);
      else await resolveFailover(deps, p.failoverId, job.checkpoint, signal);
    },
  };
}
