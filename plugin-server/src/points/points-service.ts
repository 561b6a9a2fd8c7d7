/**
 * What the API asks of restore points. A point's catalog row is believed only once its sealed
 * manifest agrees with it (an altered row is refused with 'catalog-integrity', and left out of
 * its VM's list). Deleting a point is refused, leaving it as it was, before its retain-until
 * (409 retention-locked; no one can override it), while anything reads it (an export, a download,
 * a restore or retention job: 409 point-in-use), while it is the base of a backup in flight, and
 * during repository maintenance (503 repository-busy); its chunks go with the next garbage
 * collection. Keeping a point longer is a 'retention' job (a lock per chunk, which cannot be
 * undone): never shorter (409 retention-shorten-refused), beyond the VM's policy's immutability
 * period (7 days for a VM no policy protects) only as the caller's authorisation allows, not
 * beside another retention job of the VM, not during maintenance. The routes parse, authorise, call
 * this and answer (docs/architecture.md).
 */
import type { DiskRow, PointRow } from '../catalog/index.js';
import { isPointId, parseVmKey, vmKey, vmTarget, type Clock, type VmRef } from '../domain/index.js';
import { LifelineError, NotFoundError, ValidationError } from '../errors/index.js';
import { openPointDisk, type OpenedPointDisk } from '../export/index.js';
import type { JobRecord, JobRunner, JobStore, SubmitResult } from '../jobs/index.js';
import type { Logger } from '../log/index.js';
import { BACKUP_JOB_KIND, MAINTENANCE_JOB_KIND, MAX_RETENTION_YEARS, RETENTION_JOB_KIND, type PolicyStore, type RetentionParams } from '../protection/index.js';
import { isStoreError, StoreError, type Repository } from '../store/index.js';
import { ManifestSummaries, type ManifestSummary } from './manifest-summaries.js';
import { jobOnPoint, type PointReaders } from './point-readers.js';

/** Backup jobs looked through to find the job that made each point. */
const JOBS_SCANNED = 500;
/** Manifests read at once for a page of points. */
const MANIFEST_READS = 8;
/** What a policy's immutabilityDays is by default, applied to a VM that no policy protects. */
const UNPROTECTED_IMMUTABILITY_DAYS = 7;
const DAY_MS = 86_400_000;

/** The vCenter VM a point belongs to, or null for a point made outside vCenter. */
export function vmOfPoint(point: Pick<PointRow, 'vmId'>): VmRef | null {
  return parseVmKey(point.vmId);
}

export interface PointsServiceOptions {
  /** The backup repository; null when the server has none (then no point exists). */
  readonly repository: Repository | null;
  /** The job records: which backup made a point, which jobs hold one now. */
  readonly jobs: Pick<JobStore, 'list' | 'listActive'>;
  /** Where retention jobs are submitted. */
  readonly runner: Pick<JobRunner, 'submit' | 'hasHandler'>;
  readonly policies: Pick<PolicyStore, 'getProtection' | 'getPolicy'>;
  /** Points exports and downloads are reading right now. */
  readonly readers: PointReaders;
  readonly clock: Clock;
  readonly log: Logger;
  /** The copy on object storage, when the server keeps one: which points it holds, until when. */
  readonly objectStorageCopy?: (pointId: string) => { retainUntil: number } | null;
  /** The copy on object storage itself, for listing and exporting the points it holds; absent or null when the server has none. */
  readonly objectCopy?: {
    /** Opens it when not open yet. */
    open(signal: AbortSignal): Promise<Repository>;
    /** The copy once open, else null. */
    opened(): Repository | null;
  } | null;
  /**
   * Builds the same service over the copy's repository (the composition root constructs it, as it
   * does every service); `held` tells which of the copy's points it keeps, until when.
   */
  readonly viewOver?: (repository: Repository, held: (pointId: string) => { retainUntil: number } | null) => PointsService;
}

