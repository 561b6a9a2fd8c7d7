/**
 * How protection names a VM: its moref within one vCenter, qualified by that vCenter's instance
 * GUID, because morefs repeat across vCenters.
 */
import { ValidationError } from '../errors/index.js';
import type { JobTarget } from '../jobs/index.js';

export interface VmRef {
  vcenterGuid: string;
  moref: string;
}

/** A stable string key for maps and logs. */
export function vmKey(vm: VmRef): string {
  return `${vm.vcenterGuid}:${vm.moref}`;
}

export function vmTarget(vm: VmRef): JobTarget {
  return { type: 'VirtualMachine', id: vm.moref, vcenterGuid: vm.vcenterGuid };
}

export function validateVmRef(vm: unknown, field = 'vm'): VmRef {
  const ok = (s: unknown) => typeof s === 'string' && /^[A-Za-z0-9._:-]{1,100}$/.test(s);
  const v = vm as Partial<VmRef> | null;
  if (typeof vm !== 'object' || vm === null || !ok(v?.vcenterGuid) || !ok(v?.moref)) {
    throw new ValidationError(`${field} must name a VM by vcenterGuid and moref`, { field });
  }
  return { vcenterGuid: v?.vcenterGuid as string, moref: v?.moref as string };
}
