/**
 * The 'restore' job kind: every recovery path is one, told apart by `params.operation`. One kind,
 * because they share the Restore privilege (also to cancel them) and the rule that only one
 * job at a time works on a VM. The clean-up of an interrupted job rolls back or finishes what it
 * left (revert.ts, attach.ts, new-instance.ts say which); the run of a failed job has already
 * done that itself.
 */
import { ValidationError } from '../errors/index.js';
import type { JobContext, JobHandler, JobRecord } from '../jobs/index.js';
import { resolveAttachment, runAttach, runDetach } from './attach.js';
import { resolveInstantiate, runInstantiate, type InstantiateCheckpoint, type InstantiateRequest } from './new-instance.js';
import { depsFor, type PointSource, type RecoveryDeps } from './recovery-steps.js';
import { isVmRef, type VmRef } from '../domain/index.js';
import { resolveRevert, runCancelRevert, runCommitRevert, runRevert } from './revert.js';

export const RESTORE_JOB_KIND = 'restore';

export type RestoreJobParams =
  | { operation: 'revert'; vm: VmRef; pointId: string; powerOff: boolean; source?: PointSource }
  | { operation: 'revert-cancel'; vm: VmRef; powerOff: boolean }
  | { operation: 'revert-commit'; vm: VmRef }
  | { operation: 'attach'; attachmentId: string; pointId: string; vm: VmRef; disks: number[] | null; datastore: string | null; source?: PointSource }
  | { operation: 'detach'; attachmentId: string; vm: VmRef }
  | ({ operation: 'instantiate' } & InstantiateRequest);

export type RestoreOperation = RestoreJobParams['operation'];

function parseParams(p: unknown): RestoreJobParams {
  const x = p as Partial<Record<string, unknown>> | null;
  const op = typeof x === 'object' && x !== null ? x['operation'] : undefined;
  const ok =
    typeof x === 'object' &&
    x !== null &&
    (((op === 'revert' || op === 'revert-cancel' || op === 'revert-commit') && isVmRef(x['vm'])) ||
      ((op === 'attach' || op === 'detach') && typeof x['attachmentId'] === 'string' && isVmRef(x['vm'])) ||
      (op === 'instantiate' && typeof x['pointId'] === 'string' && typeof x['vcenterGuid'] === 'string' && typeof x['name'] === 'string'));
  if (!ok) throw new ValidationError('restore job params need an operation and what it works on', { field: 'params' });
  const source = x['source'];
  if (source !== undefined && source !== 'local' && source !== 'object-storage') throw new ValidationError("restore job params: source must be 'local' or 'object-storage'", { field: 'source' });
  return p as RestoreJobParams;
}

function isInstantiateCheckpoint(v: unknown): v is InstantiateCheckpoint {
  const c = v as Partial<InstantiateCheckpoint> | null;
  return typeof c === 'object' && c !== null && typeof c.folder === 'string' && typeof c.vcenterGuid === 'string' && typeof c.stage === 'string';
}

export function createRestoreJobHandler(deps: RecoveryDeps): JobHandler<RestoreJobParams, InstantiateCheckpoint> {
  return {
    // A failed restore has been undone; trying again is the user's decision.
    retry: { maxAttempts: 1 },
    timeoutMs: 24 * 3_600_000,
    async run(ctx: JobContext<RestoreJobParams, InstantiateCheckpoint>): Promise<unknown> {
      const p = parseParams(ctx.params);
      switch (p.operation) {
        case 'revert':
          return runRevert(await depsFor(deps, p.source, ctx.signal), { vm: p.vm, pointId: p.pointId, powerOff: p.powerOff }, ctx);
        case 'revert-cancel':
          return runCancelRevert(deps, { vm: p.vm, powerOff: p.powerOff }, ctx);
        case 'revert-commit':
          return runCommitRevert(deps, { vm: p.vm }, ctx);
        case 'attach':
          return runAttach(await depsFor(deps, p.source, ctx.signal), { attachmentId: p.attachmentId, pointId: p.pointId, vm: p.vm, disks: p.disks, datastore: p.datastore }, ctx);
        case 'detach':
          return runDetach(deps, p.attachmentId, ctx);
        case 'instantiate':
          return runInstantiate(await depsFor(deps, p.source, ctx.signal), p, ctx);
      }
    },
    async cleanup(job: JobRecord, signal: AbortSignal): Promise<void> {
      const p = parseParams(job.params);
      switch (p.operation) {
        case 'revert':
        case 'revert-cancel':
        case 'revert-commit':
          return resolveRevert(deps, p.vm, job.id, signal);
        case 'attach':
        case 'detach':
          return resolveAttachment(deps, p.attachmentId, signal);
        case 'instantiate':
          // No checkpoint: the job died before it made the VM's folder, so it made nothing.
          if (isInstantiateCheckpoint(job.checkpoint)) await resolveInstantiate(deps, job.checkpoint, signal);
          return;
      }
    },
  };
}
