/**
 * What the API asks of recovery: each request is checked at once against what is known now (the
 * point exists and fits, the VM is not busy, a running VM is only powered off with the user's
 * confirmation) and then queued as a 'restore' job; the job checks again when it runs. Reads
 * (a VM's revert, its attachments) come from the recovery store.
 */
import { randomUUID } from 'node:crypto';
import { parseVmKey, sameVm, vmTarget, type VmRef } from '../domain/index.js';
import { JobBusyError, type JobRunner, type JobTarget, type SubmitResult } from '../jobs/index.js';
import { isStoreError, type Repository } from '../store/index.js';
import { repositoryOf, type PointSource } from './recovery-steps.js';
import { resolveAttachTargets } from './attach.js';
import { instantiateTargets, validateInstanceName, type InstantiateRequest } from './new-instance.js';
import { RecoveryError } from './recovery-error.js';
import type { AttachmentRecord, RecoveryStore, RevertRecord } from './recovery-store.js';
import type { RecoveryVcenterProvider } from './recovery-vcenter.js';
import { RESTORE_JOB_KIND, type RestoreJobParams } from './restore-job.js';
import { isRunning } from './revert.js';

export interface RecoveryServiceOptions {
  readonly runner: Pick<JobRunner, 'submit' | 'activeForTarget'>;
  readonly repository: Repository;
  /** The copy on object storage, for restores that read from it; absent or null when the server has none. */
  readonly objectCopy?: {
    /** Opens it when not open yet. */
    open(signal: AbortSignal): Promise<Repository>;
    /** The copy once open, else null. */
    opened(): Repository | null;
  } | null;
  readonly store: RecoveryStore;
  readonly vcenters: RecoveryVcenterProvider;
  readonly newId?: () => string;
  /** The point of another revert the VM is in (an instant revert), if any: the two never overlap. */
  readonly otherRevert?: (vm: VmRef) => string | undefined;
}

export interface PointSummary {
  id: string;
  /** The VM it was taken of, when its catalog key names one. */
  vm: VmRef | undefined;
  vmName: string;
  createdAt: string;
}

/**
 * An object a restore would act on and the privileges vCenter itself demands of a user doing the
 * same there (vim25 CreateVM_Task: VirtualMachine.Inventory.Create on the folder,
 * Resource.AssignVMToPool on the pool, Datastore.AllocateSpace on the datastore, Network.Assign on
 * each network; ReconfigVM_Task adding an existing disk: VirtualMachine.Config.AddExistingDisk on
 * the VM, Datastore.AllocateSpace where its file is).
 */
export interface RestoreTarget {
  readonly entity: { readonly type: string; readonly value: string };
  readonly privileges: readonly string[];
}


/** The job parameter for a source: none for the local store, so that those jobs read as before. */
function sourceParam(source: PointSource): { source?: PointSource } {
  return source === 'local' ? {} : { source };
}

export class RecoveryService {
  private readonly newId: () => string;

  constructor(private readonly o: RecoveryServiceOptions) {
    this.newId = o.newId ?? randomUUID;
  }

  /**
   * A committed point, or 'not-found'; its catalog row only once the sealed manifest agrees with
   * it (the store's 'catalog-integrity' otherwise), since which VM it is of decides who may use it.
   */
  async point(pointId: string, signal: AbortSignal, source: PointSource = 'local'): Promise<PointSummary> {
    let row;
    try {
      row = (await (await this.repository(source, signal)).authenticPoint(pointId, signal)).point;
    } catch (err) {
      if (isStoreError(err, 'point-not-found')) {
        throw new RecoveryError('not-found', source === 'local' ? `restore point ${pointId} does not exist` : `restore point ${pointId} has no copy on object storage`, { pointId });
      }
      throw err;
    }
    return { id: row.id, vm: parseVmKey(row.vmId) ?? undefined, vmName: row.vmName, createdAt: new Date(row.createdAt).toISOString() };
  }

  /** The repository a restore from `source` reads. */
  repository(source: PointSource, signal: AbortSignal): Promise<Repository> {
    const copy = this.o.objectCopy;
    return repositoryOf({ repository: this.o.repository, objectCopy: copy ? (sig) => copy.open(sig) : null }, source, signal);
  }

