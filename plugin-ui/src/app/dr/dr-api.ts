import { Injectable, inject } from '@angular/core';

import { readJob, readJobAccepted, type Job } from '../api/job';
import { isNumberOrNull, isRecord, isString, isStringOrNull } from '../api/json-reader';
import { LifelineApi } from '../api/lifeline-api';
import type {
  Failover,
  FailoverReport,
  FailoverRequest,
  MappingTargets,
  MissingMapping,
  PlanFailbackRequest,
  PlanRun,
  RecoveryPlan,
  RecoveryPlanInput,
  ReplicatedPoint,
  ReplicatedVm,
  ResourceMappings,
  RootCapabilities,
  SiteMappings,
  SiteMappingsSaved,
  SiteReplicatedVm,
} from './dr-api.types';

export const CAPABILITIES_PATH = '/api/v1/capabilities';
export const FAILOVERS_PATH = '/api/v1/failovers';
export const PLANS_PATH = '/api/v1/recovery-plans';
export const OPENAPI_PATH = '/api/v1/openapi.json';

const MISSING_KINDS = ['network', 'datastore', 'test-network'] as const;
const FAILOVER_STATES = ['starting', 'up', 'failed', 'cleaning', 'cleaned'] as const;

function isNameMap(value: unknown): value is Record<string, string> {
  return isRecord(value) && Object.values(value).every(isString);
}

function isStringList(value: unknown): value is string[] {
  return Array.isArray(value) && value.every(isString);
}

function readList<T>(body: unknown, readItem: (item: unknown) => T | null): T[] | null {
  if (!isRecord(body) || !Array.isArray(body['items'])) {
    return null;
  }
  const items = (body['items'] as unknown[]).map(readItem);
  return items.every((i): i is T => i !== null) ? items : null;
}

export function readMappings(body: unknown): ResourceMappings | null {
  if (!isRecord(body)) {
    return null;
  }
  const { vcenterGuid, networks, datastores, testNetworks, folder, resourcePool } = body;
  return isStringOrNull(vcenterGuid) && isNameMap(networks) && isNameMap(datastores) && isNameMap(testNetworks) && isStringOrNull(folder) && isStringOrNull(resourcePool)
    ? { vcenterGuid, networks, datastores, testNetworks, folder, resourcePool }
    : null;
}

export function readSiteMappings(body: unknown): SiteMappings | null {
  if (!isRecord(body) || !isStringOrNull(body['updatedAt'])) {
    return null;
  }
  const mappings = readMappings(body['mappings']);
  return mappings === null ? null : { mappings, updatedAt: body['updatedAt'] };
}

export function readSiteMappingsSaved(body: unknown): SiteMappingsSaved | null {
  if (!isRecord(body) || !isString(body['updatedAt']) || !isStringList(body['unused'])) {
    return null;
  }
  const mappings = readMappings(body['mappings']);
  return mappings === null ? null : { mappings, updatedAt: body['updatedAt'], unused: body['unused'] };
}

export function readMappingTargets(body: unknown): MappingTargets | null {
  if (!isRecord(body)) {
    return null;
  }
  const { vcenterGuid, networks, datastores, folders } = body;
  if (!isString(vcenterGuid) || !isStringList(networks) || !isStringList(datastores) || !Array.isArray(folders)) {
    return null;
  }
  const read = folders.map((f: unknown) => (isRecord(f) && isString(f['moref']) && isString(f['name']) ? { moref: f['moref'], name: f['name'] } : null));
  return read.every((f) => f !== null) ? { vcenterGuid, networks, datastores, folders: read as { moref: string; name: string }[] } : null;
}

function readMissing(value: unknown): MissingMapping[] | null {
  if (!Array.isArray(value)) {
    return null;
  }
  const read = value.map((m: unknown) =>
    isRecord(m) && (MISSING_KINDS as readonly unknown[]).includes(m['kind']) && isString(m['source']) ? { kind: m['kind'] as MissingMapping['kind'], source: m['source'] } : null,
  );
  return read.every((m) => m !== null) ? (read as MissingMapping[]) : null;
}

