/**
 * Restore points, read-only, and the export of their disks:
 *
 *   GET /vms/{vmId}/points                      a VM's points, newest first, paged (System.Read on the VM)
 *   GET /points/{id}                            one point with its stored VM configuration (System.Read)
 *   GET /points/{id}/disks/{n}/raw              the disk's raw image; single byte ranges (Restore)
 *   GET /points/{id}/disks/{n}/vmdk             the disk as a stream-optimized VMDK (Restore)
 *   POST /points/{id}/disks/{n}/download        a download ticket for one of those (Restore)
 *   GET /downloads/{ticket}                     the export the ticket names, without a session
 *   DELETE /points/{id}                         deletes a point past its retain-until (Admin)
 *   POST /points/{id}/retention                 keeps a point longer: a 'retention' job (Protect)
 *
 * Privileges are checked on the VM the point belongs to, as its sealed manifest names it: the
 * catalog row is only believed once the manifest agrees with it (a row altered in the catalog file
 * is refused with 'catalog-integrity' and never served). A point whose VM is not a vCenter VM
 * (made from image files with the command line) is checked on the inventory root. Downloading a
 * disk's bytes is a restore, so it needs Lifeline's Restore privilege, and it is audited.
 *
 * Deleting a point needs Lifeline's Admin privilege and is audited. It is refused, leaving the
 * point as it was, before the point's retain-until (409 retention-locked with the time it will be
 * allowed; no one can override it), while anything reads the point (an export, a download, a
 * restore job: 409 point-in-use), while it is the base of a backup in flight, and while repository
 * maintenance runs (503 repository-busy). The point's manifest and indexes go at once; the chunks
 * only it used are removed by the next garbage collection.
 *
 * Keeping a point longer needs Lifeline's Protect privilege, is audited, and runs as a 'retention'
 * job (a lock per chunk). A lock cannot be undone, so Protect reaches only as far as the VM's policy
 * makes points immutable anyway (its immutabilityDays from now; 7 days for a VM no policy
 * protects); further needs Lifeline's Admin privilege (403 naming the furthest time Protect allows). It is refused for an earlier time (409 retention-shorten-refused), while
 * another retention job of the VM runs (409 point-in-use), and while maintenance runs (503
 * repository-busy), which might be pruning that very point by its policy.
 *
 * An export streams as the chunks are read and verified. A damaged point (a chunk corrupt or
 * missing) is answered with a problem naming the point, the disk and the chunk while no header
 * has gone out — the first read-ahead window is verified before the first byte — and otherwise
 * the connection is torn down, so that no client takes a truncated image for a whole one.
 *
 * A browser cannot send the session header with a download, so the UI asks for a ticket (see
 * download-tickets.ts) with the header, then lets the browser follow the ticket's URL. The ticket
 * is checked and audited as the export itself is; the download it serves runs the same code as the
 * two export routes and is audited as `point.export` in the name of the user who asked for it.
 */
import { Router, type Request, type Response } from 'express';
import { LifelineError, NotFoundError, ValidationError, describeError } from '../../errors/index.js';
import {
  exportFileName,
  exportRaw,
  exportStreamOptimizedVmdk,
  isDamagedPointError,
  openPointDisk,
  type ByteSink,
  type ExportRange,
  type OpenedPointDisk,
} from '../../export/index.js';
import type { JobRecord } from '../../jobs/index.js';
import type { Logger } from '../../log/index.js';
import { BACKUP_JOB_KIND, MAINTENANCE_JOB_KIND, MAX_RETENTION_YEARS, RETENTION_JOB_KIND, type RetentionParams } from '../../protection/index.js';
import type { DiskRow, PointRow } from '../../catalog/index.js';
import { isStoreError, StoreError, type Repository } from '../../store/index.js';
import { isPointId, parseVmKey, vmKey, vmTarget, type VmRef } from '../../domain/index.js';
import { audited, noteAudit } from '../audit/audited.js';
import { authorizedCall, SESSION_HEADER, type Authorizer } from '../auth/authorize.js';
import { AuthenticationError, type MoRef, type UserSession } from '../auth/ports.js';
import { DownloadTickets, EXPORT_FORMATS, RESUME_MS, ticketOf, type DownloadGrant, type ExportFormat } from '../download-tickets.js';
import { PROBLEM_CONTENT_TYPE, toProblem, type Problem } from '../problem.js';
import { jobOnPoint } from '../point-readers.js';
import { PRIVILEGES, READ_PRIVILEGE } from '../privileges.js';
import { requestContext } from '../request-context.js';
import type { ApiServices } from './api-services.js';
import { pageOf } from './paging.js';
import { parseVmId, vmObject, vmUrn } from './vm-id.js';

