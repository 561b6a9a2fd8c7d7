/**
 * A VM's disaster-recovery state at the source site (docs/dr.md, "Planned migration"):
 *
 * - `GET /vms/{vm}/failed-over` — System.Read on the VM: `{ failedOver: null }`, or the DR site
 *   the VM was failed over to by a planned migration, with the point it runs from and when.
 *   While marked, the scheduler does not back the VM up and "back up now" refuses it.
 * - `DELETE /vms/{vm}/failed-over` — Lifeline Admin on the VM's vCenter, audited
 *   (`dr.failed-over-clear`): this site protects the VM again (its next backup is due by its
 *   policy). 404 when the VM is not marked.
 */
import { Router, type Request } from 'express';
import { NotFoundError } from '../../errors/index.js';
import type { VmRef } from '../../domain/index.js';
import { audited } from '../audit/audited.js';
import { authorizedCall, type Authorizer } from '../auth/authorize.js';
import type { UserSession } from '../auth/ports.js';
import { PRIVILEGES, READ_PRIVILEGE } from '../privileges.js';
import type { ApiServices } from './api-services.js';
import { parseVmId } from './vm-id.js';
import type { VmInventory } from './vms.js';

export function drSourceRoutes<S extends UserSession & VmInventory>(auth: Authorizer<S>, svc: ApiServices): Router {
  const router = Router();
  const vmOf = (req: Request): VmRef => ({ vcenterGuid: authorizedCall<S>(req).vcenter.guid, moref: parseVmId(req.params['vmId']).moref });
  const on = (privilege: string) =>
    auth.require({
      privileges: [privilege],
      entity: (req) => ({ type: 'VirtualMachine', value: parseVmId(req.params['vmId']).moref }),
      vcenterGuid: (req) => parseVmId(req.params['vmId']).vcenterGuid,
    });
  const view = (vm: VmRef) => {
    const m = svc.drSource?.marks.find(vm);
    return { failedOver: m ? { site: { id: m.siteId, name: m.siteName }, pointId: m.pointId, jobId: m.jobId, at: m.at } : null };
  };

  router.get('/vms/:vmId/failed-over', on(READ_PRIVILEGE), (req, res) => {
    res.json(view(vmOf(req)));
  });

  router.delete('/vms/:vmId/failed-over', audited(svc.audit, svc.log, 'dr.failed-over-clear', (p) => `vm:${p['vmId'] ?? ''}`), on(PRIVILEGES.admin), (req, res) => {
    const vm = vmOf(req);
    if (!svc.drSource?.marks.clear(vm)) throw new NotFoundError(`VM ${vm.moref} is not marked failed over`, { vm: vm.moref });
    res.status(204).end();
  });
  return router;
}
