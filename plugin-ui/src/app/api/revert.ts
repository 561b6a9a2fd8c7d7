import { isRecord, isString, isStringOrNull } from './json-reader';

/** restoring → swapping → reverted; then cancelling or committing until the revert is gone. */
export const REVERT_STATES = ['restoring', 'swapping', 'reverted', 'cancelling', 'committing'] as const;
export type RevertState = (typeof REVERT_STATES)[number];

/**
 * `GET /api/v1/vms/{id}/revert`: whether the VM runs on a restore point's disks in a temporary
 * revert, which point, and the job working on it. Its own disks are kept aside meanwhile, and its
 * scheduled backups wait until the user cancels the revert or makes it permanent.
 */
export interface VmRevert {
  readonly reverted: boolean;
  readonly pointId: string | null;
  readonly state: RevertState | null;
  readonly revertedAt: string | null;
  readonly jobId: string | null;
}

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