  /** The repository of `source` if it is open now (the local store always is), else null. */
  openRepository(source: PointSource): Repository | null {
    return source === 'local' ? this.o.repository : (this.o.objectCopy?.opened() ?? null);
  }

  revertOf(vm: VmRef): RevertRecord | undefined {
    return this.o.store.getRevert(vm);
  }

  listAttachments(vm: VmRef): AttachmentRecord[] {
    return this.o.store.listAttachments(vm);
  }

  attachment(id: string): AttachmentRecord {
    const rec = this.o.store.getAttachment(id);
    if (!rec) throw new RecoveryError('not-found', `attachment ${id} does not exist`, { attachmentId: id });
    return rec;
  }

  async revert(vm: VmRef, pointId: string, powerOff: boolean, requestedBy: string, signal: AbortSignal, source: PointSource = 'local'): Promise<SubmitResult> {
    const p = await this.point(pointId, signal, source);
    if (!p.vm || !sameVm(p.vm, vm)) {
      throw new RecoveryError('validation', `restore point ${pointId} is of VM ${p.vmName}, not of ${vm.moref}; restore it as a new instance or attach its disks instead`, { field: 'pointId' });
    }
    const existing = this.o.store.getRevert(vm);
    if (existing) {
      throw new RecoveryError('conflict', `VM ${vm.moref} is already reverted to ${existing.pointId}; cancel the revert or make it permanent first`, { pointId: existing.pointId, state: existing.state });
    }
    const other = this.o.otherRevert?.(vm);
    if (other) throw new RecoveryError('conflict', `VM ${vm.moref} runs from restore point ${other} (instant revert); cancel it or make it permanent first`, { pointId: other });
    this.ensureIdle(vmTarget(vm));
    await this.checkPower(vm, powerOff, 'a revert', signal);
    return this.submit(vmTarget(vm), { operation: 'revert', vm, pointId, powerOff, ...sourceParam(source) }, requestedBy);
  }

  async cancelRevert(vm: VmRef, powerOff: boolean, requestedBy: string, signal: AbortSignal): Promise<SubmitResult> {
    const rec = this.requireRevert(vm);
    if (rec.state === 'committing') throw new RecoveryError('conflict', `the revert of VM ${vm.moref} is being made permanent; it can no longer be cancelled`, { state: rec.state });
    this.ensureIdle(vmTarget(vm));
    await this.checkPower(vm, powerOff, 'cancelling the revert', signal);
    return this.submit(vmTarget(vm), { operation: 'revert-cancel', vm, powerOff }, requestedBy);
  }

  commitRevert(vm: VmRef, requestedBy: string): SubmitResult {
    const rec = this.requireRevert(vm);
    if (rec.state !== 'reverted' && rec.state !== 'committing') {
      throw new RecoveryError('conflict', `the revert of VM ${vm.moref} is ${rec.state}; only a completed revert can be made permanent`, { state: rec.state });
    }
    this.ensureIdle(vmTarget(vm));
    return this.submit(vmTarget(vm), { operation: 'revert-commit', vm }, requestedBy);
  }

  async attach(pointId: string, vm: VmRef, disks: number[] | null, datastore: string | null, requestedBy: string, signal: AbortSignal, source: PointSource = 'local'): Promise<SubmitResult & { attachmentId: string }> {
    await this.point(pointId, signal, source);
    if (disks !== null) {
      const known = new Set((await (await this.repository(source, signal)).readManifest(pointId, signal)).disks.map((d) => d.disk));
      const unknown = disks.find((d) => !known.has(d));
      if (unknown !== undefined) throw new RecoveryError('validation', `restore point ${pointId} has no disk ${unknown}`, { field: 'disks' });
    }
    this.ensureIdle(vmTarget(vm));
    const attachmentId = this.newId();
    const r = this.submit(vmTarget(vm), { operation: 'attach', attachmentId, pointId, vm, disks, datastore, ...sourceParam(source) }, requestedBy);
    return { ...r, attachmentId };
  }

