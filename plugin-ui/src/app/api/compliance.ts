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

export type VmFeasibility = Schemas['VmFeasibility'];

export type VmComplianceReplication = NonNullable<VmCompliance['replication']>;

const FEASIBILITY_REASONS = ['backup-too-slow', 'slots'] as const;
const DR_STATES = ['ok', 'lagging', 'failing', 'site-not-paired'] as const satisfies readonly VmComplianceReplication['state'][];

/**
 * A VM's copy at the DR site: null when its policy names no replication site (or the server is
 * from before replication and sends none); undefined when the body is not one.
 */
export function readComplianceReplication(value: unknown): VmComplianceReplication | null | undefined {
  if (value === undefined || value === null) {
    return null;
  }
  if (!isRecord(value)) {
    return undefined;
  }
  const { siteName, state, lagSeconds, rpoMet } = value;
  if (!isString(siteName) || !(DR_STATES as readonly unknown[]).includes(state) || !isNumberOrNull(lagSeconds) || typeof rpoMet !== 'boolean') {
    return undefined;
  }
  return { siteName, state: state as VmComplianceReplication['state'], lagSeconds, rpoMet };
}

/** A VM's feasibility; a server from before feasibility sends none, which reads as not judged. */
export function readVmFeasibility(value: unknown): VmFeasibility | null {
  if (value === undefined) {
    return { feasible: null, bestRpoSeconds: null, reason: null };
  }
  if (!isRecord(value)) {
    return null;
  }
  const { feasible, bestRpoSeconds, reason } = value;
  if (!(feasible === null || typeof feasible === 'boolean') || !isNumberOrNull(bestRpoSeconds) || !(reason === null || (FEASIBILITY_REASONS as readonly unknown[]).includes(reason))) {
    return null;
  }
  return { feasible, bestRpoSeconds, reason: reason as VmFeasibility['reason'] };
}

export function readVmCompliance(body: unknown): VmCompliance | null {
  if (!isRecord(body) || !isRecord(body['vm']) || !isRecord(body['policy'])) {
    return null;
  }
  const { id, moref, vcenter } = body['vm'];
  const { id: policyId, name: policyName } = body['policy'];
  const { paused, lastGoodPointAt, status, ageSeconds, rpoSeconds, exceededBySeconds } = body;
  const feasibility = readVmFeasibility(body['feasibility']);
  const replication = readComplianceReplication(body['replication']);
  if (
    feasibility === null ||
    replication === undefined ||
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
    feasibility,
    replication,
  };
}

export function readCompliancePage(body: unknown): PageOf<VmCompliance> | null {
  return readPage(body, readVmCompliance);
}

/** Every protected VM fits one page of the largest size the server gives. */
export const COMPLIANCE_PATH = '/api/v1/compliance?limit=1000';

/** VMs that cannot meet their RPO with their measured backup durations and the configured job slots. */
export function infeasibleVms(items: readonly VmCompliance[]): VmCompliance[] {
  return items.filter((item) => item.feasibility.feasible === false);
}

/** How many VMs stand at each status. */
export function complianceCounts(items: readonly VmCompliance[]): Readonly<Record<RpoStatus, number>> {
  const counts: Record<RpoStatus, number> = { compliant: 0, 'at-risk': 0, violated: 0 };
  for (const item of items) {
    counts[item.status] += 1;
  }
  return counts;
}

/** How the replicated VMs (those whose policy names a DR site) stand against their RPO there. */
export function drComplianceCounts(items: readonly VmCompliance[]): { readonly replicated: number; readonly met: number; readonly notMet: number } {
  const replicated = items.filter((item) => item.replication !== null);
  const met = replicated.filter((item) => item.replication?.rpoMet === true).length;
  return { replicated: replicated.length, met, notMet: replicated.length - met };
}

/** The replicated VMs whose copy at the DR site misses their RPO (lagging, failing or the site not paired). */
export function drMisses(items: readonly VmCompliance[]): Array<VmCompliance & { readonly replication: VmComplianceReplication }> {
  return items.filter((item): item is VmCompliance & { replication: VmComplianceReplication } => item.replication !== null && !item.replication.rpoMet);
}
