/**
 * The 'backup' job kind: createBackupJobHandler(deps) is what the server registers on the job
 * runner. A run looks up the VM's policy and vCenter and runs the pipeline; the clean-up of a job
 * interrupted by a crash removes the snapshot its checkpoint names (and any other snapshot with
 * the job's name), because the repository's own recovery already discards the pending point.
 */
import { LifelineError, ValidationError } from '../errors/index.js';
import { noHooks, type BackupHooks } from '../hooks/index.js';
import type { JobHandler, JobRecord, RetryPolicy } from '../jobs/index.js';
import type { Repository } from '../store/index.js';
import { isVimFault } from '../vsphere/index.js';
import { removeBackupSnapshot, runBackup, snapshotNameFor, type BackupCheckpoint, type BackupRequest, type BackupResult, type BackupVcenter } from './backup-pipeline.js';
import type { ProtectionPolicy } from './policy.js';
import type { PolicyStore } from './policy-store-type.js';
import type { BackupJobParams } from './scheduler-driver.js';
import { validateVmRef, type TimeSource, type VmRef } from '../domain/index.js';

/** The vCenters Lifeline is configured for, by instance GUID; connections are the provider's to keep. */
export interface VcenterProvider {
  vcenter(vcenterGuid: string, signal: AbortSignal): Promise<BackupVcenter>;
}

export interface BackupJobDeps {
  repository: Repository;
  policies: Pick<PolicyStore, 'getPolicy'>;
  vcenters: VcenterProvider;
  /**
   * The hooks to run around the VM's snapshot under the policy the job runs with; default none.
   * Throwing fails the job before anything touches the VM (e.g. the policy's hook set is gone).
   */
  hooksFor?: (vm: VmRef, policy: ProtectionPolicy) => BackupHooks;
  clock: TimeSource;
  hookTimeoutMs?: number;
  cleanupTimeoutMs?: number;
  retry?: Partial<RetryPolicy>;
  /** An attempt running longer than this is aborted ('job-timeout'). Default 24 hours. */
  timeoutMs?: number;
  /**
   * Where a VM's points go when not to `repository`: a VM failed over to this site is backed up
   * into the replica of its source site's repository as a point of the source's VM (docs/dr.md,
   * "Failback"); null: `repository`, as its own.
   */
  destinationOf?: (vm: VmRef, signal: AbortSignal) => Promise<BackupDestination | null>;
}

export interface BackupDestination {
  repository: Repository;
  storeAs: NonNullable<BackupRequest['storeAs']>;
  /** Said in the job's log. */
  note: string;
}

function parseParams(params: unknown): BackupJobParams {
  const p = params as Partial<BackupJobParams> | null;
  if (typeof p !== 'object' || p === null || typeof p.policyId !== 'string' || (p.trigger !== 'schedule' && p.trigger !== 'manual')) {
    throw new ValidationError('backup job params need vm, policyId and trigger', { field: 'params' });
  }
  return { vm: validateVmRef(p.vm), policyId: p.policyId, trigger: p.trigger };
}

function isCheckpoint(v: unknown): v is BackupCheckpoint {
  const c = v as Partial<BackupCheckpoint> | null;
  return typeof c === 'object' && c !== null && typeof c.vcenterGuid === 'string' && typeof c.vm === 'string' && typeof c.snapshotName === 'string';
}

/** Faults worth another attempt: vCenter unreachable or busy, the repository's storage briefly failing. */
export function isTransientBackupError(err: unknown): boolean {
  if (isVimFault(err, 'TaskInProgress', 'HostCommunication', 'ConcurrentAccess')) return true;
  return err instanceof LifelineError && err.code === 'vsphere-unreachable';
}

export function createBackupJobHandler(deps: BackupJobDeps): JobHandler<BackupJobParams, BackupCheckpoint> {
  return {
    retry: deps.retry,
    timeoutMs: deps.timeoutMs ?? 24 * 3_600_000,
    isTransient: isTransientBackupError,
    async run(ctx): Promise<BackupResult> {
      const params = parseParams(ctx.params);
      const policy = deps.policies.getPolicy(params.policyId);
      const hooks = deps.hooksFor?.(params.vm, policy) ?? noHooks;
      const vcenter = await deps.vcenters.vcenter(params.vm.vcenterGuid, ctx.signal);
      ctx.log(`${params.trigger === 'manual' ? 'manual' : 'scheduled'} backup of ${params.vm.moref} with policy ${policy.name} (${policy.consistency}-consistent${policy.hookSet ? `, hook set ${policy.hookSet}` : ''})`);
      if (policy.replicationSite !== null) {
        ctx.log(`policy ${policy.name} names the replication site ${policy.replicationSite}: a replication job copies the new restore point there once this backup succeeds`);
      }
      const destination = (await deps.destinationOf?.(params.vm, ctx.signal)) ?? null;
      if (destination) ctx.log(destination.note);
      return runBackup(
        {
          vcenter,
          vcenterGuid: params.vm.vcenterGuid,
          repository: destination?.repository ?? deps.repository,
          hooks,
          clock: deps.clock,
          hookTimeoutMs: deps.hookTimeoutMs,
          cleanupTimeoutMs: deps.cleanupTimeoutMs,
        },
        { jobId: ctx.jobId, vm: params.vm.moref, policy, ...(destination ? { storeAs: destination.storeAs } : {}) },
        ctx,
      );
    },
    async cleanup(job: JobRecord, signal: AbortSignal): Promise<void> {
      const cp = isCheckpoint(job.checkpoint) ? job.checkpoint : undefined;
      // No checkpoint: the job died before it named a snapshot, so it made none.
      if (!cp) return;
      const vc = await deps.vcenters.vcenter(cp.vcenterGuid, signal);
      if (cp.snapshot !== null) await removeBackupSnapshot(vc, cp.vm, cp.snapshotName, cp.snapshot, signal);
      // A snapshot whose task was still running at the crash has no moref in the checkpoint.
      await removeBackupSnapshot(vc, cp.vm, snapshotNameFor(job.id), null, signal);
    },
  };
}
