/**
 * Instant revert as users reach it: the 'instant-revert' job kind and the service the API calls.
 * Each request is checked at once against what is known now (the NFS server is configured, the
 * point exists and is of the VM, the VM is in no other revert and no job works on it, a running VM
 * is powered off only with the user's confirmation), then queued as a job; the job checks again
 * when it runs (instant-revert.ts).
 *
 *   operation 'revert'  runInstantRevert: the VM runs from the published point
 *   operation 'cancel'  runInstantCancel: its own disks back, the publication dropped
 *   operation 'commit'  runInstantCommit: make permanent, Storage vMotion of the disks home
 *
 * Progress is in bytes of the VM's disks (the relocation's progress during make permanent). A
 * user may cancel the job (Restore privilege): a revert cancelled while it runs is undone; a make
 * permanent cancelled while vCenter moves the disks has vCenter's relocation task cancelled
 * (Task.CancelTask): on RequestCanceled the VM runs on from the NFS datastore as before (the
 * job ends cancelled); when vCenter finishes first, the make permanent is finished (the job
 * succeeds). Either way the VM is whole on one side, never half moved. A cancel (of the instant
 * revert) runs to its end once started; a user's cancel of it is logged as having no effect.
 * The clean-up of a job interrupted by a stop of Lifeline undoes an unfinished revert, finishes
 * an interrupted cancel, and finishes an interrupted make permanent (settleInstantRevert).
 */
import { LifelineError, ValidationError } from '../errors/index.js';
import { isVmRef, vmKey, vmTarget, type VmRef } from '../domain/index.js';
import { ignoringCancel, JobBusyError, type JobContext, type JobHandler, type JobRecord, type JobRunner, type SubmitResult } from '../jobs/index.js';
import { isStoreError, type PointManifest } from '../store/index.js';
import { runInstantCancel, runInstantCommit, runInstantRevert, settleInstantRevert, type InstantContext, type InstantDeps, type InstantPublications } from './instant-revert.js';
import { InstantStore, type InstantRevertRecord } from './instant-store.js';
import type { InstantVcenter } from './instant-vcenter.js';
import { datastoreNameFor, type NfsExport } from './nfs-datastore.js';
import type { PublicationUse } from './publication-use.js';

export const INSTANT_REVERT_JOB_KIND = 'instant-revert';

export type InstantRevertJobParams =
  | { operation: 'revert'; vm: VmRef; pointId: string; powerOff: boolean }
  | { operation: 'cancel'; vm: VmRef }
  | { operation: 'commit'; vm: VmRef };

export interface InstantRevertOptions {
  readonly runner: Pick<JobRunner, 'submit' | 'activeForTarget'>;
  readonly store: InstantStore;
  /** The NFS server's publications and how ESXi reaches its export; null when the configuration has no NFS server. */
  readonly nfs: { readonly publications: InstantPublications; readonly export: NfsExport } | null;
  readonly repository: { readManifest(pointId: string, signal: AbortSignal): Promise<PointManifest> };
  vcenter(vcenterGuid: string, signal: AbortSignal): Promise<InstantVcenter>;
  /** The point of another revert the VM is in (the copy-first one), if any: the two never overlap. */
  readonly otherRevert?: (vm: VmRef) => string | undefined;
}

function parseParams(p: unknown): InstantRevertJobParams {
  const x = p as Partial<Record<string, unknown>> | null;
  const op = typeof x === 'object' && x !== null ? x['operation'] : undefined;
  const ok = typeof x === 'object' && x !== null && isVmRef(x['vm']) && (op === 'cancel' || op === 'commit' || (op === 'revert' && typeof x['pointId'] === 'string'));
  if (!ok) throw new ValidationError('instant-revert job params need an operation and the VM', { field: 'params' });
  return p as InstantRevertJobParams;
}

const isUserCancel = (reason: unknown): boolean => reason instanceof LifelineError && reason.code === 'cancelled';

/**
 * The job's signal without the user's cancel: aborted on shutdown or timeout only, also after a
 * cancel (JobContext.stopSignal). A step that must run to its end once started (a cancel of an
 * instant revert) takes it; with `say`, a user's cancel is logged as having no effect.
 */
export function notCancelled(ctx: Pick<JobContext<unknown>, 'signal' | 'stopSignal' | 'log'>, say = true): AbortSignal {
  return ignoringCancel(ctx, () => {
    if (say) ctx.log('a cancel takes no effect here: this step runs to its end once started', 'warn');
  });
}

/** The user's cancel alone (not a shutdown or the time limit): for a step that moves disks, it cancels vCenter's relocation task. */
export function userCancel(ctx: Pick<JobContext<unknown>, 'signal'>): AbortSignal {
  const c = new AbortController();
  const follow = (): void => {
    if (isUserCancel(ctx.signal.reason)) c.abort(ctx.signal.reason);
  };
  if (ctx.signal.aborted) follow();
  else ctx.signal.addEventListener('abort', follow, { once: true });
  return c.signal;
}

