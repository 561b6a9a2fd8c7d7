/**
 * The bodies of the disaster-recovery API (mappings, replicated VMs, failovers and recovery
 * plans), as the server's OpenAPI document describes them (lifeline-api.generated.ts, `npm run
 * openapi:types`), under the names the DR views use. The readers in dr-api.ts check them at run time.
 */
import type { components } from '../api/lifeline-api.generated';

type Schemas = components['schemas'];

/** A pairing's resource mappings, kept at the DR site. */
export type ResourceMappings = Schemas['ResourceMappings'];
/** `GET /api/v1/sites/{id}/mappings`. */
export type SiteMappings = Schemas['SiteMappings'];
/** `PUT /api/v1/sites/{id}/mappings` → 200. */
export type SiteMappingsSaved = Schemas['SiteMappingsSaved'];
/** `GET /api/v1/sites/{id}/mapping-targets`: what the mappings may name at this site. */
export type MappingTargets = Schemas['MappingTargets'];
export type MissingMapping = Schemas['MissingMapping'];
/** One of the source site's VMs this site holds replicated points of. */
export type ReplicatedVm = Schemas['ReplicatedVm'];
/** A replicated VM with its source site (`GET /api/v1/replicated-vms`). */
export type SiteReplicatedVm = Schemas['SiteReplicatedVm'];
/** One point of a replicated VM this site holds (`GET /api/v1/sites/{id}/replicated-vms/{vmId}/points`). */
export type ReplicatedPoint = Schemas['ReplicatedPointList']['items'][number];
export type FailoverRequest = Schemas['FailoverRequest'];
export type FailoverMode = FailoverRequest['mode'];
/** A failover or drill with its report. */
export type Failover = Schemas['Failover'];
export type FailoverReport = Schemas['FailoverReport'];
export type RecoveryPlan = Schemas['RecoveryPlan'];
export type RecoveryPlanInput = Schemas['RecoveryPlanInput'];
export type PlanVmOptions = Schemas['PlanVmOptions'];
export type PlanRunWithFailovers = RecoveryPlan['runs'][number];
export type PlanRun = Schemas['PlanRun'];
/** `POST /api/v1/recovery-plans/{pid}/failback`: onto the original VMs or as new ones. */
export interface PlanFailbackRequest {
  target: 'original' | 'new';
  nameSuffix?: string | null;
  powerOn?: boolean;
  shutdownTimeoutSeconds?: number;
}
/** A failover's failback part: a plan failback's report, one per VM. */
export type FailbackPart = NonNullable<Failover['failback']>;
/** The caller's Lifeline privileges at the inventory root (`GET /api/v1/capabilities`). */
export type RootCapabilities = Schemas['VmCapabilities'];