export function readReplicatedVm(body: unknown): ReplicatedVm | null {
  if (!isRecord(body) || !isRecord(body['vm']) || !isRecord(body['missing'])) {
    return null;
  }
  const vm = body['vm'];
  const latest = body['latestPoint'];
  const latestPoint = latest === null ? null : isRecord(latest) && isString(latest['id']) && isString(latest['createdAt']) ? { id: latest['id'], createdAt: latest['createdAt'] } : undefined;
  const failover = readMissing(body['missing']['failover']);
  const test = readMissing(body['missing']['test']);
  const { points, lagSeconds } = body;
  if (!isString(vm['id']) || !isString(vm['name']) || latestPoint === undefined || typeof points !== 'number' || !isNumberOrNull(lagSeconds) || failover === null || test === null) {
    return null;
  }
  return { vm: { id: vm['id'], name: vm['name'] }, points, latestPoint, lagSeconds, missing: { failover, test } };
}

export function readSiteReplicatedVm(body: unknown): SiteReplicatedVm | null {
  const vm = readReplicatedVm(body);
  const site = isRecord(body) ? body['site'] : null;
  return vm !== null && isRecord(site) && isString(site['id']) && isString(site['name']) ? { site: { id: site['id'], name: site['name'] }, ...vm } : null;
}

export function readReplicatedPoint(body: unknown): ReplicatedPoint | null {
  return isRecord(body) && isString(body['id']) && isString(body['createdAt']) ? { id: body['id'], createdAt: body['createdAt'] } : null;
}

function readReport(body: unknown): FailoverReport | null {
  if (!isRecord(body)) {
    return null;
  }
  const { startedAt, createdAt, poweredOnAt, toolsReadyAt, rtoSeconds, failures, cleanedAt } = body;
  return isStringOrNull(startedAt) && isStringOrNull(createdAt) && isStringOrNull(poweredOnAt) && isStringOrNull(toolsReadyAt) && isNumberOrNull(rtoSeconds) && isStringList(failures) && isStringOrNull(cleanedAt)
    ? { startedAt, createdAt, poweredOnAt, toolsReadyAt, rtoSeconds, failures, cleanedAt }
    : null;
}

export function readFailover(body: unknown): Failover | null {
  if (!isRecord(body) || !isRecord(body['sourceVm']) || !isRecord(body['request'])) {
    return null;
  }
  const report = readReport(body['report']);
  const { id, peerId, siteName, mode, pointId, pointCreatedAt, dataLossWindowSeconds, name, vcenterGuid, state, jobId, cleanupJobId, requestedBy, planRunId, createdAt, updatedAt } = body;
  const vm = body['vm'];
  if (
    report === null ||
    !isString(id) ||
    !isString(peerId) ||
    !isString(siteName) ||
    (mode !== 'test' && mode !== 'disaster' && mode !== 'planned') ||
    !isString(pointId) ||
    !isString(pointCreatedAt) ||
    typeof dataLossWindowSeconds !== 'number' ||
    !isString(name) ||
    !isString(vcenterGuid) ||
    !(FAILOVER_STATES as readonly unknown[]).includes(state) ||
    !isStringOrNull(jobId) ||
    !isStringOrNull(cleanupJobId) ||
    !isString(requestedBy) ||
    !isStringOrNull(planRunId) ||
    !isString(createdAt) ||
    !isString(updatedAt) ||
    !(vm === null || (isRecord(vm) && isString(vm['moref'])))
  ) {
    return null;
  }
  return { ...(body as unknown as Failover), report };
}

export function readFailoverAccepted(body: unknown): { job: Job; created: boolean; failover: Failover } | null {
  const accepted = readJobAccepted(body);
  const failover = isRecord(body) ? readFailover(body['failover']) : null;
  return accepted === null || failover === null ? null : { ...accepted, failover };
}

function readPlanRun(body: unknown): PlanRun | null {
  if (!isRecord(body)) {
    return null;
  }
  const { id, planId, mode, jobId, cleanupJobId, groups, requestedBy, createdAt } = body;
  return isString(id) && isString(planId) && isString(mode) && isStringOrNull(jobId) && isStringOrNull(cleanupJobId) && Array.isArray(groups) && isString(requestedBy) && isString(createdAt)
    ? (body as unknown as PlanRun)
    : null;
}

export function readPlanAccepted(body: unknown): { job: Job; created: boolean; run: PlanRun } | null {
  const accepted = readJobAccepted(body);
  const run = isRecord(body) ? readPlanRun(body['run']) : null;
  return accepted === null || run === null ? null : { ...accepted, run };
}

