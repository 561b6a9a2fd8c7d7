import { isNumberOrNull, isRecord, isString, isStringOrNull } from './json-reader';
import { JOB_STATES, type Job } from './job';
import type { components } from './lifeline-api.generated';

/** The API's bodies as its OpenAPI document describes them (lifeline-api.generated.ts). */
type Schemas = components['schemas'];

export type RpoStatus = Schemas['RpoCompliance']['status'];
export const RPO_STATUSES = ['compliant', 'at-risk', 'violated'] as const satisfies readonly RpoStatus[];

/** How a protected VM stands against its policy's RPO. `ageSeconds` is null before the first restore point. */
export type RpoCompliance = Schemas['RpoCompliance'];

/**
 * `GET /api/v1/vms/{id}/protection`: a VM's policy, schedule state and RPO compliance, with the VM
 * named by its id alone. `backupAvailable` says whether this server can run backups at all;
 * "Back up now" is offered only then.
 */
export type VmProtection = Omit<Schemas['VmProtection'], 'vm'> & { readonly vmId: Schemas['VmRef']['id'] };

function readRpo(value: unknown): RpoCompliance | null | undefined {
  if (value === null) {
    return null;
  }
  if (!isRecord(value)) {
    return undefined;
  }
  const { status, ageSeconds, rpoSeconds, exceededBySeconds } = value;
  if (!(RPO_STATUSES as readonly unknown[]).includes(status) || !isNumberOrNull(ageSeconds) || typeof rpoSeconds !== 'number' || typeof exceededBySeconds !== 'number') {
    return undefined;
  }
  return { status: status as RpoStatus, ageSeconds, rpoSeconds, exceededBySeconds };
}

function readActiveJob(value: unknown): VmProtection['activeJob'] | undefined {
  if (value === null) {
    return null;
  }
  if (!isRecord(value) || !isString(value['id']) || !isString(value['kind']) || !(JOB_STATES as readonly unknown[]).includes(value['state'])) {
    return undefined;
  }
  return { id: value['id'], kind: value['kind'], state: value['state'] as Job['state'] };
}

export function readVmProtection(body: unknown): VmProtection | null {
  if (!isRecord(body) || !isRecord(body['vm'])) {
    return null;
  }
  const vmId = body['vm']['id'];
  const { backupAvailable, paused, assignedAt, pauseReason, pausedAt, lastGoodPointAt, nextBackupDueAt } = body;
  const rpo = readRpo(body['rpo']);
  const activeJob = readActiveJob(body['activeJob']);
  const policy = body['policy'];
  const readPolicyRef = (): VmProtection['policy'] | undefined => {
    if (policy === null) {
      return null;
    }
    if (!isRecord(policy) || !isString(policy['id']) || !isString(policy['name']) || typeof policy['rpoSeconds'] !== 'number') {
      return undefined;
    }
    return { id: policy['id'], name: policy['name'], rpoSeconds: policy['rpoSeconds'] };
  };
  const policyRef = readPolicyRef();
  if (
    !isString(vmId) ||
    typeof backupAvailable !== 'boolean' ||
    typeof body['protected'] !== 'boolean' ||
    typeof paused !== 'boolean' ||
    !isStringOrNull(assignedAt) ||
    !isStringOrNull(pauseReason) ||
    !isStringOrNull(pausedAt) ||
    !isStringOrNull(lastGoodPointAt) ||
    !isStringOrNull(nextBackupDueAt) ||
    rpo === undefined ||
    activeJob === undefined ||
    policyRef === undefined
  ) {
    return null;
  }
  return {
    vmId,
    backupAvailable,
    activeJob,
    protected: body['protected'],
    policy: policyRef,
    assignedAt,
    paused,
    pauseReason,
    pausedAt,
    lastGoodPointAt,
    nextBackupDueAt,
    rpo,
  };
}

/** The path segment for a VM: the vSphere Client's object id, which holds colons. */
export function vmPath(vmId: string): string {
  return `/api/v1/vms/${encodeURIComponent(vmId)}`;
}
