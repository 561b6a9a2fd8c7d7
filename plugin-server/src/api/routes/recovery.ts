/**
 * Recovery: revert a VM to a restore point (temporary) and cancel it or make it permanent, create
 * a new VM from a point, clone a point's disks and attach them to a VM, list and detach those
 * attachments. Every change needs Lifeline's Restore privilege on the VM it changes (for a new VM,
 * on its folder, else the inventory root), is audited, and runs as a 'restore' job: the answer is
 * 202 with the job, whose progress and outcome /api/v1/jobs/{id} tells. Reads need System.Read.
 *
 * The job acts as Lifeline's service account, so the user's own session is first asked for what
 * vCenter would demand of the user doing the same: for a new VM, VirtualMachine.Inventory.Create on
 * its folder, Resource.AssignVMToPool on its pool, Datastore.AllocateSpace on its datastore and
 * Network.Assign on each network (defaults resolved first and then used by the job, so what was
 * checked is what is used); for an attach, VirtualMachine.Config.AddExistingDisk on the VM and
 * Datastore.AllocateSpace on the datastore, which must be one of the VM's datacenter.
 */
import { Router, type Request } from 'express';
import { LifelineError, ValidationError } from '../../errors/index.js';
import type { AttachmentRecord, PointSource, RecoveryService, RevertRecord } from '../../recovery/index.js';
import type { VmRef } from '../../domain/index.js';
import { audited, noteAudit } from '../audit/audited.js';
import { authorizedCall, requireOnEach, type Authorizer } from '../auth/authorize.js';
import type { UserSession } from '../auth/ports.js';
import { PRIVILEGES, READ_PRIVILEGE } from '../privileges.js';
import { requestContext } from '../request-context.js';
import type { ApiServices } from './api-services.js';
import { acceptedJob, jsonBody, vmRoutes } from './vm-routes.js';
import { parseVmId, vmObject, vmUrn } from './vm-id.js';
import { vmOfPoint } from '../../points/index.js';
import type { PointRow } from '../../catalog/index.js';

const POINT_ID = /^\d{8}-\d{6}-[0-9a-f]{8}$/;
const ATTACHMENT_ID = /^[0-9a-f-]{36}$/;
const MOREF = /^[A-Za-z0-9._-]{1,100}$/;

type Body = Record<string, unknown>;

function optionalBool(b: Body, field: string): boolean {
  const v = b[field];
  if (v === undefined) return false;
  if (typeof v !== 'boolean') throw new ValidationError(`${field} must be true or false`, { field });
  return v;
}

function optionalString(b: Body, field: string, pattern: RegExp = /^.{1,200}$/): string | null {
  const v = b[field];
  if (v === undefined || v === null) return null;
  if (typeof v !== 'string' || !pattern.test(v)) throw new ValidationError(`${field} must be a valid name or id`, { field });
  return v;
}

function pointIdOf(raw: unknown, field = 'pointId'): string {
  if (typeof raw !== 'string' || !POINT_ID.test(raw)) throw new ValidationError(`${field} must be a restore point id such as 20250102-030405-1a2b3c4d`, { field });
  return raw;
}

/** Where the point is read from: `source` 'local' (the default) or 'object-storage' (the store's copy there). */
function sourceOf(b: Body): PointSource {
  const v = b['source'];
  if (v === undefined || v === null || v === 'local') return 'local';
  if (v === 'object-storage') return v;
  throw new ValidationError("source must be 'local' (the local store) or 'object-storage' (the copy on object storage)", { field: 'source' });
}

/** The source a request names, for the privilege check before its body is validated: anything but 'object-storage' reads the local store. */
function sourceAsked(req: Request): PointSource {
  return (req.body as Body | undefined)?.['source'] === 'object-storage' ? 'object-storage' : 'local';
}

function attachmentIdOf(raw: unknown): string {
  if (typeof raw !== 'string' || !ATTACHMENT_ID.test(raw)) throw new ValidationError('attachmentId must be an attachment id', { field: 'attachmentId' });
  return raw;
}

function revertView(vm: VmRef, r: RevertRecord | undefined) {
  const base = { vm: { id: vmUrn(vm.moref, vm.vcenterGuid), moref: vm.moref, vcenter: vm.vcenterGuid } };
  if (!r) return { ...base, reverted: false, pointId: null, state: null, revertedAt: null, jobId: null, disks: [] };
  return {
    ...base,
    reverted: true,
    pointId: r.pointId,
    state: r.state,
    revertedAt: r.revertedAt,
    jobId: r.jobId,
    disks: r.disks.map((d) => ({ pointDisk: d.pointDisk, label: d.label, restoredFile: d.restoredFile, setAsideFile: d.originalFile })),
  };
}

