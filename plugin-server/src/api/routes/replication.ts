/**
 * A VM's replication to its policy's DR site: GET /vms/{vm}/replication (System.Read on the VM)
 * answers the last replicated point, the lag (the RPO achieved at the DR site) and whether the
 * policy's RPO is met there, and says so plainly when the policy names a site this server is not
 * paired with. replication/coordinator.ts computes it.
 */
import { Router, type Request } from 'express';
import type { VmRef } from '../../domain/index.js';
import { authorizedCall, type Authorizer } from '../auth/authorize.js';
import type { UserSession } from '../auth/ports.js';
import { READ_PRIVILEGE } from '../privileges.js';
import type { ApiServices } from './api-services.js';
import { parseVmId } from './vm-id.js';
import type { VmInventory } from './vms.js';

export function replicationRoutes<S extends UserSession & VmInventory>(auth: Authorizer<S>, svc: ApiServices): Router {
  const router = Router();
  const vmOf = (req: Request): VmRef => ({ vcenterGuid: authorizedCall<S>(req).vcenter.guid, moref: parseVmId(req.params['vmId']).moref });
  router.get(
    '/vms/:vmId/replication',
    auth.require({
      privileges: [READ_PRIVILEGE],
      entity: (req) => ({ type: 'VirtualMachine', value: parseVmId(req.params['vmId']).moref }),
      vcenterGuid: (req) => parseVmId(req.params['vmId']).vcenterGuid,
    }),
    (req, res) => {
      const vm = vmOf(req);
      const p = svc.policies.getProtection(vm);
      const policy = p ? svc.policies.getPolicy(p.policyId) : null;
      const notConfigured = { site: null, state: 'not-configured', lastReplicatedPointId: null, lastReplicatedAt: null, lagSeconds: null, rpoSeconds: null, rpoMet: null, lastError: null, backlogPoints: 0 };
      if (!svc.replication) {
        // No backup store, so nothing to replicate; a policy naming a site is still told.
        res.json(
          policy?.replicationSite
            ? { ...notConfigured, site: { id: policy.replicationSite, name: policy.replicationSite }, state: 'site-not-paired', rpoSeconds: policy.rpoSeconds, rpoMet: false, lastError: 'this Lifeline server has no backup store: nothing is replicated' }
            : notConfigured,
        );
        return;
      }
      res.json(svc.replication.vmReplication(vm, policy ? { replicationSite: policy.replicationSite, rpoSeconds: policy.rpoSeconds } : null));
    },
  );
  return router;
}
