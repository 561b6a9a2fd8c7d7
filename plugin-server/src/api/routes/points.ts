/**
 * Restore points over HTTP:
 *
 *   GET /vms/{vmId}/points                      a VM's points, newest first, paged (System.Read on the VM)
 *   GET /points/{id}                            one point with its stored VM configuration (System.Read)
 *   GET /points/{id}/disks/{n}/raw              the disk's raw image; single byte ranges (Restore)
 *   GET /points/{id}/disks/{n}/vmdk             the disk as a stream-optimized VMDK (Restore)
 *   POST /points/{id}/disks/{n}/download        a download ticket for one of those (Restore)
 *   GET /downloads/{ticket}                     the export the ticket names, without a session
 *   DELETE /points/{id}                         deletes a point past its retain-until (Admin)
 *   POST /points/{id}/retention                 keeps a point longer: a 'retention' job (Protect; Admin beyond the policy's immutability)
 *
 * Privileges are checked on the VM the point belongs to as its sealed manifest names it (a point
 * made outside vCenter: on the inventory root); exports, tickets, deletions and retention changes
 * are audited. A browser, which cannot send the session header, downloads through a ticket (../download-tickets.ts),
 * checked and audited as the export itself. The rules are the points service's
 * (points/points-service.ts) and the streaming is ../http/disk-export.ts's; these routes parse,
 * authorise, call and answer (docs/architecture.md).
 */
import { Router, type Request, type Response } from 'express';
import { LifelineError, NotFoundError, ValidationError, describeError } from '../../errors/index.js';
import type { OpenedPointDisk } from '../../export/index.js';
import type { PointRow } from '../../catalog/index.js';
import { isPointId, type VmRef } from '../../domain/index.js';
import { vmOfPoint, type PointDetails, type PointsService } from '../../points/index.js';
import { audited, noteAudit } from '../audit/audited.js';
import { authorizedCall, SESSION_HEADER, type Authorizer } from '../auth/authorize.js';
import { AuthenticationError, type MoRef, type UserSession } from '../auth/ports.js';
import { EXPORT_FORMATS, RESUME_MS, ticketOf, type DownloadGrant, type ExportFormat } from '../download-tickets.js';
import { sendRaw, sendVmdk, type AuditDetails, type AuditNote, type DiskExportContext } from '../http/disk-export.js';
import { toProblem } from '../problem.js';
import { PRIVILEGES, READ_PRIVILEGE } from '../privileges.js';
import { requestContext } from '../request-context.js';
import type { ApiServices } from './api-services.js';
import { vmRoutes } from './vm-routes.js';
import { pageOf } from './paging.js';
import { parseVmId, vmObject, vmUrn } from './vm-id.js';

const DISK_NUMBER = /^\d{1,9}$/;
/** An ISO-8601 time with a date, a time and a zone, as JSON dates are written. */
const ISO_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:\d{2})$/;

/** The format a ticket is asked for: `{ "format": "raw" | "vmdk" }`, nothing else. */
function formatAsked(body: unknown): ExportFormat {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) throw new ValidationError('the request body must be a JSON object such as {"format": "raw"}');
  const extra = Object.keys(body).find((k) => k !== 'format');
  if (extra !== undefined) throw new ValidationError(`${extra} is not a field of this request (allowed: format)`, { field: extra });
  const format = (body as Record<string, unknown>)['format'];
  if (typeof format !== 'string' || !(EXPORT_FORMATS as readonly string[]).includes(format)) {
    throw new ValidationError(`format must be one of ${EXPORT_FORMATS.join(', ')}`, { field: 'format' });
  }
  return format as ExportFormat;
}