/** A point with what the API shows of it. */
export interface PointDetails {
  readonly point: PointRow;
  readonly disks: readonly DiskRow[];
  /** What its sealed manifest says; null when it cannot be read. */
  readonly summary: ManifestSummary | null;
  /** The backup job that made it, while the job store still keeps that job. */
  readonly jobId: string | null;
  /** Its copy on object storage, or null when there is none. */
  readonly objectStorageCopy: { retainUntil: number } | null;
}

/** How far Protect alone may lock a VM's point, and why. */
export interface ProtectCeiling {
  readonly until: number;
  readonly days: number;
  readonly why: string;
}

export class PointsService {
  private readonly manifests: ManifestSummaries;

  constructor(private readonly o: PointsServiceOptions) {
    this.manifests = new ManifestSummaries(o.log);
  }

  get repository(): Repository | null {
    return this.o.repository;
  }

  /**
   * The same service over the copy on object storage: its points (also those pruned locally)
   * listed, shown and exported as the local store's are. Read only: deleting and retaining act on
   * the local store.
   */
  async onObjectStorage(signal: AbortSignal): Promise<PointsService> {
    const copy = this.o.objectCopy;
    if (!copy) throw new ValidationError("source 'object-storage': this Lifeline server keeps no copies on object storage (copyS3 in lifeline.json)", { field: 'source' });
    return this.viewOf(await copy.open(signal));
  }

  /** onObjectStorage's answer if the copy is open now, else null. */
  openedOnObjectStorage(): PointsService | null {
    const repo = this.o.objectCopy?.opened();
    return repo ? this.viewOf(repo) : null;
  }

  private copyView: PointsService | undefined;
  private viewOf(repo: Repository): PointsService {
    if (this.copyView?.repository !== repo) {
      const held = (id: string) => {
        const p = repo.catalog.getPoint(id);
        return p?.state === 'committed' ? { retainUntil: p.retainUntil } : null;
      };
      if (!this.o.viewOver) throw new Error('PointsService: a copy on object storage needs viewOver');
      this.copyView = this.o.viewOver(repo, held);
    }
    return this.copyView;
  }

  /** A committed point by id; undefined for anything else (no store, not an id, unknown, not committed). */
  find(id: unknown): PointRow | undefined {
    const repo = this.o.repository;
    if (!repo || typeof id !== 'string' || !isPointId(id)) return undefined;
    const p = repo.catalog.getPoint(id);
    return p && p.state === 'committed' ? p : undefined;
  }

  /**
   * The point's catalog row once its sealed manifest vouches for it ('catalog-integrity' when it
   * does not): which VM a point is of decides who may use it.
   */
  async authentic(p: PointRow, signal: AbortSignal): Promise<PointRow> {
    try {
      return (await this.requireRepository().authenticPoint(p.id, signal)).point;
    } catch (err) {
      if (isStoreError(err, 'point-not-found')) throw new NotFoundError(`restore point ${p.id} does not exist`, { pointId: p.id });
      throw err;
    }
  }

  /**
   * A page of a VM's points, newest first. A row the catalog files under this VM but whose sealed
   * manifest names another VM was altered: it is left out (and logged), never shown as this VM's.
   */
  async vmPoints(vm: VmRef, page: { offset: number; limit: number }, signal: AbortSignal): Promise<{ items: PointDetails[]; total: number }> {
    const repo = this.o.repository;
    if (!repo) return { items: [], total: 0 };
    const { items, total } = repo.catalog.listVmPoints(vmKey(vm), page);
    const jobs = this.jobsByPoint(vm);
    const summaries = new Map<string, ManifestSummary | null>();
    for (let i = 0; i < items.length; i += MANIFEST_READS) {
      const batch = items.slice(i, i + MANIFEST_READS);
      const got = await Promise.all(batch.map((p) => this.manifests.get(repo, p.id, signal)));
      batch.forEach((p, j) => summaries.set(p.id, got[j] ?? null));
    }
    const listed = items.filter((p) => {
      const summary = summaries.get(p.id);
      if (!summary || summary.vmId === p.vmId) return true;
      this.o.log.error('catalog row disagrees with the sealed manifest; the point is not listed', { pointId: p.id, field: 'vm_id' });
      return false;
    });
    return {
      items: listed.map((p) => ({ point: p, disks: repo.catalog.pointDisks(p.id), summary: summaries.get(p.id) ?? null, jobId: jobs.get(p.id) ?? null, objectStorageCopy: this.copyOf(p.id) })),
      total,
    };
  }

