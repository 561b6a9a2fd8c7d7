// The VM list of the API and what it needs of a user's session (VmInventory): vCenter's own
// permissions decide which VMs a user sees.
import { Router } from 'express';
import type { Authorizer } from '../auth/authorize.js';
import { authorizedCall } from '../auth/authorize.js';
import type { UserSession } from '../auth/ports.js';
import { requestContext } from '../request-context.js';
import { pageOf, paginate } from './paging.js';

/** A virtual machine as the vCenter shows it to the session's user. */
export interface VmSummary {
  /** The managed object id, e.g. `vm-58`. */
  readonly moref: string;
  readonly name: string;
  readonly powerState: string;
  /** The VM's instance UUID (config.instanceUuid), when vCenter reports one. */
  readonly instanceUuid?: string | undefined;
  readonly guestFullName?: string | undefined;
}

/** What the VM routes need from a user's session. */
export interface VmInventory {
  /** Every VM the session's user can see. */
  listVms(signal: AbortSignal): Promise<readonly VmSummary[]>;
}

/** The privilege needed to list a vCenter's VMs, checked on its inventory root. */
export const LIST_VMS_PRIVILEGE = 'System.Read';

/**
 * GET /api/v1/vms: the VMs of the vCenter as the caller sees them, listed through the caller's
 * own session, so vCenter's permissions decide what appears. Sorted by name, then id, so pages
 * are stable.
 */
export function vmRoutes<S extends UserSession & VmInventory>(auth: Authorizer<S>): Router {
  const router = Router();
  router.get('/vms', auth.require({ privileges: [LIST_VMS_PRIVILEGE] }), async (req, res) => {
    const page = pageOf(req);
    const { session, vcenter } = authorizedCall<S>(req);
    const vms = await session.listVms(requestContext(req).signal);
    const items = [...vms]
      .sort((a, b) => a.name.localeCompare(b.name) || a.moref.localeCompare(b.moref))
      .map((vm) => ({
        // The id the vSphere Client uses for the object, so the UI can match its context objects.
        id: `urn:vmomi:VirtualMachine:${vm.moref}:${vcenter.guid}`,
        moref: vm.moref,
        vcenter: vcenter.guid,
        name: vm.name,
        powerState: vm.powerState,
        instanceUuid: vm.instanceUuid ?? null,
        guestFullName: vm.guestFullName ?? null,
      }));
    res.json(paginate(items, page));
  });
  return router;
}