const DISK_NUMBER = /^\d{1,9}$/;
/** An ISO-8601 time with a date, a time and a zone, as JSON dates are written. */
const ISO_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:\d{2})$/;
/** Backup jobs looked through to find the job that made each point. */
const JOBS_SCANNED = 500;
/** Summaries of manifests kept in memory; a manifest never changes once its point exists. */
const MANIFEST_CACHE = 2000;
const MANIFEST_READS = 8;
/** What a policy's immutabilityDays is by default, applied to a VM that no policy protects. */
const UNPROTECTED_IMMUTABILITY_DAYS = 7;

/** The vCenter VM a point belongs to, or null for a point made outside vCenter. */
export function vmOfPoint(point: Pick<PointRow, 'vmId'>): VmRef | null {
  return parseVmKey(point.vmId);
}

interface ConfigurationView {
  readonly cpus: number | null;
  readonly memoryBytes: number | null;
  readonly guestOs: string | null;
  readonly guestId: string | null;
  readonly networks: ReadonlyArray<{ label: string | null; network: string | null; adapterType: string | null; macAddress: string | null }>;
}

interface ManifestSummary {
  /** The VM the sealed manifest says the point is of (the catalog's key). */
  readonly vmId: string;
  /** Datastore path of each disk's backing file, by disk number. */
  readonly datastorePaths: ReadonlyMap<number, string>;
  readonly configuration: ConfigurationView;
}

const str = (v: unknown): string | null => (typeof v === 'string' && v !== '' ? v : null);
const num = (v: unknown): number | null => (typeof v === 'number' && Number.isFinite(v) ? v : null);
const records = (v: unknown): Array<Record<string, unknown>> =>
  Array.isArray(v) ? v.filter((x): x is Record<string, unknown> => typeof x === 'object' && x !== null) : [];

/** What the API shows of a stored VM configuration (see the backup pipeline's vmConfig). */
function summarize(vmId: string, config: Record<string, unknown>): ManifestSummary {
  const datastorePaths = new Map<number, string>();
  for (const d of records(config['disks'])) {
    const key = num(d['key']);
    const file = str(d['fileName']);
    if (key !== null && file !== null) datastorePaths.set(key, file);
  }
  const memoryMiB = num(config['memoryMiB']);
  return {
    vmId,
    datastorePaths,
    configuration: {
      cpus: num(config['cpus']),
      memoryBytes: memoryMiB === null ? null : memoryMiB * 1024 * 1024,
      guestOs: str(config['guestOs']),
      guestId: str(config['guestId']),
      networks: records(config['nics']).map((n) => {
        const network = typeof n['network'] === 'object' && n['network'] !== null ? (n['network'] as Record<string, unknown>) : {};
        return { label: str(n['label']), network: str(network['name']), adapterType: str(n['type']), macAddress: str(n['macAddress']) };
      }),
    },
  };
}

/** Manifest summaries by point id, least recently used dropped first. */
class ManifestSummaries {
  private readonly cache = new Map<string, ManifestSummary>();

  constructor(private readonly log: Logger) {}

