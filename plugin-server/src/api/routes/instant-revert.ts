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
import { Router, type Request, type Response } from 'express';
import { LifelineError, ValidationError } from '../../errors/index.js';
import { isPointId, vmTarget, type VmRef } from '../../domain/index.js';
import { INSTANT_REVERT_JOB_KIND, type InstantRevertRecord, type InstantRevertService } from '../../instant/index.js';
import { audited, noteAudit } from '../audit/audited.js';
import { authorizedCall, type Authorizer } from '../auth/authorize.js';
import type { UserSession } from '../auth/ports.js';
import { PRIVILEGES, READ_PRIVILEGE } from '../privileges.js';
import { requestContext } from '../request-context.js';
import type { ApiServices } from './api-services.js';
import { parseVmId, vmObject, vmUrn } from './vm-id.js';

type Body = Record<string, unknown>;

function bodyOf(req: Request, allowed: readonly string[]): Body {
  const body: unknown = req.body ?? {};
  if (typeof body !== 'object' || body === null || Array.isArray(body)) throw new ValidationError('the request body must be a JSON object');
  const extra = Object.keys(body).find((k) => !allowed.includes(k));
  if (extra !== undefined) throw new ValidationError(`${extra} is not a field of this request (allowed: ${allowed.join(', ') || 'none'})`, { field: extra });
  return body as Body;
}

export function instantRevertRoutes<S extends UserSession>(auth: Authorizer<S>, svc: ApiServices): Router {
  const router = Router();
  const instant = (): InstantRevertService => {
    if (!svc.instantRevert) throw new LifelineError('backup-unavailable', 'Instant revert is not available in this Lifeline server: it has no backup store.');
    return svc.instantRevert;
  };
  const onVm = (privilege: string) =>
    auth.require({
      privileges: [privilege],
      entity: (req) => ({ type: 'VirtualMachine', value: parseVmId(req.params['vmId']).moref }),
      vcenterGuid: (req) => parseVmId(req.params['vmId']).vcenterGuid,
    });
  const vmAudit = (action: string) =>
    audited(svc.audit, svc.log, action, (params, vcenter) => {
      const id = parseVmId(params['vmId']);
      const guid = id.vcenterGuid ?? vcenter?.guid;
      return guid ? vmObject(id.moref, guid) : `vm:${id.moref}`;
    });
  const vmOf = (req: Request): VmRef => ({ vcenterGuid: authorizedCall<S>(req).vcenter.guid, moref: parseVmId(req.params['vmId']).moref });
  const userOf = (req: Request): string => authorizedCall<S>(req).session.userName;
  const accepted = (req: Request, res: Response, r: { job: { id: string }; created: boolean }) => {
    noteAudit(req, { details: { jobId: r.job.id } });
    res.status(202).location(`${req.baseUrl}/jobs/${r.job.id}`).json(r);
  };

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
    const b = bodyOf(req, ['pointId', 'powerOff']);
    const pointId = b['pointId'];
    if (typeof pointId !== 'string' || !isPointId(pointId)) throw new ValidationError('pointId must be a restore point id such as 20250102-030405-1a2b3c4d', { field: 'pointId' });
    const powerOff = b['powerOff'] ?? false;
    if (typeof powerOff !== 'boolean') throw new ValidationError('powerOff must be true or false', { field: 'powerOff' });
    noteAudit(req, { details: { pointId } });
    accepted(req, res, await instant().revert(vmOf(req), pointId, powerOff, userOf(req), requestContext(req).signal));
  });

  router.post('/vms/:vmId/instant-revert/commit', vmAudit('vm.instant-revert.commit'), onVm(PRIVILEGES.restore), (req, res) => {
    bodyOf(req, []);
    accepted(req, res, instant().commit(vmOf(req), userOf(req)));
  });

  router.post('/vms/:vmId/instant-revert/cancel', vmAudit('vm.instant-revert.cancel'), onVm(PRIVILEGES.restore), (req, res) => {
    bodyOf(req, []);
    accepted(req, res, instant().cancel(vmOf(req), userOf(req)));
  });

  return router;
}
