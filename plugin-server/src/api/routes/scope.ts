/**
 * What a caller may see of Lifeline's shared state. One Lifeline serves several vCenters, and its
 * jobs, their event streams, compliance and the audit log hold every vCenter's VMs: each list and
 * stream shows a caller only what concerns the vCenter they are signed in to, and of its VMs only
 * those their own session can see (a VM hidden from a user hides its jobs too). What belongs to
 * no vCenter (repository maintenance, points made outside vCenter) is shown to callers holding
 * Lifeline's Admin privilege on their vCenter's root.
 */
import type { Request } from 'express';
import type { JobTarget } from '../../jobs/index.js';
import { authorizedCall } from '../auth/authorize.js';
import type { UserSession } from '../auth/ports.js';
import { PRIVILEGES } from '../privileges.js';
import { requestContext } from '../request-context.js';
import type { VmInventory } from './vms.js';

export interface Scope {
  readonly vcenterGuid: string;
  /** `<vCenter UUID>:<moref>` of each VM of that vCenter the caller's session can see. */
  readonly vms: ReadonlySet<string>;
  /** Whether what belongs to no vCenter is shown. */
  readonly unscoped: boolean;
  /** Whether a job with this target is the caller's to see. */
  seesTarget(target: JobTarget): boolean;
  /** The job list filter that shows only what the caller may see. */
  readonly jobFilter: { vcenterGuid: string; vmKeys: string[]; unscoped: boolean };
}

/**
 * The scope of an authorised request: its vCenter, the VMs its user can see there (the property
 * collector, as the user), and whether the route's `alsoAsk` found Admin on the root.
 */
export async function scopeOf<S extends UserSession & VmInventory>(req: Request): Promise<Scope> {
  const call = authorizedCall<S>(req);
  const guid = call.vcenter.guid;
  const vms = new Set((await call.session.listVms(requestContext(req).signal)).map((vm) => `${guid}:${vm.moref}`));
  const unscoped = call.granted.get(PRIVILEGES.admin) === true;
  return {
    vcenterGuid: guid,
    vms,
    unscoped,
    seesTarget: (t) => {
      if (t.vcenterGuid === null) return unscoped;
      if (t.vcenterGuid.toLowerCase() !== guid) return false;
      return t.type !== 'VirtualMachine' || vms.has(`${guid}:${t.id}`);
    },
    jobFilter: { vcenterGuid: guid, vmKeys: [...vms].map((k) => `VirtualMachine:${k}`), unscoped },
  };
}