  /** One point with what its manifest says. */
  async details(p: PointRow, signal: AbortSignal): Promise<PointDetails> {
    const repo = this.requireRepository();
    const summary = await this.manifests.get(repo, p.id, signal);
    return { point: p, disks: repo.catalog.pointDisks(p.id), summary, jobId: this.jobsByPoint(vmOfPoint(p)).get(p.id) ?? null, objectStorageCopy: this.copyOf(p.id) };
  }

  private copyOf(pointId: string): { retainUntil: number } | null {
    return this.o.objectStorageCopy?.(pointId) ?? null;
  }

  /** Whether a point's retain-until is still ahead: no one may delete it yet. */
  locked(p: PointRow): boolean {
    return p.retainUntil > this.o.clock.now();
  }

  /** Opens one disk of a point for export. */
  async openDisk(p: PointRow, disk: number, signal: AbortSignal): Promise<OpenedPointDisk> {
    try {
      return await openPointDisk(this.requireRepository(), p.id, disk, signal);
    } catch (err) {
      if (isStoreError(err, 'point-not-found')) throw new NotFoundError(`restore point ${p.id} has no disk ${disk}`, { pointId: p.id, disk });
      throw err;
    }
  }

  /** Marks a point as being read until the returned function is called: maintenance leaves its VM alone. */
  hold(pointId: string): () => void {
    return this.o.readers.hold(pointId);
  }

  /**
   * Throws why the point cannot be deleted now: maintenance runs (503 repository-busy), a job
   * works on it, or an export or download reads it (409 point-in-use). Its retain-until is the
   * repository's to enforce, at the deletion itself.
   */
  assertDeletable(p: PointRow): void {
    const active = this.o.jobs.listActive();
    refuseDuringMaintenance(active, 'delete the restore point');
    const job = jobOnPoint(active, p.id);
    if (job) throw new LifelineError('point-in-use', `restore point ${p.id} is in use by ${job.kind} job ${job.id}`, { pointId: p.id, jobId: job.id });
    if (this.o.readers.busy().has(p.id)) throw new LifelineError('point-in-use', `restore point ${p.id} is being exported or downloaded, or is published over NFS (instant recovery)`, { pointId: p.id });
  }

  /** Deletes a point (its manifest and indexes; its chunks go with the next garbage collection). */
  async delete(p: PointRow, signal: AbortSignal): Promise<void> {
    this.assertDeletable(p);
    await this.requireRepository().deletePoint(p.id, signal);
  }

  /** Throws 'backup-unavailable' when this server cannot run retention jobs (it has no store). */
  assertRetentionAvailable(): void {
    if (!this.o.runner.hasHandler(RETENTION_JOB_KIND)) throw new LifelineError('backup-unavailable', 'This Lifeline server cannot change retention: it has no backup store.');
  }