export function pointRoutes<S extends UserSession>(auth: Authorizer<S>, svc: ApiServices): Router {
  const router = Router();
  const log = svc.log.child({ component: 'points' });
  const points = svc.points;
  const tickets = svc.downloads;
  const exporting: DiskExportContext = {
    log,
    hold: (pointId) => points.hold(pointId),
    // Events out: a whole disk exported, or an export that failed.
    ended: (e) => svc.notifications?.exportOutcome({ pointId: e.point.id, vmId: e.point.vmId, vmName: e.point.vmName, disk: e.disk, format: e.format, whole: e.whole, capacityBytes: e.capacityBytes, error: e.error }),
  };

  /**
   * Where a request reads points: `?source=object-storage` names the store's copy on object storage
   * (read only: listing, showing and exporting), anything else but `local` is refused.
   */
  const sourceOf = (req: Request): 'local' | 'object-storage' => {
    const v = req.query['source'];
    if (v === undefined || v === 'local') return 'local';
    if (v === 'object-storage') return v;
    throw new ValidationError("source must be 'local' (the local store) or 'object-storage' (the copy on object storage)", { field: 'source' });
  };
  /** The points service of the request's source, once onPoint's prepare (or the route) has opened it. */
  const sourced = new WeakMap<Request, PointsService>();
  const pointsFor = async (req: Request, signal: AbortSignal): Promise<PointsService> => {
    let ps = sourced.get(req);
    if (!ps) {
      ps = sourceOf(req) === 'local' ? points : await points.onObjectStorage(signal);
      sourced.set(req, ps);
    }
    return ps;
  };
  /** Before prepare: the copy's service if it is open already (which vCenter a point is of). */
  const pointsNow = (req: Request): PointsService | null => sourced.get(req) ?? (req.query['source'] === 'object-storage' ? points.openedOnObjectStorage() : points);
  /** Points of requests whose catalog row their manifest vouched for (see onPoint's prepare). */
  const authentic = new WeakMap<Request, PointRow>();
  const pointOf = (req: Request): PointRow => {
    const checked = authentic.get(req);
    if (checked) return checked;
    const id = req.params['pointId'];
    if (typeof id !== 'string' || !isPointId(id)) throw new ValidationError('pointId must be a restore point id such as 20250102-030405-1a2b3c4d', { field: 'pointId' });
    const p = pointsNow(req)?.find(id);
    if (!p) throw new NotFoundError(`restore point ${id} does not exist`, { pointId: id });
    return p;
  };
  const { onVm } = vmRoutes(auth, svc);
  /** `sources`: whether the route reads the copy on object storage when asked (else only the local store, and `source` is refused). */
  const onPoint = (privilege: string, alsoAsk: readonly string[] = [], sources = false) =>
    auth.require({
      alsoAsk,
      prepare: async (req, signal) => {
        if (!sources && req.query['source'] !== undefined) throw new ValidationError('source: this request acts on the local store only', { field: 'source' });
        const ps = await pointsFor(req, signal);
        authentic.set(req, await ps.authentic(pointOf(req), signal));
      },
      // After authentication: an unknown point is a 404 for a signed-in user, a 401 for anyone else.
      privileges: (req) => {
        pointOf(req);
        return [privilege];
      },
      entity: (req, session): MoRef => {
        const vm = vmOfPoint(pointOf(req));
        return vm ? { type: 'VirtualMachine', value: vm.moref } : session.rootFolder;
      },
      vcenterGuid: (req) => {
        const p = pointsNow(req)?.find(req.params['pointId']);
        return p ? (vmOfPoint(p)?.vcenterGuid ?? null) : null;
      },
    });
  const auditObjectOf = (pointId: unknown): string | null => {
    const p = points.find(pointId);
    const vm = p ? vmOfPoint(p) : null;
    return vm ? vmObject(vm.moref, vm.vcenterGuid) : p ? `point:${p.id}` : null;
  };
  const auditExport = audited(svc.audit, svc.log, 'point.export', (params) => auditObjectOf(params['pointId']));
  const auditTicket = audited(svc.audit, svc.log, 'point.export-ticket', (params) => auditObjectOf(params['pointId']));
  const noteOf = (req: Request): AuditNote => (details) => noteAudit(req, { details });

  const itemView = ({ point: p, disks, summary, jobId, objectStorageCopy }: PointDetails) => {
    const vm = vmOfPoint(p);
    return {
      id: p.id,
      vm: { id: vm ? vmUrn(vm.moref, vm.vcenterGuid) : null, name: p.vmName, moref: vm?.moref ?? null, vcenterGuid: vm?.vcenterGuid ?? null },
      createdAt: new Date(p.createdAt).toISOString(),
      consistency: p.consistency,
      retainUntil: new Date(p.retainUntil).toISOString(),
      locked: points.locked(p),
      damaged: p.damaged,
      logicalBytes: p.logicalBytes,
      newBytes: p.newStoredBytes,
      disks: disks.map((d) => ({ index: d.disk, label: d.label, capacityBytes: d.capacity, datastorePath: summary?.datastorePaths.get(d.disk) ?? null })),
      jobId,
      objectStorageCopy: objectStorageCopy ? { retainUntil: new Date(objectStorageCopy.retainUntil).toISOString() } : null,
    };
  };

  router.get('/vms/:vmId/points', onVm(READ_PRIVILEGE), async (req, res) => {
    const page = pageOf(req);
    const vm: VmRef = { vcenterGuid: authorizedCall<S>(req).vcenter.guid, moref: parseVmId(req.params['vmId']).moref };
    const { signal } = requestContext(req);
    const { items, total } = await (await pointsFor(req, signal)).vmPoints(vm, page, signal);
    res.json({ items: items.map(itemView), total, ...page });
  });

  router.get('/points/:pointId', onPoint(READ_PRIVILEGE, [], true), async (req, res) => {
    const { signal } = requestContext(req);
    const details: PointDetails = await (await pointsFor(req, signal)).details(pointOf(req), signal);
    res.json({ ...itemView(details), configuration: details.summary?.configuration ?? null });
  });

  const auditDelete = audited(svc.audit, svc.log, 'point.delete', (params) => auditObjectOf(params['pointId']));
  router.delete('/points/:pointId', auditDelete, onPoint(PRIVILEGES.admin), async (req, res) => {
    const p = pointOf(req);
    points.assertDeletable(p);
    // Named now: once deleted, the point no longer leads to its VM.
    noteAudit(req, { object: auditObjectOf(p.id) ?? `point:${p.id}`, details: { pointId: p.id, createdAt: new Date(p.createdAt).toISOString() } });
    await points.delete(p, requestContext(req).signal);
    res.status(204).end();
  });

  const auditRetention = audited(svc.audit, svc.log, 'point.retention', (params) => auditObjectOf(params['pointId']));
  router.post('/points/:pointId/retention', auditRetention, onPoint(PRIVILEGES.protect, [PRIVILEGES.admin]), (req, res) => {
    const p = pointOf(req);
    points.assertRetentionAvailable();
    const raw = (req.body as { retainUntil?: unknown } | undefined)?.retainUntil;
    const until = typeof raw === 'string' && ISO_TIME.test(raw) ? Date.parse(raw) : NaN;
    if (!Number.isFinite(until)) throw new ValidationError('retainUntil must be an ISO-8601 time, e.g. 2027-01-31T23:59:59Z', { field: 'retainUntil' });
    const { session, granted } = authorizedCall<S>(req);
    const { job, created } = points.retain(p, until, {
      user: session.userName,
      beyondProtect: (ceiling) => {
        if (granted.get(PRIVILEGES.admin) === true) return;
        throw new LifelineError(
          'forbidden',
          `keeping a restore point beyond ${ceiling.days} days from now (${ceiling.why}) needs Lifeline's Admin privilege; with Protect it can be kept until ${new Date(ceiling.until).toISOString()} at most`,
          { privilege: PRIVILEGES.admin, maxRetainUntil: new Date(ceiling.until).toISOString() },
        );
      },
    });
    noteAudit(req, { details: { pointId: p.id, retainUntil: new Date(until).toISOString(), jobId: job.id, created } });
    res.status(202).location(`${req.baseUrl}/jobs/${job.id}`).json({ job, created });
  });

  /** Opens the disk named in the path, or answers why not. */
  const diskOf = (req: Request, p: PointRow, note: AuditNote): Promise<OpenedPointDisk> => {
    const raw = req.params['disk'];
    if (typeof raw !== 'string' || !DISK_NUMBER.test(raw)) throw new ValidationError('disk must be a disk number of the restore point', { field: 'disk' });
    return openDisk(p, Number(raw), note, requestContext(req).signal, sourced.get(req) ?? points);
  };
  const openDisk = (p: PointRow, disk: number, note: AuditNote, signal: AbortSignal, from: PointsService = points): Promise<OpenedPointDisk> => {
    note({ pointId: p.id, disk, ...(from === points ? {} : { source: 'object-storage' }) });
    return from.openDisk(p, disk, signal);
  };

  /** Writes the audit record of a ticket's download once its response has ended, however it ended. */
  const auditDownload = (res: Response, grant: DownloadGrant, requestId: string, details: AuditDetails, failure: () => unknown) => {
    let written = false;
    return () => {
      if (written) return;
      written = true;
      const status = res.statusCode;
      const failed = status >= 400 || !res.writableFinished;
      const err = failure();
      try {
        svc.audit.append({
          user: grant.user,
          vcenterGuid: grant.vcenterGuid,
          action: 'point.export',
          object: auditObjectOf(grant.pointId) ?? `point:${grant.pointId}`,
          outcome: failed ? 'failure' : 'success',
          status,
          errorCode: failed ? (err !== null ? toProblem(err, requestId).code : res.writableFinished ? `http-${status}` : 'client-closed') : null,
          requestId,
          details,
        });
      } catch (e) {
        log.error('audit record not written', { requestId, action: 'point.export', error: describeError(e) });
      }
    };
  };

  router.get('/points/:pointId/disks/:disk/raw', auditExport, onPoint(PRIVILEGES.restore, [], true), async (req, res) => {
    const p = pointOf(req);
    const note = noteOf(req);
    await sendRaw(exporting, req, res, p, await diskOf(req, p, note), note);
  });

  router.get('/points/:pointId/disks/:disk/vmdk', auditExport, onPoint(PRIVILEGES.restore, [], true), async (req, res) => {
    const p = pointOf(req);
    const note = noteOf(req);
    await sendVmdk(exporting, req, res, p, await diskOf(req, p, note), note);
  });

  /**
   * A ticket for one export, for a browser to download without the session header. Checked like
   * the export itself (Restore on the point's VM), and the disk must exist: a ticket is only ever
   * issued for something its user could download now.
   */
  router.post('/points/:pointId/disks/:disk/download', auditTicket, onPoint(PRIVILEGES.restore), async (req, res) => {
    const p = pointOf(req);
    const note = noteOf(req);
    const format = formatAsked(req.body);
    note({ format });
    const disk = await diskOf(req, p, note);
    const { session, vcenter } = authorizedCall<S>(req);
    // Each use of the link checks Restore again with this user's session (kept only in the closure).
    const token = req.get(SESSION_HEADER)?.trim() ?? '';
    const vm = vmOfPoint(p);
    const entity: MoRef | null = vm ? { type: 'VirtualMachine', value: vm.moref } : null;
    const recheck = (signal: AbortSignal) => auth.recheck(vcenter.guid, token, entity, [PRIVILEGES.restore], signal);
    const issued = tickets.issue({ pointId: p.id, disk: disk.disk, format, user: session.userName, vcenterGuid: vcenter.guid, recheck });
    note({ downloadId: issued.label });
    log.info('download ticket issued', { requestId: requestContext(req).id, downloadId: issued.label, pointId: p.id, disk: disk.disk, format });
    res.status(201).json({
      url: `${req.baseUrl}/downloads/${issued.ticket}`,
      expiresAt: new Date(issued.expiresAt).toISOString(),
      resumableForSeconds: RESUME_MS / 1000,
    });
  });

  /**
   * The download a ticket names. No session: the ticket is the proof, and the user who asked for
   * it is the one the audit record names. Unknown and expired tickets alike are a plain 404.
   */
  router.get('/downloads/:ticket', async (req, res) => {
    const { id: requestId, signal } = requestContext(req);
    const redeemed = tickets.redeem(ticketOf(req));
    if (!redeemed) throw new NotFoundError('This download link is unknown or has expired. Start the download again from Lifeline.');
    const { grant, label } = redeemed;
    const details: AuditDetails = { downloadId: label, pointId: grant.pointId, disk: grant.disk, format: grant.format };
    const note: AuditNote = (more) => Object.assign(details, more);
    let failure: unknown = null;
    const write = auditDownload(res, grant, requestId, details, () => failure);
    res.once('finish', write);
    res.once('close', write);
    log.info('download ticket used', { requestId, downloadId: label, first: redeemed.first, pointId: grant.pointId, disk: grant.disk, format: grant.format });
    try {
      try {
        await grant.recheck?.(signal);
      } catch (err) {
        // The session that asked for the link has ended: the link has ended with it.
        if (err instanceof AuthenticationError) throw new NotFoundError('This download link ended with the vCenter session that made it. Start the download again from Lifeline.');
        throw err;
      }
      const p = points.find(grant.pointId);
      if (!p) throw new NotFoundError(`restore point ${grant.pointId} no longer exists`, { pointId: grant.pointId });
      const disk = await openDisk(p, grant.disk, note, signal);
      await (grant.format === 'raw' ? sendRaw : sendVmdk)(exporting, req, res, p, disk, note);
    } catch (err) {
      failure = err;
      throw err;
    }
  });

  return router;
}