export function readPlan(body: unknown): RecoveryPlan | null {
  if (!isRecord(body) || !Array.isArray(body['groups']) || !Array.isArray(body['runs'])) {
    return null;
  }
  const { id, name, peerId, maxParallel, toolsTimeoutSeconds, createdAt, updatedAt } = body;
  const groupsOk = (body['groups'] as unknown[]).every((g) => isRecord(g) && isStringList(g['vms']));
  const runsOk = (body['runs'] as unknown[]).every(
    (r) => readPlanRun(r) !== null && isRecord(r) && Array.isArray(r['failovers']) && (r['failovers'] as unknown[]).every((g) => Array.isArray(g) && g.every((f) => readFailover(f) !== null)),
  );
  return isString(id) && isString(name) && isString(peerId) && typeof maxParallel === 'number' && typeof toolsTimeoutSeconds === 'number' && isString(createdAt) && isString(updatedAt) && groupsOk && runsOk
    ? (body as unknown as RecoveryPlan)
    : null;
}

export function readCapabilities(body: unknown): RootCapabilities | null {
  if (!isRecord(body)) {
    return null;
  }
  const { protect, restore, admin } = body;
  return typeof protect === 'boolean' && typeof restore === 'boolean' && typeof admin === 'boolean' ? { protect, restore, admin } : null;
}

/**
 * What the server's own OpenAPI document says it offers beyond failover and drills: a plan run in
 * mode `planned` (planned migration) and a plan's failback route. The views offer them only when
 * the document has them.
 */
export interface DrFeatures {
  /** A plan may run in mode `planned`. */
  readonly planned: boolean;
  /** One replicated VM may fail over in mode `planned`. */
  readonly plannedVm: boolean;
  readonly failback: boolean;
}

export const NO_DR_FEATURES: DrFeatures = { planned: false, plannedVm: false, failback: false };

export function readDrFeatures(body: unknown): DrFeatures | null {
  if (!isRecord(body) || !isRecord(body['paths'])) {
    return null;
  }
  const paths = body['paths'];
  const offersPlanned = (path: string): boolean => {
    const op = paths[path];
    return JSON.stringify(isRecord(op) ? (op['post'] ?? null) : null).includes('"planned"');
  };
  // A body given by reference names the schema; its modes are in the components.
  const schemas = isRecord(body['components']) && isRecord(body['components']['schemas']) ? body['components']['schemas'] : {};
  const requestModes = JSON.stringify(schemas['FailoverRequest'] ?? null).includes('"planned"');
  return {
    planned: offersPlanned('/api/v1/recovery-plans/{pid}/run'),
    plannedVm: offersPlanned('/api/v1/sites/{id}/replicated-vms/{vmId}/failover') || requestModes,
    failback: isRecord(paths['/api/v1/recovery-plans/{pid}/failback']),
  };
}

function sitePath(siteId: string): string {
  return `/api/v1/sites/${encodeURIComponent(siteId)}`;
}

function planPath(planId: string): string {
  return `${PLANS_PATH}/${encodeURIComponent(planId)}`;
}

/**
 * The disaster-recovery API as the DR views call it, at the DR site. Reading needs a vSphere
 * session; mappings and plans need Lifeline Admin, failovers, drills and clean-ups Lifeline Restore,
 * which the server checks on every call.
 */
@Injectable({ providedIn: 'root' })
export class DrApi {
  private readonly api = inject(LifelineApi);

  capabilities(signal?: AbortSignal): Promise<RootCapabilities> {
    return this.api.get(CAPABILITIES_PATH, readCapabilities, signal);
  }

  features(signal?: AbortSignal): Promise<DrFeatures> {
    return this.api.get(OPENAPI_PATH, readDrFeatures, signal);
  }

  mappings(siteId: string, signal?: AbortSignal): Promise<SiteMappings> {
    return this.api.get(`${sitePath(siteId)}/mappings`, readSiteMappings, signal);
  }

  mappingTargets(siteId: string, signal?: AbortSignal): Promise<MappingTargets> {
    return this.api.get(`${sitePath(siteId)}/mapping-targets`, readMappingTargets, signal);
  }

  saveMappings(siteId: string, mappings: ResourceMappings, signal?: AbortSignal): Promise<SiteMappingsSaved> {
    return this.api.put(`${sitePath(siteId)}/mappings`, mappings, readSiteMappingsSaved, signal);
  }

  replicatedVms(siteId: string, signal?: AbortSignal): Promise<ReplicatedVm[]> {
    return this.api.get(`${sitePath(siteId)}/replicated-vms`, (b) => readList(b, readReplicatedVm), signal);
  }

