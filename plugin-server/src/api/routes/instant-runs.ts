/**
 * Instant new instance and instant clone-and-attach (instant recovery from Lifeline's NFS
 * datastore, docs/instant-recovery.md):
 *
 *   POST /points/{id}/instant-instance          a new VM running from the point's published disks
 *   POST /points/{id}/instant-attach            the point's published disks attached to a VM
 *   GET  /instant-recoveries                    every one in progress (System.Read on the root)
 *   GET  /instant-recoveries/{runId}            one (System.Read on its VM)
 *   GET  /instant-recoveries/{runId}/migration-targets  the datastores it may be migrated to
 *   POST /instant-recoveries/{runId}/migrate    its disks moved to a datastore while the VM runs
 *   POST /instant-recoveries/{runId}/discard    the VM removed or the disks detached, the publication dropped
 *
 * Each change is audited and runs as an 'instant-recovery' job (202 with the job and the run's
 * id). The privileges are the copy-first paths' (routes/recovery.ts): Lifeline's Restore on the
 * point's VM, and for a new VM Restore on its folder (else the root) and what vCenter demands of
 * a user placing a VM (VirtualMachine.Inventory.Create on the folder, Resource.AssignVMToPool on
 * the pool, Datastore.AllocateSpace on the datastore, Network.Assign on each network); for an
 * attach Restore and VirtualMachine.Config.AddExistingDisk on the VM; a migration needs Restore on
 * the VM and Datastore.AllocateSpace on the datastore it moves to. A server without an NFS section
 * answers 503 nfs-not-configured.
 */
import { Router, type Request, type Response } from 'express';
import { LifelineError, NotFoundError, ValidationError } from '../../errors/index.js';
import { isPointId, type VmRef } from '../../domain/index.js';
import type { InstantRunRecord, InstantRunService } from '../../instant/index.js';
import { vmOfPoint } from '../../points/index.js';
import type { PointRow } from '../../catalog/index.js';
import { audited, noteAudit } from '../audit/audited.js';
import { authorizedCall, requireOnEach, type Authorizer } from '../auth/authorize.js';
import type { MoRef, UserSession } from '../auth/ports.js';
import { PRIVILEGES, READ_PRIVILEGE } from '../privileges.js';
import { requestContext } from '../request-context.js';
import type { ApiServices } from './api-services.js';
import { acceptedJob, jsonBody, vmRoutes } from './vm-routes.js';
import { parseVmId, vmObject, vmUrn } from './vm-id.js';

const RUN_ID = /^[0-9a-f-]{36}$/;
const MOREF = /^[A-Za-z0-9._-]{1,100}$/;
const NAME = /^.{1,200}$/;

type Body = Record<string, unknown>;

function optionalString(b: Body, field: string, pattern: RegExp = NAME): string | null {
  const v = b[field];
  if (v === undefined || v === null) return null;
  if (typeof v !== 'string' || !pattern.test(v)) throw new ValidationError(`${field} must be a valid name or id`, { field });
  return v;
}

function runIdOf(raw: unknown): string {
  if (typeof raw !== 'string' || !RUN_ID.test(raw)) throw new ValidationError('runId must be the id of an instant recovery', { field: 'runId' });
  return raw;
}

export function runView(r: InstantRunRecord) {
  return {
    id: r.id,
    kind: r.kind,
    vm: r.vm ? { id: vmUrn(r.vm, r.vcenterGuid), moref: r.vm, vcenter: r.vcenterGuid } : null,
    vmName: r.vmName,
    pointId: r.pointId,
    state: r.state,
    jobId: r.jobId,
    disks: r.disks.map((d) => ({ pointDisk: d.pointDisk, capacity: d.capacity, file: d.publishedFile, deviceKey: d.deviceKey, controllerKey: d.controllerKey, unitNumber: d.unitNumber })),
    createdAt: r.createdAt,
    updatedAt: r.updatedAt,
  };
}