  /**
   * Keeps a point until `until` with a 'retention' job. Never shorter than it is kept now, at
   * most MAX_RETENTION_YEARS ahead, beyond the VM's policy's immutability period only when
   * `beyondProtect` (the caller's authorisation: Lifeline's Admin) does not throw, not during
   * maintenance, and not while another retention job of the VM runs (unless that one asks at least
   * as much for the same point).
   */
  retain(p: PointRow, until: number, by: { readonly user: string; readonly beyondProtect: (ceiling: ProtectCeiling) => void }): SubmitResult {
    this.assertRetentionAvailable();
    const latest = this.o.clock.now() + MAX_RETENTION_YEARS * 366 * DAY_MS;
    if (until > latest) throw new ValidationError(`retainUntil may be at most ${MAX_RETENTION_YEARS} years ahead`, { field: 'retainUntil' });
    if (until < p.retainUntil) {
      throw new StoreError('retention-shorten-refused', `restore point ${p.id} is kept until ${new Date(p.retainUntil).toISOString()}; retention can be extended, never shortened`, {
        pointId: p.id,
        retainUntil: new Date(p.retainUntil).toISOString(),
      });
    }
    const vm = vmOfPoint(p);
    const ceiling = this.protectCeiling(vm);
    if (until > ceiling.until) by.beyondProtect(ceiling);
    // Maintenance may be about to prune the point by its policy: keep it longer once it is done.
    refuseDuringMaintenance(this.o.jobs.listActive(), 'keep the restore point longer');
    const params: RetentionParams = { pointId: p.id, retainUntil: until, requestedBy: by.user };
    const target = vm ? vmTarget(vm) : { type: 'repository', id: 'store', vcenterGuid: null };
    const submitted = this.o.runner.submit({ kind: RETENTION_JOB_KIND, target, params, requestedBy: by.user });
    if (!submitted.created) {
      // One retention job per VM at a time; the one running is returned only if it asks as much.
      const { job } = submitted;
      const running = job.params as Partial<RetentionParams> | null;
      if (running?.pointId !== p.id || (running.retainUntil ?? 0) < until) {
        throw new LifelineError('point-in-use', `retention job ${job.id} of this VM is still running; try again when it has ended`, { jobId: job.id });
      }
    }
    return submitted;
  }

  /** How far Protect alone may lock a VM's point: its policy's immutability period from now. */
  protectCeiling(vm: VmRef | null): ProtectCeiling {
    const protection = vm ? this.o.policies.getProtection(vm) : undefined;
    let policy: { name: string; immutabilityDays: number } | undefined;
    try {
      policy = protection ? this.o.policies.getPolicy(protection.policyId) : undefined;
    } catch {
      // A policy that cannot be read leaves the VM with the default period, as an unprotected one.
      policy = undefined;
    }
    const days = policy?.immutabilityDays ?? UNPROTECTED_IMMUTABILITY_DAYS;
    const why = policy ? `the immutability period of policy ${policy.name}` : 'the immutability period of a VM no policy protects';
    return { until: this.o.clock.now() + days * DAY_MS, days, why };
  }

  /** Which backup job made each of a VM's points, from the jobs the job store still keeps. */
  private jobsByPoint(vm: VmRef | null): Map<string, string> {
    const out = new Map<string, string>();
    if (!vm) return out;
    const { items } = this.o.jobs.list({ target: vmTarget(vm), kind: BACKUP_JOB_KIND, states: ['succeeded'], limit: JOBS_SCANNED });
    for (const job of items) {
      const pointId = typeof job.result === 'object' && job.result !== null ? (job.result as Record<string, unknown>)['pointId'] : undefined;
      if (typeof pointId === 'string') out.set(pointId, job.id);
    }
    return out;
  }

  private requireRepository(): Repository {
    const repo = this.o.repository;
    if (!repo) throw new NotFoundError('This Lifeline server has no backup store.');
    return repo;
  }
}

/** Deleting a point or keeping it longer waits for a maintenance run, which prunes and collects. */
function refuseDuringMaintenance(active: readonly JobRecord[], what: string): void {
  const maintenance = active.find((j) => j.kind === MAINTENANCE_JOB_KIND);
  if (maintenance) {
    throw new LifelineError('repository-busy', `repository maintenance is running (job ${maintenance.id}); ${what} once it has finished`, { jobId: maintenance.id });
  }
}
