import { isRecord, isString, isStringOrNull } from './json-reader';
import type { components } from './lifeline-api.generated';

/** The API's bodies as its OpenAPI document describes them (lifeline-api.generated.ts). */
type Schemas = components['schemas'];

/** restoring → swapping → reverted; then cancelling or committing until the revert is gone. */
export type RevertState = NonNullable<Schemas['VmRevert']['state']>;
export const REVERT_STATES = ['restoring', 'swapping', 'reverted', 'cancelling', 'committing'] as const satisfies readonly RevertState[];

/**
 * `GET /api/v1/vms/{id}/revert`: whether the VM runs on a restore point's disks in a temporary
 * revert, which point, and the job working on it. Its own disks are kept aside meanwhile, and its
 * scheduled backups wait until the user cancels the revert or makes it permanent.
 */
export type VmRevert = Pick<Schemas['VmRevert'], 'reverted' | 'pointId' | 'state' | 'revertedAt' | 'jobId'>;

export function readVmRevert(body: unknown): VmRevert | null {
  if (!isRecord(body) || typeof body['reverted'] !== 'boolean') {
    return null;
  }
  const { reverted, pointId, state, revertedAt, jobId } = body;
  if (
    !isStringOrNull(pointId) ||
    !(state === null || (REVERT_STATES as readonly unknown[]).includes(state)) ||
    !isStringOrNull(revertedAt) ||
    !isStringOrNull(jobId) ||
    (reverted && !isString(pointId))
  ) {
    return null;
  }
  return { reverted, pointId, state: state as RevertState | null, revertedAt, jobId };
}