  /** The summary, or null when the manifest cannot be read (logged: the point is then suspect). */
  async get(repo: Repository, pointId: string, signal: AbortSignal): Promise<ManifestSummary | null> {
    const hit = this.cache.get(pointId);
    if (hit) {
      this.cache.delete(pointId);
      this.cache.set(pointId, hit);
      return hit;
    }
    let summary: ManifestSummary;
    try {
      const manifest = await repo.readManifest(pointId, signal);
      summary = summarize(manifest.vm.id, manifest.vm.config);
    } catch (err) {
      if (signal.aborted) throw err;
      this.log.warn('restore point manifest unreadable', { pointId, error: describeError(err) });
      return null;
    }
    this.cache.set(pointId, summary);
    if (this.cache.size > MANIFEST_CACHE) this.cache.delete(this.cache.keys().next().value as string);
    return summary;
  }
}

/** The single byte range a Range header asks for; 'ignore' to send the whole disk. */
type RangeAsk = { kind: 'ignore' } | { kind: 'range'; range: ExportRange } | { kind: 'unsatisfiable'; why: string };

/**
 * Reads `Range: bytes=a-b | a- | -n` (RFC 9110 §14). Other units are ignored, as the RFC says;
 * several ranges are refused rather than answered with the whole disk, which a client asking for
 * pieces rarely wants. `If-Range` with another validator means the client's copy is stale: the
 * whole disk then.
 */
export function rangeAsked(header: string | undefined, ifRange: string | undefined, etag: string, size: number): RangeAsk {
  if (header === undefined) return { kind: 'ignore' };
  const h = header.trim();
  if (!/^bytes=/i.test(h)) return { kind: 'ignore' };
  if (ifRange !== undefined && ifRange.trim() !== etag) return { kind: 'ignore' };
  const spec = h.slice(6).trim();
  if (spec.includes(',')) return { kind: 'unsatisfiable', why: 'only a single byte range can be asked for' };
  const m = /^(\d*)-(\d*)$/.exec(spec);
  if (!m || (m[1] === '' && m[2] === '')) return { kind: 'unsatisfiable', why: `the range ${spec} is not of the form first-last, first- or -suffix` };
  if (m[1] === '') {
    const suffix = Number(m[2]);
    if (suffix === 0 || size === 0) return { kind: 'unsatisfiable', why: 'an empty suffix range selects nothing' };
    return { kind: 'range', range: { start: Math.max(0, size - suffix), end: size } };
  }
  const start = Number(m[1]);
  const last = m[2] === '' ? size - 1 : Math.min(Number(m[2]), size - 1);
  if (!Number.isSafeInteger(start) || start >= size) return { kind: 'unsatisfiable', why: `the range starts at ${m[1]}, beyond the disk's ${size} bytes` };
  if (last < start) return { kind: 'unsatisfiable', why: `the range ${spec} ends before it starts` };
  return { kind: 'range', range: { start, end: last + 1 } };
}

/** A response as an export's byte sink: headers go out with the first byte, writes wait for the socket. */
class ResponseSink implements ByteSink {
  private begun = false;

  constructor(
    private readonly res: Response,
    private readonly begin: () => void,
  ) {}

  get started(): boolean {
    return this.begun;
  }

  start(): void {
    if (this.begun) return;
    this.begun = true;
    this.begin();
  }

  write(data: Uint8Array, signal: AbortSignal): Promise<void> {
    this.start();
    return new Promise<void>((resolve, reject) => {
      if (signal.aborted) {
        reject(signal.reason);
        return;
      }
      const onAbort = () => reject(signal.reason);
      signal.addEventListener('abort', onAbort, { once: true });
      // The callback runs once the socket has taken the bytes: only then may the buffer be reused.
      this.res.write(data, (err) => {
        signal.removeEventListener('abort', onAbort);
        if (err) reject(err);
        else resolve();
      });
    });
  }
}

type AuditDetails = Record<string, string | number | boolean | null>;
/** Adds details to the audit record of the request being served. */
type AuditNote = (details: AuditDetails) => void;

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

function contentDisposition(fileName: string): string {
  return `attachment; filename="${fileName}"`;
}

