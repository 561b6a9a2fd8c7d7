/**
 * The 'instant-recovery' job kind (instant new instance, instant attach, their migration to
 * production and their discard) and the service the API queues them with. Each request is checked
 * at once against what is known now (the point exists and is not published, the VM is not busy,
 * the migration's datastore exists) and then queued; the job checks again when it runs. Only one
 * job at a time works on a VM, whatever its kind. A user's cancel stops a start (undone) or a
 * discard; during a migration it asks vCenter to cancel its relocation task (relocation.ts): on
 * RequestCanceled the VM runs on from the NFS datastore (the job ends cancelled), and when vCenter
 * finished first the migration is finished (the job succeeds); the record says where the disks
 * are either way. The clean-up of an interrupted job discards a start, finishes a discard, and
 * waits for a migration's relocation task before deciding (instant-run.ts).
 */
import { randomUUID } from 'node:crypto';
import { vmKey, vmTarget, type VmRef } from '../domain/index.js';
import { LifelineError, ValidationError } from '../errors/index.js';
import { JobBusyError, type JobContext, type JobHandler, type JobRecord, type JobRunner, type JobTarget, type SubmitResult } from '../jobs/index.js';
import {
  migrationTarget,
  requireRun,
  resolveInstantRun,
  runInstantAttach,
  runInstantDiscard,
  runInstantMigrate,
  runInstantNewInstance,
  type InstantNewRequest,
  type InstantRunContext,
  type InstantRunDeps,
} from './instant-run.js';
import { notCancelled, userCancel } from './instant-revert-job.js';
import { InstantRunStore, type InstantRunRecord } from './instant-runs.js';
import type { PublicationUse } from './publication-use.js';

export const INSTANT_RUN_JOB_KIND = 'instant-recovery';

export type InstantRunJobParams =
  | ({ operation: 'new-instance' } & InstantNewRequest)
  | { operation: 'attach'; runId: string; pointId: string; vm: VmRef; disks: number[] | null }
  | { operation: 'migrate'; runId: string; datastore: string }
  | { operation: 'discard'; runId: string };

function parseParams(p: unknown): InstantRunJobParams {
  const x = p as Partial<Record<string, unknown>> | null;
  const op = typeof x === 'object' && x !== null ? x['operation'] : undefined;
  const ok =
    typeof x === 'object' &&
    x !== null &&
    typeof x['runId'] === 'string' &&
    ((op === 'new-instance' && typeof x['pointId'] === 'string' && typeof x['vcenterGuid'] === 'string' && typeof x['name'] === 'string') ||
      (op === 'attach' && typeof x['pointId'] === 'string' && typeof x['vm'] === 'object') ||
      (op === 'migrate' && typeof x['datastore'] === 'string') ||
      op === 'discard');
  if (!ok) throw new ValidationError('instant-recovery job params need an operation, a run id and what it works on', { field: 'params' });
  return p as InstantRunJobParams;
}

/** The job context as the use case takes it; progress is reported as parts of 100 (bytesDone of bytesTotal 100). */
function runContext(ctx: JobContext<InstantRunJobParams>): InstantRunContext {
  return {
    signal: ctx.signal,
    jobId: ctx.jobId,
    log: (m) => ctx.log(m),
    progress: (percent) => ctx.progress(percent, 100),
  };
}

export function createInstantRunJobHandler(deps: InstantRunDeps): JobHandler<InstantRunJobParams> {
  return {
    // A failed start has been undone; trying again is the user's decision.
    retry: { maxAttempts: 1 },
    timeoutMs: 24 * 3_600_000,
    async run(ctx: JobContext<InstantRunJobParams>): Promise<unknown> {
      const p = parseParams(ctx.params);
      const c = runContext(ctx);
      switch (p.operation) {
        case 'new-instance': {
          ctx.phase('start');
          const rec = await runInstantNewInstance(deps, p, c);
          return { runId: rec.id, vm: rec.vm, pointId: rec.pointId };
        }
        case 'attach': {
          ctx.phase('attach');
          const rec = await runInstantAttach(deps, p, c);
          return { runId: rec.id, vm: rec.vm, pointId: rec.pointId, disks: rec.disks.map((d) => ({ pointDisk: d.pointDisk, file: d.publishedFile, deviceKey: d.deviceKey })) };
        }
        case 'migrate':
          ctx.phase('migrate');
          // A cancel asks vCenter to cancel its relocation task; the waiting itself stops only on shutdown or the time limit.
          return runInstantMigrate(deps, p.runId, p.datastore, { ...c, signal: notCancelled(ctx, false), cancel: userCancel(ctx) });
        case 'discard':
          ctx.phase('discard');
          return runInstantDiscard(deps, p.runId, c);
      }
    },
    async cleanup(job: JobRecord, signal: AbortSignal): Promise<void> {
      await resolveInstantRun(deps, parseParams(job.params).runId, signal);
    },
  };
}