const NO_NFS = 'This Lifeline server has no NFS server, which an instant revert runs the VM from: add an "nfs" section (host, clients) to its configuration.';

export class InstantRevertService {
  constructor(private readonly o: InstantRevertOptions) {}

  /** The VM's instant revert, if it is in one. */
  revertOf(vm: VmRef): InstantRevertRecord | undefined {
    return this.o.store.get(vm);
  }

  /** The VM in an instant revert from the publication, if any. */
  publicationUse(publicationId: string): PublicationUse | undefined {
    const rec = this.o.store.list().find((r) => r.publicationId === publicationId);
    return rec && { vm: rec.vm.moref, vmName: null, what: 'instant revert', runId: null, state: rec.state, next: 'make the revert permanent or cancel it first' };
  }

  /** VMs running from a restore point: scheduled backups leave them alone. */
  heldVms(): Set<string> {
    return new Set(this.o.store.list().map((r) => vmKey(r.vm)));
  }

  /** Why backups of a VM (by its key) are held, when it runs from a restore point. */
  heldReason(key: string): string | undefined {
    const rec = this.o.store.list().find((r) => vmKey(r.vm) === key);
    return rec && `it runs from restore point ${rec.pointId} (instant revert); make it permanent or cancel it first`;
  }

  async revert(vm: VmRef, pointId: string, powerOff: boolean, requestedBy: string, signal: AbortSignal): Promise<SubmitResult> {
    this.requireNfs();
    let manifest: PointManifest;
    try {
      manifest = await this.o.repository.readManifest(pointId, signal);
    } catch (err) {
      if (isStoreError(err, 'point-not-found') || isStoreError(err, 'object-not-found')) throw new LifelineError('not-found', `restore point ${pointId} does not exist`, { pointId });
      throw err;
    }
    if (manifest.vm.id !== vmKey(vm)) {
      throw new ValidationError(`restore point ${pointId} is of VM ${manifest.vm.name}, not of ${vm.moref}; restore it as a new instance or attach its disks instead`, { field: 'pointId' });
    }
    const existing = this.o.store.get(vm);
    if (existing) throw new LifelineError('conflict', `VM ${vm.moref} already runs from restore point ${existing.pointId}; cancel it or make it permanent first`, { pointId: existing.pointId, state: existing.state });
    const other = this.o.otherRevert?.(vm);
    if (other) throw new LifelineError('conflict', `VM ${vm.moref} is reverted to ${other}; cancel that revert or make it permanent first`, { pointId: other });
    this.ensureIdle(vm);
    if (!powerOff) {
      const info = await (await this.o.vcenter(vm.vcenterGuid, signal)).getVm(vm.moref, signal);
      if (info.powerState !== 'poweredOff') {
        throw new LifelineError('conflict', `VM ${info.name} is ${info.powerState}; an instant revert powers it off: confirm with powerOff: true`, { reason: 'vm-running' });
      }
    }
    return this.submit(vm, { operation: 'revert', vm, pointId, powerOff }, requestedBy);
  }

  cancel(vm: VmRef, requestedBy: string): SubmitResult {
    this.requireNfs();
    const rec = this.requireRevert(vm);
    if (rec.state === 'migrating') throw new LifelineError('conflict', `the instant revert of VM ${vm.moref} is being made permanent; cancel its make-permanent job first (vCenter then stops moving the disks) or let it end`, { state: rec.state });
    this.ensureIdle(vm);
    return this.submit(vm, { operation: 'cancel', vm }, requestedBy);
  }

  commit(vm: VmRef, requestedBy: string): SubmitResult {
    this.requireNfs();
    const rec = this.requireRevert(vm);
    if (rec.state !== 'running' && rec.state !== 'migrating') {
      throw new LifelineError('conflict', `the instant revert of VM ${vm.moref} is ${rec.state}; only a VM running from its restore point can be made permanent`, { state: rec.state });
    }
    this.ensureIdle(vm);
    return this.submit(vm, { operation: 'commit', vm }, requestedBy);
  }