export function pointRoutes<S extends UserSession>(auth: Authorizer<S>, svc: ApiServices): Router {
  const router = Router();
  const log = svc.log.child({ component: 'points' });
  const manifests = new ManifestSummaries(log);
  const repository = (): Repository | null => svc.repository ?? null;

  const findPoint = (id: unknown): PointRow | undefined => {
    const repo = repository();
    if (!repo || typeof id !== 'string' || !isPointId(id)) return undefined;
    const p = repo.catalog.getPoint(id);
    return p && p.state === 'committed' ? p : undefined;
  };
  /** Points of requests whose catalog row their manifest vouched for (see onPoint's prepare). */
  const authentic = new WeakMap<Request, PointRow>();
  const pointOf = (req: Request): PointRow => {
    const checked = authentic.get(req);
    if (checked) return checked;
    const id = req.params['pointId'];
    if (typeof id !== 'string' || !isPointId(id)) throw new ValidationError('pointId must be a restore point id such as 20250102-030405-1a2b3c4d', { field: 'pointId' });
    const p = findPoint(id);
    if (!p) throw new NotFoundError(`restore point ${id} does not exist`, { pointId: id });
    return p;
  };
  const onVm = (privilege: string) =>
    auth.require({
      privileges: [privilege],
      entity: (req) => ({ type: 'VirtualMachine', value: parseVmId(req.params['vmId']).moref }),
      vcenterGuid: (req) => parseVmId(req.params['vmId']).vcenterGuid,
    });
  const onPoint = (privilege: string, alsoAsk: readonly string[] = []) =>
    auth.require({
      alsoAsk,
      prepare: async (req, signal) => {
        const p = pointOf(req);
        try {
          authentic.set(req, (await (repository() as Repository).authenticPoint(p.id, signal)).point);
        } catch (err) {
          if (isStoreError(err, 'point-not-found')) throw new NotFoundError(`restore point ${p.id} does not exist`, { pointId: p.id });
          throw err;
        }
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
        const p = findPoint(req.params['pointId']);
        return p ? (vmOfPoint(p)?.vcenterGuid ?? null) : null;
      },
    });
  const auditObjectOf = (pointId: unknown): string | null => {
    const p = findPoint(pointId);
    const vm = p ? vmOfPoint(p) : null;
    return vm ? vmObject(vm.moref, vm.vcenterGuid) : p ? `point:${p.id}` : null;
  };
  const auditExport = audited(svc.audit, svc.log, 'point.export', (params) => auditObjectOf(params['pointId']));
  const auditTicket = audited(svc.audit, svc.log, 'point.export-ticket', (params) => auditObjectOf(params['pointId']));
  const noteOf = (req: Request): AuditNote => (details) => noteAudit(req, { details });
  const tickets = new DownloadTickets(svc.clock);
  // Tickets are promises made by this process only; none outlives it.
  svc.shutdown.addEventListener('abort', () => tickets.clear(), { once: true });

  /** Which backup job made each of a VM's points, from the jobs the runner still keeps. */
  const jobsByPoint = (vm: VmRef | null): Map<string, string> => {
    const out = new Map<string, string>();
    if (!vm) return out;
    const { items } = svc.runner.list({ target: vmTarget(vm), kind: BACKUP_JOB_KIND, states: ['succeeded'], limit: JOBS_SCANNED });
    for (const job of items) {
      const pointId = typeof job.result === 'object' && job.result !== null ? (job.result as Record<string, unknown>)['pointId'] : undefined;
      if (typeof pointId === 'string') out.set(pointId, job.id);
    }
    return out;
  };

  const itemView = (p: PointRow, disks: readonly DiskRow[], summary: ManifestSummary | null, jobId: string | null) => {
    const vm = vmOfPoint(p);
    return {
      id: p.id,
      vm: { id: vm ? vmUrn(vm.moref, vm.vcenterGuid) : null, name: p.vmName, moref: vm?.moref ?? null, vcenterGuid: vm?.vcenterGuid ?? null },
      createdAt: new Date(p.createdAt).toISOString(),
      consistency: p.consistency,
      retainUntil: new Date(p.retainUntil).toISOString(),
      locked: p.retainUntil > svc.clock.now(),
      damaged: p.damaged,
      logicalBytes: p.logicalBytes,
      newBytes: p.newStoredBytes,
      disks: disks.map((d) => ({ index: d.disk, label: d.label, capacityBytes: d.capacity, datastorePath: summary?.datastorePaths.get(d.disk) ?? null })),
      jobId,
    };
  };

  router.get('/vms/:vmId/points', onVm(READ_PRIVILEGE), async (req, res) => {
    const page = pageOf(req);
    const repo = repository();
    const vm: VmRef = { vcenterGuid: authorizedCall<S>(req).vcenter.guid, moref: parseVmId(req.params['vmId']).moref };
    if (!repo) {
      res.json({ items: [], total: 0, ...page });
      return;
    }
    const { signal } = requestContext(req);
    const { items, total } = repo.catalog.listVmPoints(vmKey(vm), page);
    const jobs = jobsByPoint(vm);
    const summaries = new Map<string, ManifestSummary | null>();
    for (let i = 0; i < items.length; i += MANIFEST_READS) {
      const batch = items.slice(i, i + MANIFEST_READS);
      const got = await Promise.all(batch.map((p) => manifests.get(repo, p.id, signal)));
      batch.forEach((p, j) => summaries.set(p.id, got[j] ?? null));
    }
    // A row the catalog files under this VM but whose sealed manifest names another VM was altered:
    // it is left out (and logged), never shown as this VM's.
    const listed = items.filter((p) => {
      const summary = summaries.get(p.id);
      if (!summary || summary.vmId === p.vmId) return true;
      log.error('catalog row disagrees with the sealed manifest; the point is not listed', { pointId: p.id, field: 'vm_id' });
      return false;
    });
    res.json({
      items: listed.map((p) => itemView(p, repo.catalog.pointDisks(p.id), summaries.get(p.id) ?? null, jobs.get(p.id) ?? null)),
      total,
      ...page,
    });
  });

  router.get('/points/:pointId', onPoint(READ_PRIVILEGE), async (req, res) => {
    const p = pointOf(req);
    const repo = repository() as Repository;
    const summary = await manifests.get(repo, p.id, requestContext(req).signal);
    res.json({ ...itemView(p, repo.catalog.pointDisks(p.id), summary, jobsByPoint(vmOfPoint(p)).get(p.id) ?? null), configuration: summary?.configuration ?? null });
  });

  /** Deleting a point or keeping it longer waits for a maintenance run, which prunes and collects. */
  const refuseDuringMaintenance = (active: readonly JobRecord[], what: string): void => {
    const maintenance = active.find((j) => j.kind === MAINTENANCE_JOB_KIND);
    if (maintenance) {
      throw new LifelineError('repository-busy', `repository maintenance is running (job ${maintenance.id}); ${what} once it has finished`, { jobId: maintenance.id });
    }
  };
  const auditDelete = audited(svc.audit, svc.log, 'point.delete', (params) => auditObjectOf(params['pointId']));
  router.delete('/points/:pointId', auditDelete, onPoint(PRIVILEGES.admin), async (req, res) => {
    const p = pointOf(req);
    const repo = repository() as Repository;
    const active = svc.runner.activeJobs();
    refuseDuringMaintenance(active, 'delete the restore point');
    const job = jobOnPoint(active, p.id);
    if (job) throw new LifelineError('point-in-use', `restore point ${p.id} is in use by ${job.kind} job ${job.id}`, { pointId: p.id, jobId: job.id });
    if (svc.pointReaders?.busy().has(p.id)) throw new LifelineError('point-in-use', `restore point ${p.id} is being exported or downloaded`, { pointId: p.id });
    // Named now: once deleted, the point no longer leads to its VM.
    noteAudit(req, { object: auditObjectOf(p.id) ?? `point:${p.id}`, details: { pointId: p.id, createdAt: new Date(p.createdAt).toISOString() } });
    await repo.deletePoint(p.id, requestContext(req).signal);
    res.status(204).end();
  });

  const auditRetention = audited(svc.audit, svc.log, 'point.retention', (params) => auditObjectOf(params['pointId']));
  router.post('/points/:pointId/retention', auditRetention, onPoint(PRIVILEGES.protect, [PRIVILEGES.admin]), (req, res) => {
    const p = pointOf(req);
    const vm = vmOfPoint(p);
    if (!svc.runner.hasHandler(RETENTION_JOB_KIND)) throw new LifelineError('backup-unavailable', 'This Lifeline server cannot change retention: it has no backup store.');
    const raw = (req.body as { retainUntil?: unknown } | undefined)?.retainUntil;
    const until = typeof raw === 'string' && ISO_TIME.test(raw) ? Date.parse(raw) : NaN;
    if (!Number.isFinite(until)) throw new ValidationError('retainUntil must be an ISO-8601 time, e.g. 2027-01-31T23:59:59Z', { field: 'retainUntil' });
    const latest = svc.clock.now() + MAX_RETENTION_YEARS * 366 * 86_400_000;
    if (until > latest) throw new ValidationError(`retainUntil may be at most ${MAX_RETENTION_YEARS} years ahead`, { field: 'retainUntil' });
    if (until < p.retainUntil) {
      throw new StoreError('retention-shorten-refused', `restore point ${p.id} is kept until ${new Date(p.retainUntil).toISOString()}; retention can be extended, never shortened`, {
        pointId: p.id,
        retainUntil: new Date(p.retainUntil).toISOString(),
      });
    }
    const { session, granted } = authorizedCall<S>(req);
    const ceiling = protectCeiling(vm);
    if (until > ceiling.until && granted.get(PRIVILEGES.admin) !== true) {
      throw new LifelineError(
        'forbidden',
        `keeping a restore point beyond ${ceiling.days} days from now (${ceiling.why}) needs Lifeline's Admin privilege; with Protect it can be kept until ${new Date(ceiling.until).toISOString()} at most`,
        { privilege: PRIVILEGES.admin, maxRetainUntil: new Date(ceiling.until).toISOString() },
      );
    }
    // Maintenance may be about to prune the point by its policy: keep it longer once it is done.
    refuseDuringMaintenance(svc.runner.activeJobs(), 'keep the restore point longer');
    const params: RetentionParams = { pointId: p.id, retainUntil: until, requestedBy: session.userName };
    const target = vm ? vmTarget(vm) : { type: 'repository', id: 'store', vcenterGuid: null };
    const { job, created } = svc.runner.submit({ kind: RETENTION_JOB_KIND, target, params, requestedBy: session.userName });
    if (!created) {
      // One retention job per VM at a time; the one running is returned only if it asks as much.
      const running = job.params as Partial<RetentionParams> | null;
      if (running?.pointId !== p.id || (running.retainUntil ?? 0) < until) {
        throw new LifelineError('point-in-use', `retention job ${job.id} of this VM is still running; try again when it has ended`, { jobId: job.id });
      }
    }
    noteAudit(req, { details: { pointId: p.id, retainUntil: new Date(until).toISOString(), jobId: job.id, created } });
    res.status(202).location(`${req.baseUrl}/jobs/${job.id}`).json({ job, created });
  });

  /** How far Protect alone may lock a VM's point: its policy's immutability period from now. */
  const protectCeiling = (vm: VmRef | null): { until: number; days: number; why: string } => {
    const protection = vm ? svc.policies.getProtection(vm) : undefined;
    let policy: { name: string; immutabilityDays: number } | undefined;
    try {
      policy = protection ? svc.policies.getPolicy(protection.policyId) : undefined;
    } catch {
      policy = undefined;
    }
    const days = policy?.immutabilityDays ?? UNPROTECTED_IMMUTABILITY_DAYS;
    const why = policy ? `the immutability period of policy ${policy.name}` : 'the immutability period of a VM no policy protects';
    return { until: svc.clock.now() + days * 86_400_000, days, why };
  };

  /** Opens the disk named in the path, or answers why not. */
  const diskOf = (req: Request, p: PointRow, note: AuditNote): Promise<OpenedPointDisk> => {
    const raw = req.params['disk'];
    if (typeof raw !== 'string' || !DISK_NUMBER.test(raw)) throw new ValidationError('disk must be a disk number of the restore point', { field: 'disk' });
    return openDisk(p, Number(raw), note, requestContext(req).signal);
  };
  const openDisk = async (p: PointRow, disk: number, note: AuditNote, signal: AbortSignal): Promise<OpenedPointDisk> => {
    note({ pointId: p.id, disk });
    try {
      return await openPointDisk(repository() as Repository, p.id, disk, signal);
    } catch (err) {
      if (isStoreError(err, 'point-not-found')) throw new NotFoundError(`restore point ${p.id} has no disk ${disk}`, { pointId: p.id, disk });
      throw err;
    }
  };

  /**
   * Runs an export into the response. A damaged point before the headers: a problem naming it.
   * After: the connection is destroyed. A client that went away: nothing more to do.
   */
  const stream = async (req: Request, res: Response, p: PointRow, disk: OpenedPointDisk, sink: ResponseSink, note: AuditNote, run: () => Promise<unknown>): Promise<void> => {
    const { signal, id: requestId } = requestContext(req);
    // Until the response is over, maintenance leaves this point's VM alone.
    const release = svc.pointReaders?.hold(p.id);
    res.once('close', () => release?.());
    try {
      await run();
      sink.start();
      res.end();
    } catch (err) {
      if (signal.aborted || res.destroyed) {
        // The client went away, or the server is stopping: the reads have stopped with the request.
        log.info('export aborted', { requestId, pointId: p.id, disk: disk.disk, reason: describeError(signal.reason ?? err) });
        return;
      }
      const damaged = isDamagedPointError(err) || isStoreError(err, 'index-invalid');
      if (damaged) {
        note({ failure: err.code, ...(typeof err.details['chunk'] === 'string' ? { chunk: err.details['chunk'] } : {}) });
        log.error('export stopped: the restore point is damaged', { requestId, errorId: requestId, pointId: p.id, disk: disk.disk, code: err.code, error: err.message, ...err.details });
      }
      if (!sink.started && damaged) {
        sendDamaged(res, err, requestId);
        return;
      }
      if (!sink.started) throw err;
      if (!damaged) log.error('export failed after the response started', { requestId, errorId: requestId, pointId: p.id, disk: disk.disk, error: describeError(err) });
      // A truncated body must never pass for a whole one: the connection goes, without its end.
      res.destroy(err instanceof Error ? err : new Error(describeError(err)));
    }
  };

  /** The raw image, or the byte range asked for, of an opened disk. */
  const sendRaw = async (req: Request, res: Response, p: PointRow, disk: OpenedPointDisk, note: AuditNote): Promise<void> => {
    const size = disk.capacity;
    const etag = `"${p.id}-disk${disk.disk}"`;
    const ask = rangeAsked(req.get('range'), req.get('if-range'), etag, size);
    note({ format: 'raw', ...(ask.kind === 'range' ? { rangeStart: ask.range.start, rangeEnd: ask.range.end } : {}) });
    if (ask.kind === 'unsatisfiable') {
      res.setHeader('Content-Range', `bytes */${size}`);
      res.setHeader('Accept-Ranges', 'bytes');
      sendProblemOf(res, requestContext(req).id, 416, 'range-not-satisfiable', `${ask.why}; disk ${disk.disk} of restore point ${p.id} has ${size} bytes`, { size });
      return;
    }
    const range = ask.kind === 'range' ? ask.range : { start: 0, end: size };
    const sink = new ResponseSink(res, () => {
      res.status(ask.kind === 'range' ? 206 : 200);
      res.setHeader('Content-Type', 'application/octet-stream');
      res.setHeader('Content-Length', String(range.end - range.start));
      if (ask.kind === 'range') res.setHeader('Content-Range', `bytes ${range.start}-${range.end - 1}/${size}`);
      res.setHeader('Accept-Ranges', 'bytes');
      res.setHeader('ETag', etag);
      res.setHeader('Last-Modified', new Date(p.createdAt).toUTCString());
      res.setHeader('Content-Disposition', contentDisposition(exportFileName(p.vmName, p.id, disk.disk, 'raw')));
    });
    if (req.method === 'HEAD') {
      sink.start();
      res.end();
      return;
    }
    await stream(req, res, p, disk, sink, note, () => exportRaw(disk, sink, { range, signal: requestContext(req).signal }));
  };

  /** An opened disk as a stream-optimized VMDK. */
  const sendVmdk = async (req: Request, res: Response, p: PointRow, disk: OpenedPointDisk, note: AuditNote): Promise<void> => {
    note({ format: 'vmdk' });
    const fileName = exportFileName(p.vmName, p.id, disk.disk, 'vmdk');
    const sink = new ResponseSink(res, () => {
      res.status(200);
      res.setHeader('Content-Type', 'application/octet-stream');
      // The size is known only at the end: the body is chunked, and not seekable.
      res.setHeader('Accept-Ranges', 'none');
      // Weak: the same content, but deflate's bytes may differ between zlib versions.
      res.setHeader('ETag', `W/"${p.id}-disk${disk.disk}-vmdk"`);
      res.setHeader('Last-Modified', new Date(p.createdAt).toUTCString());
      res.setHeader('Content-Disposition', contentDisposition(fileName));
    });
    if (req.method === 'HEAD') {
      sink.start();
      res.end();
      return;
    }
    await stream(req, res, p, disk, sink, note, () => exportStreamOptimizedVmdk(disk, sink, { fileName, signal: requestContext(req).signal }));
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

  router.get('/points/:pointId/disks/:disk/raw', auditExport, onPoint(PRIVILEGES.restore), async (req, res) => {
    const p = pointOf(req);
    const note = noteOf(req);
    await sendRaw(req, res, p, await diskOf(req, p, note), note);
  });

  router.get('/points/:pointId/disks/:disk/vmdk', auditExport, onPoint(PRIVILEGES.restore), async (req, res) => {
    const p = pointOf(req);
    const note = noteOf(req);
    await sendVmdk(req, res, p, await diskOf(req, p, note), note);
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
      const p = findPoint(grant.pointId);
      if (!p) throw new NotFoundError(`restore point ${grant.pointId} no longer exists`, { pointId: grant.pointId });
      const disk = await openDisk(p, grant.disk, note, signal);
      await (grant.format === 'raw' ? sendRaw : sendVmdk)(req, res, p, disk, note);
    } catch (err) {
      failure = err;
      throw err;
    }
  });

  return router;
}

function sendProblemOf(res: Response, requestId: string, status: number, code: string, detail: string, extensions: Record<string, unknown> = {}): void {
  const problem: Problem = {
    ...extensions,
    type: 'about:blank',
    title: status === 416 ? 'Range Not Satisfiable' : 'Internal Server Error',
    status,
    detail,
    instance: `urn:uuid:${requestId}`,
    code,
    ...(status >= 500 ? { errorId: requestId } : {}),
  };
  res.status(status).type(PROBLEM_CONTENT_TYPE).send(JSON.stringify(problem));
}

/**
 * A damaged point is a known condition, not an internal error whose message must stay hidden:
 * the administrator needs the chunk's id to act (verify, repair from the paired site), so the
 * detail names it.
 */
function sendDamaged(res: Response, err: LifelineError, requestId: string): void {
  const { pointId, disk, chunk, offset } = err.details;
  sendProblemOf(res, requestId, 500, err.code, err.message, { pointId, disk, ...(chunk !== undefined ? { chunk, offset } : {}) });
}