export interface InstantRunServiceOptions {
  readonly runner: Pick<JobRunner, 'submit' | 'activeForTarget'>;
  readonly deps: InstantRunDeps;
  readonly newId?: () => string;
}

/** The job target of a run: its VM, or (a new instance not made yet) the new VM's name. */
function targetOf(rec: Pick<InstantRunRecord, 'kind' | 'vm' | 'vmName' | 'vcenterGuid'>): JobTarget {
  return rec.vm ? vmTarget({ vcenterGuid: rec.vcenterGuid, moref: rec.vm }) : { type: 'NewVirtualMachine', id: rec.vmName, vcenterGuid: rec.vcenterGuid };
}

export class InstantRunService {
  private readonly newId: () => string;

  constructor(private readonly o: InstantRunServiceOptions) {
    this.newId = o.newId ?? randomUUID;
  }

  list(): readonly InstantRunRecord[] {
    return this.o.deps.runs.list();
  }

  get(runId: string): InstantRunRecord {
    return requireRun(this.o.deps, runId);
  }

  /**
   * VMs (by vmKey) that run from a publication: an instant new instance, and a VM with instant-
   * attached disks. Their backups are held: a snapshot would put its delta files on Lifeline's NFS
   * datastore beside the published disks, a backup would read the point back into the store
   * through NFS, and a discard or migration would meet a snapshot chain.
   */
  heldVms(): Set<string> {
    return new Set(this.o.deps.runs.list().flatMap((r) => (r.vm ? [vmKey({ vcenterGuid: r.vcenterGuid, moref: r.vm })] : [])));
  }

  /** Why backups of a VM (by its key) are held, when it runs from a publication. */
  heldReason(key: string): string | undefined {
    const rec = this.o.deps.runs.list().find((r) => r.vm !== null && vmKey({ vcenterGuid: r.vcenterGuid, moref: r.vm }) === key);
    if (!rec) return undefined;
    return rec.kind === 'attach'
      ? `disks of restore point ${rec.pointId} are attached to it from Lifeline's NFS datastore (instant attach ${rec.id}); migrate them to production or discard them first`
      : `it runs from restore point ${rec.pointId} (instant new instance ${rec.id}); migrate it to production or discard it first`;
  }

  /** The instant new instance or attachment running from the publication, if any. */
  publicationUse(publicationId: string): PublicationUse | undefined {
    const rec = this.o.deps.runs.list().find((r) => r.publicationId === publicationId);
    if (!rec) return undefined;
    const next = rec.state === 'migrating' ? 'wait for its migration to production to end, or cancel it' : 'migrate it to production or discard it first';
    return { vm: rec.vm ?? '(not made yet)', vmName: rec.vmName, what: rec.kind === 'attach' ? 'instant attach' : 'instant new instance', runId: rec.id, state: rec.state, next };
  }

  /** Queues an instant new instance; `req` as resolved (defaults filled in) for the privilege check. */
  newInstance(req: Omit<InstantNewRequest, 'runId'>, requestedBy: string): SubmitResult & { runId: string } {
    this.refusePublished(req.pointId);
    const target: JobTarget = { type: 'NewVirtualMachine', id: req.name, vcenterGuid: req.vcenterGuid };
    this.ensureIdle(target);
    const runId = this.newId();
    return { ...this.submit(target, { operation: 'new-instance', runId, ...req }, requestedBy), runId };
  }

  /** Refuses a VM this vCenter does not have (404), before anything is queued. */
  async requireVm(vm: VmRef, signal: AbortSignal): Promise<void> {
    const vc = await this.o.deps.vcenters.vcenter(vm.vcenterGuid, signal);
    if (!(await vc.inventory(signal)).vms.some((v) => v.moref === vm.moref)) {
      throw new LifelineError('not-found', `VM ${vm.moref} does not exist in this vCenter`, { field: 'vm', vm: vm.moref });
    }
  }

