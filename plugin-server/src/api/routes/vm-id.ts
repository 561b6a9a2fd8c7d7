/**
 * How the API names a VM in a path: the vSphere Client's object id,
 * `urn:vmomi:VirtualMachine:vm-42:<vCenter instance UUID>` (URL-encoded or not), which is what
 * GET /api/v1/vms answers as `id` and what the UI gets from its context objects; or a bare moref
 * (`vm-42`), which means the vCenter named by the lifeline-vc-guid header or the only one
 * configured.
 */
import { ValidationError } from '../../errors/index.js';

export interface ParsedVmId {
  readonly moref: string;
  /** Lower case; null when the id was a bare moref. */
  readonly vcenterGuid: string | null;
}

const URN = /^urn:vmomi:VirtualMachine:([A-Za-z0-9._-]{1,100}):([0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{12})$/;
const MOREF = /^[A-Za-z0-9._-]{1,100}$/;

export function parseVmId(raw: unknown, field = 'vmId'): ParsedVmId {
  if (typeof raw === 'string') {
    const urn = URN.exec(raw);
    if (urn) return { moref: urn[1] as string, vcenterGuid: (urn[2] as string).toLowerCase() };
    if (MOREF.test(raw)) return { moref: raw, vcenterGuid: null };
  }
  throw new ValidationError(`${field} must be a VM id (urn:vmomi:VirtualMachine:<moref>:<vCenter UUID>) or a moref such as vm-42`, { field });
}

/** The id the vSphere Client uses for the VM. */
export function vmUrn(moref: string, vcenterGuid: string): string {
  return `urn:vmomi:VirtualMachine:${moref}:${vcenterGuid}`;
}

/** How the audit log and job targets name a VM: `vm:<vCenter UUID>:<moref>`. */
export function vmObject(moref: string, vcenterGuid: string): string {
  return `vm:${vcenterGuid}:${moref}`;
}
