/**
 * Restore points published over Lifeline's NFS server (instant recovery):
 *
 *   GET /publications                        what is published, and where (System.Read on the inventory root)
 *   POST /points/{id}/publication            publishes a point (Restore on the point's VM); 201
 *   DELETE /points/{id}/publication          unpublishes it, dropping what clients wrote (Restore); 204,
 *                                            or 409 publication-in-use while a VM runs from it (instant recovery)
 *
 * Publishing and unpublishing are audited. A server without an NFS section in its configuration
 * answers 503 nfs-not-configured. The rules are nfs/publications.ts's; these routes parse,
 * authorise, call and answer (docs/architecture.md, docs/instant-recovery.md).
 */
import { Router, type Request } from 'express';
import { LifelineError, NotFoundError, ValidationError } from '../../errors/index.js';
import { isPointId } from '../../domain/index.js';
import { describePublicationUse, publicationUseOf } from '../../instant/index.js';
import { descriptorName, flatName, type NfsService, type Publication } from '../../nfs/index.js';
import { vmOfPoint } from '../../points/index.js';
import type { PointRow } from '../../catalog/index.js';
import { audited, noteAudit } from '../audit/audited.js';
import type { Authorizer } from '../auth/authorize.js';
import type { MoRef, UserSession } from '../auth/ports.js';
import { PRIVILEGES, READ_PRIVILEGE } from '../privileges.js';
import { requestContext } from '../request-context.js';
import type { ApiServices } from './api-services.js';
import { vmObject } from './vm-id.js';

const FOLDER = /^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$/;

export function publicationRoutes<S extends UserSession>(auth: Authorizer<S>, svc: ApiServices): Router {
  const router = Router();
  const points = svc.points;
  const nfs = (): NfsService => {
    if (!svc.publications) throw new LifelineError('nfs-not-configured', 'This Lifeline server has no NFS server: add an "nfs" section (host, clients) to its configuration.');
    return svc.publications;
  };
  const pointOf = (req: Request): PointRow => {
    const id = req.params['pointId'];
    if (typeof id !== 'string' || !isPointId(id)) throw new ValidationError('pointId must be a restore point id such as 20250102-030405-1a2b3c4d', { field: 'pointId' });
    const p = points.find(id);
    if (!p) throw new NotFoundError(`restore point ${id} does not exist`, { pointId: id });
    return p;
  };
  const onPoint = auth.require({
    prepare: async (req, signal) => {
      await points.authentic(pointOf(req), signal);
    },
    privileges: (req) => {
      pointOf(req);
      return [PRIVILEGES.restore];
    },
    entity: (req, session): MoRef => {
      const vm = vmOfPoint(pointOf(req));
      return vm ? { type: 'VirtualMachine', value: vm.moref } : session.rootFolder;
    },
    vcenterGuid: (req) => {
      const p = points.find(req.params['pointId']);
      return p ? (vmOfPoint(p)?.vcenterGuid ?? null) : null;
    },
  });
  const auditObjectOf = (pointId: unknown): string | null => {
    const p = points.find(pointId);
    const vm = p ? vmOfPoint(p) : null;
    return vm ? vmObject(vm.moref, vm.vcenterGuid) : p ? `point:${p.id}` : null;
  };
  const view = (service: NfsService, p: Publication) => ({
    id: p.id,
    pointId: p.pointId,
    vmName: p.vmName,
    folder: p.folder,
    path: `${service.server.export}/${p.folder}`,
    createdAt: p.createdAt,
    disks: p.disks.map((d) => ({ index: d.disk, capacityBytes: d.capacity, descriptor: descriptorName(d.disk), flatExtent: flatName(d.disk) })),
  });

  router.get('/publications', auth.require({ privileges: [READ_PRIVILEGE] }), (_req, res) => {
    const service = nfs();
    res.json({ items: service.publications.list().map((p) => view(service, p)) });
  });

  const auditPublish = audited(svc.audit, svc.log, 'point.publish', (params) => auditObjectOf(params['pointId']));
  router.post('/points/:pointId/publication', auditPublish, onPoint, async (req, res) => {
    const service = nfs();
    const p = pointOf(req);
    const body: unknown = req.body ?? {};
    if (typeof body !== 'object' || body === null || Array.isArray(body)) throw new ValidationError('the request body must be a JSON object such as {"folder": "web-01-restore"}');
    const extra = Object.keys(body).find((k) => k !== 'folder');
    if (extra !== undefined) throw new ValidationError(`${extra} is not a field of this request (allowed: folder)`, { field: extra });
    const folder = (body as { folder?: unknown }).folder;
    if (folder !== undefined && (typeof folder !== 'string' || !FOLDER.test(folder))) {
      throw new ValidationError('folder must be 1-100 letters, digits, dots, dashes or underscores, starting with a letter or digit', { field: 'folder' });
    }
    requestContext(req).signal.throwIfAborted();
    const pub = await service.publications.publish(p.id, folder);
    noteAudit(req, { details: { pointId: p.id, folder: pub.folder } });
    res.status(201).json(view(service, pub));
  });

  const auditUnpublish = audited(svc.audit, svc.log, 'point.unpublish', (params) => auditObjectOf(params['pointId']));
  router.delete('/points/:pointId/publication', auditUnpublish, onPoint, async (req, res) => {
    const service = nfs();
    const p = pointOf(req);
    const pub = service.publications.list().find((x) => x.pointId === p.id);
    if (!pub) throw new LifelineError('publication-not-found', `restore point ${p.id} is not published`, { pointId: p.id });
    // A VM running from it would lose its disks and what its guest wrote.
    const use = publicationUseOf([svc.instantRevert, svc.instantRuns], pub.id);
    if (use) {
      throw new LifelineError('publication-in-use', `restore point ${p.id} cannot be unpublished: ${describePublicationUse(use, pub.vmName)}`, { pointId: p.id, vm: use.vm, runId: use.runId, use: use.what, state: use.state });
    }
    // Published by an instant revert or recovery that has not recorded itself yet (it publishes
    // first): only that job, or the next start's reconciliation, may drop it.
    if (pub.owner === 'instant') {
      throw new LifelineError('publication-in-use', `restore point ${p.id} cannot be unpublished: an instant revert or instant recovery published it and is starting from it; it is unpublished when that run ends`, { pointId: p.id });
    }
    await service.publications.unpublish(pub.id);
    noteAudit(req, { details: { pointId: p.id, folder: pub.folder } });
    res.status(204).end();
  });
  return router;
}