  /** The replicated VMs of every source site that replicates here, each with its site. */
  allReplicatedVms(signal?: AbortSignal): Promise<SiteReplicatedVm[]> {
    return this.api.get('/api/v1/replicated-vms', (b) => readList(b, readSiteReplicatedVm), signal);
  }

  /** The points of one replicated VM this site holds, newest first. */
  replicatedPoints(siteId: string, vmId: string, signal?: AbortSignal): Promise<ReplicatedPoint[]> {
    return this.api.get(`${sitePath(siteId)}/replicated-vms/${encodeURIComponent(vmId)}/points`, (b) => readList(b, readReplicatedPoint), signal);
  }

  /** Mode `planned` only when the server's document offers it (DrFeatures.plannedVm). */
  failOver(siteId: string, vmId: string, request: FailoverRequest | (Omit<FailoverRequest, 'mode'> & { mode: 'planned' }), signal?: AbortSignal): Promise<{ job: Job; created: boolean; failover: Failover }> {
    return this.api.post(`${sitePath(siteId)}/replicated-vms/${encodeURIComponent(vmId)}/failover`, request, readFailoverAccepted, signal);
  }

  /** Every failover and drill this site keeps, as the server lists them (`GET /api/v1/failovers`). */
  failovers(signal?: AbortSignal): Promise<Failover[]> {
    return this.api.get(FAILOVERS_PATH, (b) => readList(b, readFailover), signal);
  }

  failover(failoverId: string, signal?: AbortSignal): Promise<Failover> {
    return this.api.get(`${FAILOVERS_PATH}/${encodeURIComponent(failoverId)}`, readFailover, signal);
  }

  /** Sends the VM's failover that is up back to the source site (a `failback` job). */
  failBack(siteId: string, vmId: string, request: { target?: 'original' | 'new'; name?: string | null; powerOn?: boolean; shutdownTimeoutSeconds?: number }, signal?: AbortSignal): Promise<{ job: Job; created: boolean; failover: Failover }> {
    return this.api.post(`${sitePath(siteId)}/replicated-vms/${encodeURIComponent(vmId)}/failback`, request, readFailoverAccepted, signal);
  }

  cleanUpDrill(failoverId: string, signal?: AbortSignal): Promise<{ job: Job; created: boolean; failover: Failover }> {
    return this.api.post(`${FAILOVERS_PATH}/${encodeURIComponent(failoverId)}/cleanup`, {}, readFailoverAccepted, signal);
  }

  plans(signal?: AbortSignal): Promise<RecoveryPlan[]> {
    return this.api.get(PLANS_PATH, (b) => readList(b, readPlan), signal);
  }

  createPlan(input: RecoveryPlanInput, signal?: AbortSignal): Promise<RecoveryPlan> {
    return this.api.post(PLANS_PATH, input, readPlan, signal);
  }

  updatePlan(planId: string, input: RecoveryPlanInput, signal?: AbortSignal): Promise<RecoveryPlan> {
    return this.api.put(planPath(planId), input, readPlan, signal);
  }

  deletePlan(planId: string, signal?: AbortSignal): Promise<void> {
    return this.api.delete(planPath(planId), signal);
  }

  runPlan(planId: string, mode: string, signal?: AbortSignal): Promise<{ job: Job; created: boolean; run: PlanRun }> {
    return this.api.post(`${planPath(planId)}/run`, { mode }, readPlanAccepted, signal);
  }

  cleanUpPlan(planId: string, signal?: AbortSignal): Promise<{ job: Job; created: boolean; run: PlanRun }> {
    return this.api.post(`${planPath(planId)}/cleanup`, {}, readPlanAccepted, signal);
  }

  /** Only called when the server's document has the route (DrFeatures.failback). */
  failBackPlan(planId: string, request: PlanFailbackRequest, signal?: AbortSignal): Promise<{ job: Job; created: boolean; run: PlanRun }> {
    return this.api.post(`${planPath(planId)}/failback`, request, readPlanAccepted, signal);
  }

  /** Cancels a plan's run: it starts no further VM. */
  cancelJob(jobId: string, signal?: AbortSignal): Promise<Job> {
    return this.api.post(`/api/v1/jobs/${encodeURIComponent(jobId)}/cancel`, {}, readJob, signal);
  }
}
