import { isRecord, isString, readPage, type PageOf } from './json-reader';
import type { components } from './lifeline-api.generated';

/** The API's bodies as its OpenAPI document describes them (lifeline-api.generated.ts). */
type Schemas = components['schemas'];

/**
 * A VM of `GET /api/v1/vms`, as the user's own vCenter session sees it; `id` is the vSphere
 * Client's, `urn:vmomi:VirtualMachine:<moref>:<vCenter GUID>`.
 */
export type VmSummary = Pick<Schemas['VmSummary'], 'id' | 'moref' | 'name' | 'powerState'>;

export function readVmSummary(body: unknown): VmSummary | null {
  if (!isRecord(body)) {
    return null;
  }
  const { id, moref, name, powerState } = body;
  if (!isString(id) || !isString(moref) || !isString(name) || !isString(powerState)) {
    return null;
  }
  return { id, moref, name, powerState };
}

export function readVmPage(body: unknown): PageOf<VmSummary> | null {
  return readPage(body, readVmSummary);
}

/** The largest page the server gives; names of VMs beyond it show as their morefs. */
export const VM_NAMES_PATH = '/api/v1/vms?limit=1000';

/** VM names by the id the API uses for a VM. */
export function vmNamesOf(page: PageOf<VmSummary>): ReadonlyMap<string, string> {
  return new Map(page.items.map((vm) => [vm.id, vm.name]));
}