  detach(attachmentId: string, requestedBy: string): SubmitResult {
    const rec = this.attachment(attachmentId);
    if (rec.state !== 'attached' && rec.state !== 'detaching') {
      throw new RecoveryError('conflict', `attachment ${attachmentId} is ${rec.state}; it can be detached once attached`, { state: rec.state });
    }
    this.ensureIdle(vmTarget(rec.vm));
    return this.submit(vmTarget(rec.vm), { operation: 'detach', attachmentId, vm: rec.vm }, requestedBy);
  }

  async instantiate(pointId: string, req: Omit<InstantiateRequest, 'pointId'>, requestedBy: string, signal: AbortSignal): Promise<SubmitResult> {
    await this.point(pointId, signal, req.source);
    validateInstanceName(req.name);
    // One new instance per name at a time.
    const target: JobTarget = { type: 'NewVirtualMachine', id: req.name, vcenterGuid: req.vcenterGuid };
    this.ensureIdle(target);
    return this.submit(target, { operation: 'instantiate', pointId, ...req }, requestedBy);
  }

  /**
   * What a new instance would use, resolved now as the job will (the defaults filled in, so that
   * the job uses exactly what was checked), and what each target needs of the user.
   */
  async instantiateTargets(pointId: string, req: Omit<InstantiateRequest, 'pointId'>, signal: AbortSignal): Promise<{ request: Omit<InstantiateRequest, 'pointId'>; targets: RestoreTarget[] }> {
    const t = await instantiateTargets({ repository: await this.repository(req.source ?? 'local', signal), vcenters: this.o.vcenters }, { ...req, pointId }, signal);
    const targets: RestoreTarget[] = [
      { entity: t.placement.folder, privileges: ['VirtualMachine.Inventory.Create'] },
      { entity: t.placement.pool, privileges: ['Resource.AssignVMToPool'] },
      { entity: { type: 'Datastore', value: t.datastore.moref }, privileges: ['Datastore.AllocateSpace'] },
      ...t.networks.map((n) => ({ entity: { type: n.type, value: n.moref }, privileges: ['Network.Assign'] })),
    ];
    return { request: { ...req, datastore: t.datastore.name, folder: t.placement.folder.value, pool: t.placement.pool.value }, targets };
  }

  /** What attaching a point's disks to `vm` would use: the VM, and the datastore (checked to be one of the VM's datacenter). */
  async attachTargets(vm: VmRef, datastore: string | null, signal: AbortSignal): Promise<{ datastore: string; targets: RestoreTarget[] }> {
    const vc = await this.o.vcenters.vcenter(vm.vcenterGuid, signal);
    const t = await resolveAttachTargets(vc, vm.moref, datastore, signal);
    return {
      datastore: t.datastore.name,
      targets: [
        { entity: { type: 'VirtualMachine', value: vm.moref }, privileges: ['VirtualMachine.Config.AddExistingDisk'] },
        { entity: { type: 'Datastore', value: t.datastore.moref }, privileges: ['Datastore.AllocateSpace'] },
      ],
    };
  }

  private requireRevert(vm: VmRef): RevertRecord {
    const rec = this.o.store.getRevert(vm);
    if (!rec) throw new RecoveryError('not-found', `VM ${vm.moref} is not in a revert`, { vm: vm.moref });
    return rec;
  }

  /** Any job on the target, of whatever kind, makes a recovery request wait for the user. */
  private ensureIdle(target: JobTarget): void {
    const active = this.o.runner.activeForTarget(target);
    if (active) throw new JobBusyError(active, target);
  }

  private async checkPower(vm: VmRef, confirmed: boolean, what: string, signal: AbortSignal): Promise<void> {
    if (confirmed) return;
    const vc = await this.o.vcenters.vcenter(vm.vcenterGuid, signal);
    const info = await vc.getVm(vm.moref, signal);
    if (isRunning(info)) {
      throw new RecoveryError('conflict', `VM ${info.name} is ${info.powerState}; ${what} powers it off: confirm with powerOff: true`, { reason: 'vm-running' });
    }
  }

  private submit(target: JobTarget, params: RestoreJobParams, requestedBy: string): SubmitResult {
    return this.o.runner.submit({ kind: RESTORE_JOB_KIND, target, params, priority: 20, requestedBy });
  }
}
