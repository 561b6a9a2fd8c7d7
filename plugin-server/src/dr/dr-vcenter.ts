/**
 * What disaster recovery asks of this site's vCenter: what recovery asks (creating, powering and
 * destroying VMs, datastore files), plus whether a folder or resource pool a mapping names exists.
 * The adapter's `Vcenter` satisfies it; failovers run under Lifeline's service account once the
 * API has checked the user's privileges.
 */
import type { RecoveryVcenter } from '../recovery/index.js';
import type { MoRef } from '../vsphere/index.js';

export interface DrVcenter extends RecoveryVcenter {
  /** A managed entity's name, or undefined when vCenter does not know it. */
  entityName(entity: MoRef, signal?: AbortSignal): Promise<string | undefined>;
}

export interface DrVcenterProvider {
  vcenter(vcenterGuid: string, signal: AbortSignal): Promise<DrVcenter>;
}