export function instantRunRoutes<S extends UserSession>(auth: Authorizer<S>, svc: ApiServices): Router {
  const router = Router();
  const runs = (): InstantRunService => {
    if (!svc.instantRuns) throw new LifelineError('nfs-not-configured', 'This Lifeline server has no NFS server for instant recovery: add an "nfs" section (host, clients) to its configuration.');
    return svc.instantRuns;
  };
  const { userOf } = vmRoutes(auth, svc);
  const accepted = (req: Request, res: Response, r: { job: { id: string }; runId: string }): void => acceptedJob(req, res, r, { runId: r.runId });

  // ---- the point: Restore on its VM, once its sealed manifest agrees with the catalog ----
  const pointOf = (req: Request): PointRow => {
    const id = req.params['pointId'];
    if (typeof id !== 'string' || !isPointId(id)) throw new ValidationError('pointId must be a restore point id such as 20250102-030405-1a2b3c4d', { field: 'pointId' });
    const p = svc.points.find(id);
    if (!p || p.state !== 'committed') throw new NotFoundError(`restore point ${id} does not exist`, { pointId: id });
    return p;
  };
  const onSourceVm = auth.require({
    prepare: async (req, signal) => {
      runs();
      await svc.points.authentic(pointOf(req), signal);
    },
    privileges: [PRIVILEGES.restore],
    entity: (req, session): MoRef => {
      const vm = vmOfPoint(pointOf(req));
      return vm ? { type: 'VirtualMachine', value: vm.moref } : session.rootFolder;
    },
    vcenterGuid: (req) => {
      const p = svc.points.find(req.params['pointId']);
      return p ? (vmOfPoint(p)?.vcenterGuid ?? null) : null;
    },
  });
  const auditPoint = (action: string) => audited(svc.audit, svc.log, action, (params) => `point:${params['pointId'] ?? ''}`);

  router.post(
    '/points/:pointId/instant-instance',
    auditPoint('point.instant-instance'),
    onSourceVm,
    auth.require({
      privileges: [PRIVILEGES.restore],
      entity: (req, session) => {
        const folder = (req.body as Body | undefined)?.['folder'];
        return typeof folder === 'string' && MOREF.test(folder) ? { type: 'Folder', value: folder } : session.rootFolder;
      },
      vcenterGuid: (req) => {
        const p = svc.points.find(req.params['pointId']);
        return p ? (vmOfPoint(p)?.vcenterGuid ?? null) : null;
      },
    }),
    async (req, res) => {
      const pointId = pointOf(req).id;
      const b = jsonBody(req, ['name', 'datastore', 'folder', 'resourcePool', 'host', 'networks', 'powerOn']);
      const networks = b['networks'] ?? {};
      if (typeof networks !== 'object' || networks === null || Array.isArray(networks) || Object.values(networks).some((v) => typeof v !== 'string' || v === '')) {
        throw new ValidationError('networks must map source network names to target network names', { field: 'networks' });
      }
      const name = b['name'];
      if (typeof name !== 'string') throw new ValidationError('name is required: the new VM needs a name', { field: 'name' });
      const powerOn = b['powerOn'] ?? false;
      if (typeof powerOn !== 'boolean') throw new ValidationError('powerOn must be true or false', { field: 'powerOn' });
      noteAudit(req, { details: { name } });
      if (!svc.recovery) throw new LifelineError('backup-unavailable', 'Recovery is not available in this Lifeline server: it has no backup store.');
      const { session, vcenter } = authorizedCall<S>(req);
      const { signal } = requestContext(req);
      // The targets as the copy-first new instance resolves them, each checked with the user's own session.
      const { request, targets } = await svc.recovery.instantiateTargets(
        pointId,
        {
          vcenterGuid: vcenter.guid,
          name,
          datastore: optionalString(b, 'datastore'),
          folder: optionalString(b, 'folder', MOREF),
          pool: optionalString(b, 'resourcePool', MOREF),
          host: optionalString(b, 'host', MOREF),
          networks: networks as Record<string, string>,
          powerOn,
        },
        signal,
      );
      await requireOnEach(session, targets, signal);
      accepted(
        req,
        res,
        runs().newInstance({ pointId, vcenterGuid: request.vcenterGuid, name: request.name, datastore: request.datastore, folder: request.folder, pool: request.pool, host: request.host, networks: request.networks, powerOn: request.powerOn }, userOf(req)),
      );
    },
  );

  const attachTarget = (req: Request) => parseVmId((req.body as Body | undefined)?.['vm'], 'vm');
  router.post(
    '/points/:pointId/instant-attach',
    auditPoint('point.instant-attach'),
    onSourceVm,
    // Last: the authorised call, whose vCenter the attach then works on, is the target VM's.
    auth.require({
      privileges: [PRIVILEGES.restore, 'VirtualMachine.Config.AddExistingDisk'],
      entity: (req) => ({ type: 'VirtualMachine', value: attachTarget(req).moref }),
      vcenterGuid: (req) => attachTarget(req).vcenterGuid,
    }),
    async (req, res) => {
      const point = pointOf(req);
      const b = jsonBody(req, ['vm', 'disks']);
      const disks = b['disks'];
      if (disks !== undefined && disks !== null && (!Array.isArray(disks) || disks.length === 0 || disks.some((d) => !Number.isSafeInteger(d)))) {
        throw new ValidationError('disks must be a non-empty list of disk numbers of the point', { field: 'disks' });
      }
      if (Array.isArray(disks) && svc.repository) {
        const known = new Set((await svc.repository.readManifest(point.id, requestContext(req).signal)).disks.map((d) => d.disk));
        const unknown = (disks as number[]).find((d) => !known.has(d));
        if (unknown !== undefined) throw new ValidationError(`restore point ${point.id} has no disk ${unknown}`, { field: 'disks' });
      }
      const vm: VmRef = { vcenterGuid: authorizedCall<S>(req).vcenter.guid, moref: attachTarget(req).moref };
      noteAudit(req, { details: { vm: vmObject(vm.moref, vm.vcenterGuid) } });
      await runs().requireVm(vm, requestContext(req).signal);
      accepted(req, res, runs().attach(point.id, vm, (disks as number[] | undefined) ?? null, userOf(req)));
    },
  );

  router.get('/instant-recoveries', auth.require({ privileges: [READ_PRIVILEGE] }), (_req, res) => {
    const items = runs().list().map(runView);
    res.json({ items, total: items.length });
  });

  const runOf = (req: Request): InstantRunRecord => runs().get(runIdOf(req.params['runId']));
  const onRunVm = (privileges: readonly string[]) =>
    auth.require({
      privileges,
      entity: (req, session) => {
        const r = runOf(req);
        return r.vm ? { type: 'VirtualMachine', value: r.vm } : session.rootFolder;
      },
      vcenterGuid: (req) => runOf(req).vcenterGuid,
    });
  const auditRun = (action: string) =>
    audited(svc.audit, svc.log, action, (params) => {
      const r = svc.instantRuns?.list().find((x) => x.id === params['runId']);
      return r?.vm ? vmObject(r.vm, r.vcenterGuid) : `instant-recovery:${params['runId'] ?? ''}`;
    });

  router.get('/instant-recoveries/:runId', onRunVm([READ_PRIVILEGE]), (req, res) => {
    res.json(runView(runOf(req)));
  });

  router.get('/instant-recoveries/:runId/migration-targets', onRunVm([READ_PRIVILEGE]), async (req, res) => {
    const items = await runs().migrationTargets(runOf(req).id, requestContext(req).signal);
    res.json({ items });
  });

  router.post('/instant-recoveries/:runId/migrate', auditRun('instant-recovery.migrate'), onRunVm([PRIVILEGES.restore]), async (req, res) => {
    const b = jsonBody(req, ['datastore']);
    const datastore = optionalString(b, 'datastore');
    if (datastore === null) throw new ValidationError('datastore is required: the production datastore the disks move to', { field: 'datastore' });
    const runId = runOf(req).id;
    const { signal } = requestContext(req);
    const target = await runs().migrationTarget(runId, datastore, signal);
    await requireOnEach(authorizedCall<S>(req).session, [{ entity: { type: 'Datastore', value: target.moref }, privileges: ['Datastore.AllocateSpace'] }], signal);
    noteAudit(req, { details: { datastore: target.name } });
    accepted(req, res, runs().migrate(runId, target.name, userOf(req)));
  });

  router.post('/instant-recoveries/:runId/discard', auditRun('instant-recovery.discard'), onRunVm([PRIVILEGES.restore]), (req, res) => {
    jsonBody(req, []);
    accepted(req, res, runs().discard(runOf(req).id, userOf(req)));
  });

  return router;
}