  /** The job kind's handler. */
  handler(): JobHandler<InstantRevertJobParams> {
    return {
      // A failed instant revert has been undone; trying again is the user's decision.
      retry: { maxAttempts: 1 },
      timeoutMs: 24 * 3_600_000,
      run: async (ctx: JobContext<InstantRevertJobParams>): Promise<unknown> => {
        const p = parseParams(ctx.params);
        const deps = await this.deps(p.vm, ctx.signal);
        // Revert: a cancel undoes it. Make permanent: a cancel asks vCenter to cancel its
        // relocation task, and the VM runs on from the point if vCenter did. Cancel: runs to its
        // end once started. Only a stop of the server or the job's time limit interrupts the last
        // two (the waiting, not vCenter's task), and the clean-up finishes them.
        const ictx =
          p.operation === 'revert'
            ? this.context(p.vm, ctx, ctx.signal)
            : p.operation === 'commit'
              ? { ...this.context(p.vm, ctx, notCancelled(ctx, false)), cancel: userCancel(ctx) }
              : this.context(p.vm, ctx, notCancelled(ctx));
        switch (p.operation) {
          case 'revert': {
            ctx.phase('revert');
            const rec = await runInstantRevert(deps, { vm: p.vm, pointId: p.pointId, powerOff: p.powerOff }, ictx);
            return { vm: p.vm, pointId: rec.pointId, state: rec.state, disks: rec.disks.map((d) => ({ pointDisk: d.pointDisk, file: d.publishedFile, setAside: d.originalFile })) };
          }
          case 'cancel':
            ctx.phase('cancel');
            await runInstantCancel(deps, p.vm, ictx);
            return { vm: p.vm, state: 'cancelled' };
          case 'commit':
            ctx.phase('migrate');
            await runInstantCommit(deps, p.vm, ictx);
            return { vm: p.vm, state: 'committed' };
        }
      },
      cleanup: async (job: JobRecord, signal: AbortSignal): Promise<void> => {
        const p = parseParams(job.params);
        if (!this.o.store.get(p.vm) || !this.o.nfs) return;
        await settleInstantRevert(await this.deps(p.vm, signal), p.vm, signal);
      },
    };
  }

  private async deps(vm: VmRef, signal: AbortSignal): Promise<InstantDeps> {
    const nfs = this.requireNfs();
    return { vcenter: await this.o.vcenter(vm.vcenterGuid, signal), publications: nfs.publications, repository: this.o.repository, export: nfs.export, store: this.o.store };
  }

  /** Progress as bytes of the VM's disks in the revert (known once it is recorded). */
  private context(vm: VmRef, ctx: JobContext<InstantRevertJobParams>, signal: AbortSignal): InstantContext {
    // Kept once known: the record is gone by the last report of a make permanent or a cancel.
    let total = 0;
    return {
      signal,
      log: (m) => ctx.log(m),
      progress: (percent) => {
        total ||= (this.o.store.get(vm)?.disks ?? []).reduce((s, d) => s + d.capacity, 0);
        if (total > 0) ctx.progress(Math.round((total * percent) / 100), total);
      },
    };
  }

  private requireNfs(): NonNullable<InstantRevertOptions['nfs']> {
    if (!this.o.nfs) throw new LifelineError('nfs-not-configured', NO_NFS);
    return this.o.nfs;
  }

  private requireRevert(vm: VmRef): InstantRevertRecord {
    const rec = this.o.store.get(vm);
    if (!rec) throw new LifelineError('not-found', `VM ${vm.moref} does not run from a restore point`, { vm: vm.moref });
    return rec;
  }

  /** Any job on the VM, of whatever kind, makes the request wait for the user. */
  private ensureIdle(vm: VmRef): void {
    const active = this.o.runner.activeForTarget(vmTarget(vm));
    if (active) throw new JobBusyError(active, vmTarget(vm));
  }

  private submit(vm: VmRef, params: InstantRevertJobParams, requestedBy: string): SubmitResult {
    return this.o.runner.submit({ kind: INSTANT_REVERT_JOB_KIND, target: vmTarget(vm), params, priority: 20, requestedBy });
  }
}

/**
 * The instant revert of a Lifeline server: its records in `<dataDir>/instant/`, its job kind
 * registered with the runner, the datastore named after the server's site and reaching the NFS
 * server at the configured address.
 */
export async function startInstantRevert(o: {
  readonly runner: Pick<JobRunner, 'submit' | 'activeForTarget' | 'register'>;
  readonly dataDir: string;
  readonly siteName: string;
  /** The NFS server and the address it listens on (the configuration's nfs.host), or null without one. */
  readonly nfs: { readonly service: { readonly publications: InstantPublications; readonly server: { readonly export: string } }; readonly host: string } | null;
  readonly repository: InstantRevertOptions['repository'];
  vcenter(vcenterGuid: string, signal: AbortSignal): Promise<InstantVcenter>;
  readonly otherRevert: (vm: VmRef) => string | undefined;
}): Promise<InstantRevertService> {
  const service = new InstantRevertService({
    runner: o.runner,
    store: await InstantStore.open(o.dataDir),
    nfs: o.nfs && { publications: o.nfs.service.publications, export: { datastoreName: datastoreNameFor(o.siteName), remoteHost: o.nfs.host, remotePath: o.nfs.service.server.export } },
    repository: o.repository,
    vcenter: (guid, signal) => o.vcenter(guid, signal),
    otherRevert: o.otherRevert,
  });
  o.runner.register(INSTANT_REVERT_JOB_KIND, service.handler());
  return service;
}