  attach(pointId: string, vm: VmRef, disks: number[] | null, requestedBy: string): SubmitResult & { runId: string } {
    this.refusePublished(pointId);
    this.ensureIdle(vmTarget(vm));
    const runId = this.newId();
    return { ...this.submit(vmTarget(vm), { operation: 'attach', runId, pointId, vm, disks }, requestedBy), runId };
  }

  /** Checks the datastore now (one of the VM's datacenter), so that a wrong one is refused before anything is queued. */
  async migrationTarget(runId: string, datastore: string, signal: AbortSignal): Promise<{ moref: string; name: string }> {
    const rec = this.get(runId);
    const vc = await this.o.deps.vcenters.vcenter(rec.vcenterGuid, signal);
    return migrationTarget(vc, rec, datastore, signal);
  }

  /** What a migration may be asked for: the datastores of the VM's datacenter but Lifeline's NFS datastore, by name. */
  async migrationTargets(runId: string, signal: AbortSignal): Promise<Array<{ name: string; capacityBytes: number | null; freeBytes: number | null }>> {
    const rec = this.get(runId);
    const vc = await this.o.deps.vcenters.vcenter(rec.vcenterGuid, signal);
    return (await vc.inventory(signal)).datastores
      .filter((d) => d.datacenter === rec.datacenter && d.moref !== rec.nfsDatastore)
      .map((d) => ({ name: d.name, capacityBytes: d.capacityBytes ?? null, freeBytes: d.freeBytes ?? null }))
      .sort((a, b) => a.name.localeCompare(b.name));
  }

  migrate(runId: string, datastore: string, requestedBy: string): SubmitResult & { runId: string } {
    const rec = this.get(runId);
    if (rec.state !== 'running' && rec.state !== 'migrating') throw new LifelineError('conflict', `instant recovery ${runId} is ${rec.state}; only a running one can be migrated to production`, { state: rec.state });
    const target = targetOf(rec);
    this.ensureIdle(target);
    return { ...this.submit(target, { operation: 'migrate', runId, datastore }, requestedBy), runId };
  }

  discard(runId: string, requestedBy: string): SubmitResult & { runId: string } {
    const rec = this.get(runId);
    if (rec.state === 'migrating') throw new LifelineError('conflict', `instant recovery ${runId} is being migrated to production; cancel its migration job first (vCenter then stops moving the disks) or let it end`, { state: rec.state });
    const target = targetOf(rec);
    this.ensureIdle(target);
    return { ...this.submit(target, { operation: 'discard', runId }, requestedBy), runId };
  }

  private refusePublished(pointId: string): void {
    const pub = this.o.deps.publications.list().find((p) => p.pointId === pointId);
    if (pub) throw new LifelineError('conflict', `restore point ${pointId} is published already (folder ${pub.folder}): something else runs from it; discard that first or use another point`, { pointId });
  }

  /** Any job on the target, of whatever kind, makes the request wait for the user. */
  private ensureIdle(target: JobTarget): void {
    const active = this.o.runner.activeForTarget(target);
    if (active) throw new JobBusyError(active, target);
  }

  private submit(target: JobTarget, params: InstantRunJobParams, requestedBy: string): SubmitResult {
    return this.o.runner.submit({ kind: INSTANT_RUN_JOB_KIND, target, params, priority: 20, requestedBy });
  }
}

export interface InstantRunsOptions extends Omit<InstantRunDeps, 'runs'> {
  readonly runner: Pick<JobRunner, 'register' | 'submit' | 'activeForTarget'>;
  readonly dataDir: string;
}

/** Opens the records in `<dataDir>/instant/`, registers the 'instant-recovery' job kind and returns the service the API uses. */
export async function startInstantRuns(o: InstantRunsOptions): Promise<InstantRunService> {
  const deps: InstantRunDeps = { vcenters: o.vcenters, publications: o.publications, repository: o.repository, export: o.export, runs: await InstantRunStore.open(o.dataDir) };
  o.runner.register(INSTANT_RUN_JOB_KIND, createInstantRunJobHandler(deps));
  return new InstantRunService({ runner: o.runner, deps });
}
