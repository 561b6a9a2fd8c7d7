/**
 * Instant revert: a VM runs from its restore point at once, over Lifeline's NFS datastore, and is
 * then made permanent (its disks moved to production storage while it runs) or cancelled (its own
 * disks back).
 *
 *   GET  /vms/{vmId}/instant-revert          the VM's instant revert, if any (System.Read on the VM)
 *   POST /vms/{vmId}/instant-revert          {pointId, powerOff}: run the VM from the point (Restore)
 *   POST /vms/{vmId}/instant-revert/commit   make it permanent (Restore)
 *   POST /vms/{vmId}/instant-revert/cancel   put the VM's own disks back (Restore)
 *
 * Changes are audited and answered 202 with an 'instant-revert' job; a server without an NFS
 * section in its configuration answers 503 nfs-not-configured. The rules are
 * instant/instant-revert-job.ts's; these routes parse, authorise, call and answer.
 */
import { Router } from 'express';
import { LifelineError, ValidationError } from '../../errors/index.js';
import { isPointId, vmTarget, type VmRef } from '../../domain/index.js';
import { INSTANT_REVERT_JOB_KIND, type InstantRevertRecord, type InstantRevertService } from '../../instant/index.js';
import { noteAudit } from '../audit/audited.js';
import type { Authorizer } from '../auth/authorize.js';
import type { UserSession } from '../auth/ports.js';
import { PRIVILEGES, READ_PRIVILEGE } from '../privileges.js';
import { requestContext } from '../request-context.js';
import type { ApiServices } from './api-services.js';
import { acceptedJob, jsonBody, vmRoutes } from './vm-routes.js';
import { vmUrn } from './vm-id.js';


export function instantRevertRoutes<S extends UserSession>(auth: Authorizer<S>, svc: ApiServices): Router {
  const router = Router();
  const instant = (): InstantRevertService => {
    if (!svc.instantRevert) throw new LifelineError('backup-unavailable', 'Instant revert is not available in this Lifeline server: it has no backup store.');
    return svc.instantRevert;
  };
  const { onVm, vmAudit, vmOf, userOf } = vmRoutes(auth, svc);

  const view = (vm: VmRef, r: InstantRevertRecord | undefined) => {
    const job = svc.jobs.activeForTarget(vmTarget(vm));
    const operation = job?.kind === INSTANT_REVERT_JOB_KIND ? (job.params as { operation?: unknown }).operation : undefined;
    return {
      vm: { id: vmUrn(vm.moref, vm.vcenterGuid), moref: vm.moref, vcenter: vm.vcenterGuid },
      active: r !== undefined,
      pointId: r?.pointId ?? null,
      state: r?.state ?? null,
      createdAt: r?.createdAt ?? null,
      // The job working on it now (a make permanent shows the relocation's progress here).
      job: job && typeof operation === 'string' ? { id: job.id, operation, state: job.state, bytesDone: job.progress.bytesDone, bytesTotal: job.progress.bytesTotal } : null,
      disks: (r?.disks ?? []).map((d) => ({ pointDisk: d.pointDisk, publishedFile: d.publishedFile, setAsideFile: d.originalFile, capacityBytes: d.capacity })),
    };
  };

  router.get('/vms/:vmId/instant-revert', onVm(READ_PRIVILEGE), (req, res) => {
    const vm = vmOf(req);
    res.json(view(vm, instant().revertOf(vm)));
  });

  router.post('/vms/:vmId/instant-revert', vmAudit('vm.instant-revert'), onVm(PRIVILEGES.restore), async (req, res) => {
    const b = jsonBody(req, ['pointId', 'powerOff']);
    const pointId = b['pointId'];
    if (typeof pointId !== 'string' || !isPointId(pointId)) throw new ValidationError('pointId must be a restore point id such as 20250102-030405-1a2b3c4d', { field: 'pointId' });
    const powerOff = b['powerOff'] ?? false;
    if (typeof powerOff !== 'boolean') throw new ValidationError('powerOff must be true or false', { field: 'powerOff' });
    noteAudit(req, { details: { pointId } });
    acceptedJob(req, res, await instant().revert(vmOf(req), pointId, powerOff, userOf(req), requestContext(req).signal));
  });

  router.post('/vms/:vmId/instant-revert/commit', vmAudit('vm.instant-revert.commit'), onVm(PRIVILEGES.restore), (req, res) => {
    jsonBody(req, []);
    acceptedJob(req, res, instant().commit(vmOf(req), userOf(req)));
  });

  router.post('/vms/:vmId/instant-revert/cancel', vmAudit('vm.instant-revert.cancel'), onVm(PRIVILEGES.restore), (req, res) => {
    jsonBody(req, []);
    acceptedJob(req, res, instant().cancel(vmOf(req), userOf(req)));
  });

  return router;
}