function attachmentView(a: AttachmentRecord) {
  return {
    id: a.id,
    vm: { id: vmUrn(a.vm.moref, a.vm.vcenterGuid), moref: a.vm.moref, vcenter: a.vm.vcenterGuid },
    pointId: a.pointId,
    state: a.state,
    jobId: a.jobId,
    folder: a.folder,
    disks: a.disks.map((d) => ({ pointDisk: d.pointDisk, label: d.label, file: d.file, capacity: d.capacity, deviceKey: d.deviceKey, controllerKey: d.controllerKey, unitNumber: d.unitNumber })),
    createdAt: a.createdAt,
    updatedAt: a.updatedAt,
  };
}

export function recoveryRoutes<S extends UserSession>(auth: Authorizer<S>, svc: ApiServices): Router {
  const router = Router();
  const recovery = (): RecoveryService => {
    if (!svc.recovery) throw new LifelineError('backup-unavailable', 'Recovery is not available in this Lifeline server: it has no backup store.');
    return svc.recovery;
  };
  const { onVm, vmAudit, vmOf, userOf } = vmRoutes(auth, svc);

  // ---- revert ----

  router.get('/vms/:vmId/revert', onVm(READ_PRIVILEGE), (req, res) => {
    const vm = vmOf(req);
    res.json(revertView(vm, recovery().revertOf(vm)));
  });

  router.post('/vms/:vmId/revert', vmAudit('vm.revert'), onVm(PRIVILEGES.restore), async (req, res) => {
    const b = jsonBody(req, ['pointId', 'powerOff', 'source']);
    const pointId = pointIdOf(b['pointId']);
    const source = sourceOf(b);
    noteAudit(req, { details: { pointId, ...(source === 'local' ? {} : { source }) } });
    acceptedJob(req, res, await recovery().revert(vmOf(req), pointId, optionalBool(b, 'powerOff'), userOf(req), requestContext(req).signal, source));
  });

  router.post('/vms/:vmId/revert/cancel', vmAudit('vm.revert.cancel'), onVm(PRIVILEGES.restore), async (req, res) => {
    const b = jsonBody(req, ['powerOff']);
    acceptedJob(req, res, await recovery().cancelRevert(vmOf(req), optionalBool(b, 'powerOff'), userOf(req), requestContext(req).signal));
  });

  router.post('/vms/:vmId/revert/commit', vmAudit('vm.revert.commit'), onVm(PRIVILEGES.restore), (req, res) => {
    jsonBody(req, []);
    acceptedJob(req, res, recovery().commitRevert(vmOf(req), userOf(req)));
  });

  /**
   * Restoring a point's data into a new VM or onto another VM needs the Restore privilege on the
   * VM the point was taken of as well: otherwise a user who may restore into one folder or VM
   * could read the backups of any VM. An unknown point is checked on the root, then answered 404.
   * A request reading the copy on object storage (source 'object-storage') is checked against the
   * point as the copy holds it.
   */
  const authentic = new WeakMap<Request, PointRow>();
  const sourceVm = (req: Request) => {
    const id = req.params['pointId'];
    const point = authentic.get(req) ?? (typeof id === 'string' && POINT_ID.test(id) ? svc.recovery?.openRepository(sourceAsked(req))?.catalog.getPoint(id) : undefined);
    return point && point.state === 'committed' ? vmOfPoint(point) : null;
  };
  const onSourceVm = auth.require({
    // Which VM the point is of decides the check: the catalog's word for it is taken only once the
    // point's sealed manifest agrees.
    prepare: async (req, signal) => {
      const id = req.params['pointId'];
      if (typeof id !== 'string' || !POINT_ID.test(id)) return;
      const source = sourceAsked(req);
      const repo = source === 'local' ? svc.repository : await recovery().repository(source, signal);
      if (!repo || repo.catalog.getPoint(id)?.state !== 'committed') return;
      authentic.set(req, (await repo.authenticPoint(id, signal)).point);
    },
    privileges: [PRIVILEGES.restore],
    entity: (req, session) => {
      const vm = sourceVm(req);
      return vm ? { type: 'VirtualMachine', value: vm.moref } : session.rootFolder;
    },
    vcenterGuid: (req) => sourceVm(req)?.vcenterGuid ?? null,
  });

  // ---- new instance ----

  router.post(
    '/points/:pointId/instantiate',
    audited(svc.audit, svc.log, 'point.instantiate', (params) => `point:${params['pointId'] ?? ''}`),
    auth.require({
      privileges: [PRIVILEGES.restore],
      // The folder the VM goes to; without one, the datacenter's VM folder, covered by the root.
      entity: (req, session) => {
        const folder = (req.body as Body | undefined)?.['folder'];
        return typeof folder === 'string' && MOREF.test(folder) ? { type: 'Folder', value: folder } : session.rootFolder;
      },
      // The new VM is made in the vCenter of the point's VM.
      vcenterGuid: (req) => sourceVm(req)?.vcenterGuid ?? null,
    }),
    onSourceVm,
    async (req, res) => {
      const pointId = pointIdOf(req.params['pointId']);
      const b = jsonBody(req, ['name', 'datastore', 'folder', 'resourcePool', 'host', 'networks', 'powerOn', 'source']);
      const source = sourceOf(b);
      const networks = b['networks'] ?? {};
      if (typeof networks !== 'object' || networks === null || Array.isArray(networks) || Object.values(networks).some((v) => typeof v !== 'string' || v === '')) {
        throw new ValidationError('networks must map source network names to target network names', { field: 'networks' });
      }
      const name = b['name'];
      if (typeof name !== 'string') throw new ValidationError('name is required: the new VM needs a name', { field: 'name' });
      noteAudit(req, { details: { name, ...(source === 'local' ? {} : { source }) } });
      const { session } = authorizedCall<S>(req);
      const { signal } = requestContext(req);
      // The targets as the job will use them, each checked with the user's own session for what
      // vCenter would demand of the user placing a VM there.
      const { request, targets } = await recovery().instantiateTargets(
        pointId,
        {
          vcenterGuid: authorizedCall<S>(req).vcenter.guid,
          name,
          datastore: optionalString(b, 'datastore'),
          folder: optionalString(b, 'folder', MOREF),
          pool: optionalString(b, 'resourcePool', MOREF),
          host: optionalString(b, 'host', MOREF),
          networks: networks as Record<string, string>,
          powerOn: optionalBool(b, 'powerOn'),
          ...(source === 'local' ? {} : { source }),
        },
        signal,
      );
      await requireOnEach(session, targets, signal);
      const r = await recovery().instantiate(pointId, request, userOf(req), signal);
      acceptedJob(req, res, r);
    },
  );

  // ---- clone and attach ----

  const attachTarget = (req: Request) => parseVmId((req.body as Body | undefined)?.['vm'], 'vm');
  router.post(
    '/points/:pointId/attach',
    audited(svc.audit, svc.log, 'point.attach', (params) => `point:${params['pointId'] ?? ''}`),
    onSourceVm,
    // Last: the authorised call, whose vCenter the attach then works on, is the target VM's.
    auth.require({
      privileges: [PRIVILEGES.restore],
      entity: (req) => ({ type: 'VirtualMachine', value: attachTarget(req).moref }),
      vcenterGuid: (req) => attachTarget(req).vcenterGuid,
    }),
    async (req, res) => {
      const pointId = pointIdOf(req.params['pointId']);
      const b = jsonBody(req, ['vm', 'disks', 'datastore', 'source']);
      const source = sourceOf(b);
      const disks = b['disks'];
      if (disks !== undefined && disks !== null && (!Array.isArray(disks) || disks.length === 0 || disks.some((d) => !Number.isSafeInteger(d)))) {
        throw new ValidationError('disks must be a non-empty list of disk numbers of the point', { field: 'disks' });
      }
      const vm: VmRef = { vcenterGuid: authorizedCall<S>(req).vcenter.guid, moref: attachTarget(req).moref };
      noteAudit(req, { details: { vm: vmObject(vm.moref, vm.vcenterGuid), ...(source === 'local' ? {} : { source }) } });
      const { signal } = requestContext(req);
      // The datastore must be one of the VM's datacenter, and the user must be allowed to add disks
      // to the VM and to use space on that datastore.
      const { datastore, targets } = await recovery().attachTargets(vm, optionalString(b, 'datastore'), signal);
      await requireOnEach(authorizedCall<S>(req).session, targets, signal);
      const r = await recovery().attach(pointId, vm, (disks as number[] | undefined) ?? null, datastore, userOf(req), signal, source);
      noteAudit(req, { details: { attachmentId: r.attachmentId } });
      acceptedJob(req, res, r);
    },
  );

  router.get('/vms/:vmId/attachments', onVm(READ_PRIVILEGE), (req, res) => {
    const items = recovery().listAttachments(vmOf(req)).map(attachmentView);
    res.json({ items, total: items.length });
  });

  const onAttachmentVm = (privilege: string) =>
    auth.require({
      privileges: [privilege],
      entity: (req) => ({ type: 'VirtualMachine', value: recovery().attachment(attachmentIdOf(req.params['attachmentId'])).vm.moref }),
      vcenterGuid: (req) => recovery().attachment(attachmentIdOf(req.params['attachmentId'])).vm.vcenterGuid,
    });

  router.get('/attachments/:attachmentId', onAttachmentVm(READ_PRIVILEGE), (req, res) => {
    res.json(attachmentView(recovery().attachment(attachmentIdOf(req.params['attachmentId']))));
  });

  router.delete(
    '/attachments/:attachmentId',
    audited(svc.audit, svc.log, 'attachment.detach', (params) => `attachment:${params['attachmentId'] ?? ''}`),
    onAttachmentVm(PRIVILEGES.restore),
    (req, res) => {
      acceptedJob(req, res, recovery().detach(attachmentIdOf(req.params['attachmentId']), userOf(req)));
    },
  );

  return router;
}
