/**
 * How Lifeline names a VM: its moref within one vCenter, qualified by that vCenter's instance
 * UUID, because morefs repeat across vCenters. The catalog stores it as the key
 * `<vCenter UUID>:<moref>` (a restore point's `vmId`); jobs name it as a `VirtualMachine` target.
 */
import { ValidationError } from '../errors/index.js';

export interface VmRef {
  readonly vcenterGuid: string;
  readonly moref: string;
}

/** A VM as a job target; structurally the job runner's JobTarget. */
export interface VmTarget {
  readonly type: 'VirtualMachine';
  readonly id: string;
  readonly vcenterGuid: string;
}

const VM_KEY = /^([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}):([A-Za-z0-9._-]{1,100})$/;

/** The key of a VM in the catalog, maps and logs: `<vCenter UUID>:<moref>`. */
export function vmKey(vm: VmRef): string {
  return `${vm.vcenterGuid}:${vm.moref}`;
}

/**
 * The VM a key names, or null for a key that names none: a restore point made outside vCenter
 * (a disk image backed up from the command line) has a `vmId` of its own choosing.
 */
export function parseVmKey(key: string): VmRef | null {
  const m = VM_KEY.exec(key);
  return m ? { vcenterGuid: m[1] as string, moref: m[2] as string } : null;
}

/** Whether two references name the same VM. */
export function sameVm(a: VmRef, b: VmRef): boolean {
  return a.vcenterGuid === b.vcenterGuid && a.moref === b.moref;
}

export function vmTarget(vm: VmRef): VmTarget {
  return { type: 'VirtualMachine', id: vm.moref, vcenterGuid: vm.vcenterGuid };
}

/** A VmRef from untrusted input (a job's stored parameters, a request body). */
export function validateVmRef(vm: unknown, field = 'vm'): VmRef {
  const v = vm as Partial<VmRef> | null;
  if (!isVmRef(vm)) throw new ValidationError(`${field} must name a VM by vcenterGuid and moref`, { field });
  return { vcenterGuid: v?.vcenterGuid as string, moref: v?.moref as string };
}

export function isVmRef(vm: unknown): vm is VmRef {
  const ok = (s: unknown) => typeof s === 'string' && /^[A-Za-z0-9._:-]{1,100}$/.test(s);
  const v = vm as Partial<VmRef> | null;
  return typeof vm === 'object' && vm !== null && ok(v?.vcenterGuid) && ok(v?.moref);
}
