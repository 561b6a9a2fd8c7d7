import { isNumber, isNumberOrNull, isRecord, isString, isStringOrNull, readPage, type PageOf } from './json-reader';
import { RPO_STATUSES, type RpoStatus } from './vm-protection';
import type { components } from './lifeline-api.generated';

/** The API's bodies as its OpenAPI document describes them (lifeline-api.generated.ts). */
type Schemas = components['schemas'];

/**
 * One protected VM of `GET /api/v1/compliance`: how it stands against its policy's RPO. The
 * policy's name is null when the policy was deleted after the answer was put together.
 */
export type VmCompliance = Schemas['VmCompliance'];

export function readVmCompliance(body: unknown): VmCompliance | null {
  if (!isRecord(body) || !isRecord(body['vm']) || !isRecord(body['policy'])) {
    return null;
  }
  const { id, moref, vcenter } = body['vm'];
  const { id: policyId, name: policyName } = body['policy'];
  const { paused, lastGoodPointAt, status, ageSeconds, rpoSeconds, exceededBySeconds } = body;
  if (
    !isString(id) ||
    !isString(moref) ||
    !isString(vcenter) ||
    !isString(policyId) ||
    !isStringOrNull(policyName) ||
    typeof paused !== 'boolean' ||
    !isStringOrNull(lastGoodPointAt) ||
    !(RPO_STATUSES as readonly unknown[]).includes(status) ||
    !isNumberOrNull(ageSeconds) ||
    !isNumber(rpoSeconds) ||
    !isNumber(exceededBySeconds)
  ) {
    return null;
  }
  return {
    vm: { id, moref, vcenter },
    policy: { id: policyId, name: policyName },
    paused,
    lastGoodPointAt,
    status: status as RpoStatus,
    ageSeconds,
    rpoSeconds,
    exceededBySeconds,
  };
}

export function readCompliancePage(body: unknown): PageOf<VmCompliance> | null {
  return readPage(body, readVmCompliance);
}

/** Every protected VM fits one page of the largest size the server gives. */
export const COMPLIANCE_PATH = '/api/v1/compliance?limit=1000';

/** How many VMs stand at each status. */
export function complianceCounts(items: readonly VmCompliance[]): Readonly<Record<RpoStatus, number>> {
  const counts: Record<RpoStatus, number> = { compliant: 0, 'at-risk': 0, violated: 0 };
  for (const item of items) {
    counts[item.status] += 1;
  }
  return counts;
}
