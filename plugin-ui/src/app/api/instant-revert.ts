import { isNumber, isNumberOrNull, isRecord, isString, isStringOrNull } from './json-reader';
import type { components } from './lifeline-api.generated';

/** The API's bodies as its OpenAPI document describes them (lifeline-api.generated.ts). */
type Schemas = components['schemas'];

/** starting → running (from the point on Lifeline's NFS datastore); then migrating (make permanent) or cancelling. */
export type InstantRevertState = NonNullable<Schemas['VmInstantRevert']['state']>;
export const INSTANT_REVERT_STATES = ['starting', 'running', 'migrating', 'cancelling'] as const satisfies readonly InstantRevertState[];

export type InstantRevertJob = NonNullable<Schemas['VmInstantRevert']['job']>;

/**
 * `GET /api/v1/vms/{id}/instant-revert`: whether the VM runs from a restore point straight from
 * the backup (over Lifeline's NFS datastore), which point, and the job working on it now with its
 * progress (during make permanent: the move of the disks to production storage).
 */
export type VmInstantRevert = Pick<Schemas['VmInstantRevert'], 'active' | 'pointId' | 'state' | 'job'>;

function readJob(body: unknown): InstantRevertJob | null | undefined {
  if (body === null) {
    return null;
  }
  if (!isRecord(body)) {
    return undefined;
  }
  const { id, operation, state, bytesDone, bytesTotal } = body;
  if (!isString(id) || !(operation === 'revert' || operation === 'commit' || operation === 'cancel') || !isString(state) || !isNumber(bytesDone) || !isNumberOrNull(bytesTotal)) {
    return undefined;
  }
  return { id, operation, state: state as InstantRevertJob['state'], bytesDone, bytesTotal };
}

export function readVmInstantRevert(body: unknown): VmInstantRevert | null {
  if (!isRecord(body) || typeof body['active'] !== 'boolean') {
    return null;
  }
  const { active, pointId, state } = body;
  const job = readJob(body['job']);
  if (!isStringOrNull(pointId) || !(state === null || (INSTANT_REVERT_STATES as readonly unknown[]).includes(state)) || job === undefined || (active && !isString(pointId))) {
    return null;
  }
  return { active, pointId, state: state as InstantRevertState | null, job };
}

/** How far the job has got, 0–100, when it says; null otherwise. */
export function instantRevertPercent(job: InstantRevertJob | null): number | null {
  if (job === null || job.bytesTotal === null || job.bytesTotal <= 0) {
    return null;
  }
  return Math.min(100, Math.round((job.bytesDone * 100) / job.bytesTotal));
}
