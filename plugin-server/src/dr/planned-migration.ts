/**
 * Planned migration, the production site's (A's) part: its DR site (B) asks, over the site link,
 * for the last copy of one VM before B recovers it (docs/dr.md, "Planned migration"). A
 * `planned-migration` job at A
 *
 * 1. shuts the VM down through VMware Tools (`ShutdownGuest`) and waits for it to power off, up to
 *    the timeout the user set at B; then (or when Tools cannot shut it down) powers it off;
 * 2. takes a last backup of it (the scheduler's "back up now", so the VM's policy applies);
 * 3. replicates that point to B (the replication job, which sends only the chunks B lacks);
 * 4. marks the VM "failed over to B": the mark is shown in A's API for the VM, and the scheduler
 *    neither backs the VM up nor accepts "back up now" for it while it stands.
 *
 * A accepts the request only from its paired DR site, and only for a VM whose policy replicates to
 * that very site. A failure at 2 or 3 ends the job with the VM's power state named, and nothing is
 * marked; B, which waits for this job's end, then starts nothing. The job makes nothing to undo
 * after a crash: the VM stays powered off and unmarked, and B's wait ends with the job interrupted.
 */
import { describeError, LifelineError, NotFoundError, ValidationError } from '../errors/index.js';
import { parseVmKey, validateVmRef, vmKey, vmTarget, type Clock, type VmRef } from '../domain/index.js';
import { migrateComponent, sleep, type Database, type JobHandler, type JobRecord, type JobRunner, type Migration } from '../jobs/index.js';

export const PLANNED_MIGRATION_JOB_KIND = 'planned-migration';
/** Its own lane: the job waits for the VM's backup (default lane) and replication (their lane). */
export const PLANNED_MIGRATION_LANE = 'dr';

/** A's mark on a VM that was migrated to its DR site. */
export interface FailedOverMark {
  vm: VmRef;
  /** The DR site it was failed over to (its pairing id here) and its name. */
  siteId: string;
  siteName: string;
  /** The last point, the one the DR site recovers. */
  pointId: string;
  jobId: string;
  at: string;
}

const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    up(db) {
      db.exec(`
        CREATE TABLE dr_failed_over (
          vm_key TEXT PRIMARY KEY,
          doc TEXT NOT NULL,
          at INTEGER NOT NULL
        ) STRICT;
      `);
    },
  },
];

/** The marks, in the state database (schema component "dr-source"). */
export class SqliteFailedOverStore {
  constructor(
    private readonly db: Database,
    private readonly clock: Clock,
  ) {
    migrateComponent(db, 'dr-source', MIGRATIONS);
  }

  mark(m: Omit<FailedOverMark, 'at'>): FailedOverMark {
    const now = this.clock.now();
    const full: FailedOverMark = { ...m, at: new Date(now).toISOString() };
    this.db
      .prepare('INSERT INTO dr_failed_over (vm_key, doc, at) VALUES (?, ?, ?) ON CONFLICT (vm_key) DO UPDATE SET doc = excluded.doc, at = excluded.at')
      .run(vmKey(m.vm), JSON.stringify(full), now);
    return full;
  }

  find(vm: VmRef): FailedOverMark | undefined {
    const row = this.db.prepare('SELECT doc FROM dr_failed_over WHERE vm_key = ?').get(vmKey(vm)) as { doc: string } | undefined;
    return row ? (JSON.parse(row.doc) as FailedOverMark) : undefined;
  }

  keys(): Set<string> {
    return new Set((this.db.prepare('SELECT vm_key FROM dr_failed_over').all() as Array<{ vm_key: string }>).map((r) => r.vm_key));
  }

  clear(vm: VmRef): boolean {
    return this.db.prepare('DELETE FROM dr_failed_over WHERE vm_key = ?').run(vmKey(vm)).changes > 0;
  }
}

/** What a planned migration asks of A's vCenter; the adapter's `Vcenter` satisfies it. */
export interface SourceVcenter {
  getVm(vm: string, signal?: AbortSignal): Promise<{ name: string; powerState: string }>;
  shutdownGuest(vm: string, signal?: AbortSignal): Promise<void>;
  powerOff(vm: string, task?: { signal?: AbortSignal }): Promise<void>;
}

export interface PlannedMigrationSourceOptions {
  readonly db: Database;
  readonly clock: Clock;
  readonly runner: Pick<JobRunner, 'submit' | 'find' | 'register'>;
  /** A paired site, by id; role 'target': this site replicates to it. */
  peer(id: string): { id: string; name: string; role: 'source' | 'target' } | undefined;
  /** The replication site the VM's policy names (a pairing's id or name), or null. */
  replicationSiteOf(vm: VmRef): string | null;
  vcenter(vcenterGuid: string, signal: AbortSignal): Promise<SourceVcenter>;
  /** "Back up now" of the VM: its backup job. */
  backupNow(vm: VmRef, requestedBy: string, signal: AbortSignal): Promise<JobRecord>;
  /** Queues (or finds) the VM's replication to the site: its job. */
  replicate(vm: VmRef, siteId: string, pointId: string): JobRecord;
  /** The VM's recent replication jobs, newest first: the one that sent a point may have ended before this job asked. */
  replications(vm: VmRef): JobRecord[];
  /** How often the job looks at the VM's power state and at the jobs it waits for. Default 1 s. */
  readonly pollMs?: number;
}

export interface PlannedMigrationParams {
  vm: VmRef;
  /** The DR site that asked (its pairing id here). */
  siteId: string;
  shutdownTimeoutSeconds: number;
}

export interface PlannedMigrationResult {
  pointId: string;
  /** How the VM came to be powered off. */
  shutdown: 'guest' | 'powered-off' | 'was-off';
  /** Chunks the last replication sent, of the point's. */
  chunks: number;
  chunksSent: number;
}

/** What the DR site reads of a planned migration's job at A. */
export interface PlannedMigrationStatus {
  jobId: string;
  state: JobRecord['state'];
  phase: string | null;
  error: { code: string; message: string } | null;
  result: PlannedMigrationResult | null;
}

function parseParams(raw: unknown): PlannedMigrationParams {
  const p = raw as Partial<PlannedMigrationParams> | null;
  if (typeof p !== 'object' || p === null || typeof p.siteId !== 'string' || typeof p.shutdownTimeoutSeconds !== 'number') {
    throw new ValidationError('planned-migration job params need vm, siteId and shutdownTimeoutSeconds', { field: 'params' });
  }
  return { vm: validateVmRef(p.vm), siteId: p.siteId, shutdownTimeoutSeconds: p.shutdownTimeoutSeconds };
}

export class PlannedMigrationSource {
  readonly marks: SqliteFailedOverStore;
  private readonly pollMs: number;

  constructor(private readonly o: PlannedMigrationSourceOptions) {
    this.marks = new SqliteFailedOverStore(o.db, o.clock);
    this.pollMs = o.pollMs ?? 1000;
    o.runner.register(PLANNED_MIGRATION_JOB_KIND, this.handler() as JobHandler);
  }

  /** VMs marked failed over (by vmKey): the scheduler holds their backups. */
  heldVms(): Set<string> {
    return this.marks.keys();
  }

  /** Why the scheduler holds a VM's backups, when it is marked failed over. */
  heldReason(key: string): string | undefined {
    const vm = parseVmKey(key);
    const mark = vm ? this.marks.find(vm) : undefined;
    return mark ? `the VM was failed over to site ${mark.siteName} at ${mark.at} by a planned migration, and runs there now` : undefined;
  }

  /**
   * Starts a planned migration of `vmId` for the paired DR site `siteId` (the peer that asked):
   * refused unless this site replicates the VM to that very site.
   */
  start(siteId: string, body: unknown): JobRecord {
    const peer = this.o.peer(siteId);
    if (!peer || peer.role !== 'target') throw new LifelineError('dr-planned-refused', 'this site does not replicate to the asking site: only its DR site may ask for a planned migration', { siteId });
    if (typeof body !== 'object' || body === null || Array.isArray(body)) throw new ValidationError('the request body must be a JSON object');
    const b = body as Record<string, unknown>;
    const vm = typeof b['vmId'] === 'string' ? parseVmKey(b['vmId']) : null;
    if (!vm) throw new ValidationError('vmId must be a VM id of this site (<vCenter UUID>:<moref>)', { field: 'vmId' });
    const timeout = b['shutdownTimeoutSeconds'];
    if (typeof timeout !== 'number' || !Number.isSafeInteger(timeout) || timeout < 0 || timeout > 3600) {
      throw new ValidationError('shutdownTimeoutSeconds must be a whole number of seconds from 0 to 3600', { field: 'shutdownTimeoutSeconds' });
    }
    const site = this.o.replicationSiteOf(vm);
    if (site === null || (site !== peer.id && site !== peer.name)) {
      throw new LifelineError('dr-planned-refused', `VM ${vm.moref} does not replicate to site ${peer.name}: only the DR site a VM replicates to may migrate it`, { vmId: vmKey(vm) });
    }
    const mark = this.marks.find(vm);
    if (mark) throw new LifelineError('conflict', `VM ${vm.moref} was failed over to site ${mark.siteName} at ${mark.at} already`, { vmId: vmKey(vm) });
    return this.o.runner.submit<PlannedMigrationParams>({
      kind: PLANNED_MIGRATION_JOB_KIND,
      target: vmTarget(vm),
      params: { vm, siteId: peer.id, shutdownTimeoutSeconds: timeout },
      priority: 40,
      requestedBy: `site ${peer.name}`,
    }).job;
  }

  /** A planned migration's job, for the site that asked for it only. */
  status(siteId: string, jobId: string): PlannedMigrationStatus {
    const job = this.o.runner.find(jobId);
    const params = job?.params as Partial<PlannedMigrationParams> | null | undefined;
    if (!job || job.kind !== PLANNED_MIGRATION_JOB_KIND || params?.siteId !== siteId) throw new NotFoundError(`no planned migration ${jobId} of the asking site`, { jobId });
    return { jobId: job.id, state: job.state, phase: job.phase, error: job.error, result: job.state === 'succeeded' ? (job.result as PlannedMigrationResult) : null };
  }

  /** Waits for a job this one started, looking every pollMs. */
  private async ended(id: string, clock: Clock, signal: AbortSignal): Promise<JobRecord> {
    for (;;) {
      const job = this.o.runner.find(id);
      if (!job) throw new NotFoundError(`job ${id} vanished`, { jobId: id });
      if (job.state !== 'queued' && job.state !== 'running') return job;
      await sleep(clock, this.pollMs, signal);
    }
  }

  private handler(): JobHandler<PlannedMigrationParams> {
    return {
      // What it did (the VM powered off) is not undone; another attempt is the DR site's to ask.
      retry: { maxAttempts: 1 },
      timeoutMs: 24 * 3_600_000,
      lane: PLANNED_MIGRATION_LANE,
      // It waits for the VM's backup and replication jobs: it takes none of their slots.
      coordinator: true,
      run: async (ctx): Promise<PlannedMigrationResult> => {
        const p = parseParams(ctx.params);
        const peer = this.o.peer(p.siteId);
        if (!peer) throw new LifelineError('replication-site-unknown', `site ${p.siteId} is no longer paired with this site`, { siteId: p.siteId });
        const vc = await this.o.vcenter(p.vm.vcenterGuid, ctx.signal);
        const powerState = async (): Promise<string> => (await vc.getVm(p.vm.moref, ctx.signal)).powerState;
        const stateNow = async (): Promise<string> => {
          try {
            return `the VM is ${await powerState()} at this site`;
          } catch (err) {
            return `the VM's power state could not be read (${describeError(err)})`;
          }
        };

        ctx.phase('shutdown');
        let shutdown: PlannedMigrationResult['shutdown'] = 'was-off';
        if ((await powerState()) !== 'poweredOff') {
          shutdown = 'powered-off';
          let asked = false;
          if ((await powerState()) === 'poweredOn' && p.shutdownTimeoutSeconds > 0) {
            try {
              await vc.shutdownGuest(p.vm.moref, ctx.signal);
              asked = true;
              ctx.log(`asked the guest to shut down through VMware Tools; waiting up to ${p.shutdownTimeoutSeconds} s`);
            } catch (err) {
              if (ctx.signal.aborted) throw err;
              ctx.log(`the guest could not be asked to shut down (${describeError(err)}); powering the VM off`, 'warn');
            }
          }
          if (asked) {
            const until = ctx.clock.now() + p.shutdownTimeoutSeconds * 1000;
            while ((await powerState()) !== 'poweredOff' && ctx.clock.now() < until) await sleep(ctx.clock, Math.min(this.pollMs, Math.max(0, until - ctx.clock.now())), ctx.signal);
            if ((await powerState()) === 'poweredOff') shutdown = 'guest';
            else ctx.log(`the guest did not shut down within ${p.shutdownTimeoutSeconds} s; powering the VM off`, 'warn');
          }
          if (shutdown !== 'guest') await vc.powerOff(p.vm.moref, { signal: ctx.signal });
        }
        ctx.log(shutdown === 'guest' ? 'the guest shut down' : shutdown === 'was-off' ? 'the VM was powered off already' : 'the VM was powered off');

        ctx.phase('backup');
        let backup: JobRecord;
        try {
          backup = await this.ended((await this.o.backupNow(p.vm, `planned migration to ${peer.name}`, ctx.signal)).id, ctx.clock, ctx.signal);
        } catch (err) {
          if (ctx.signal.aborted) throw err;
          throw new LifelineError('dr-planned-backup-failed', `the last backup could not be started (${describeError(err)}); nothing was replicated, ${await stateNow()}`, { vmId: vmKey(p.vm) });
        }
        const pointId = (backup.result as { pointId?: unknown } | null)?.pointId;
        if (backup.state !== 'succeeded' || typeof pointId !== 'string') {
          throw new LifelineError('dr-planned-backup-failed', `the last backup (job ${backup.id}) ${backup.state}${backup.error ? `: ${backup.error.message}` : ''}; nothing was replicated, ${await stateNow()}`, { vmId: vmKey(p.vm), jobId: backup.id });
        }
        ctx.log(`last backup: restore point ${pointId}`);

        ctx.phase('replicate');
        // A replication already running when the backup ended planned without this point: the next one sends it.
        for (let round = 1; ; round++) {
          const job = await this.ended(this.o.replicate(p.vm, peer.id, pointId).id, ctx.clock, ctx.signal);
          const r = job.result as { pointId?: unknown; olderPoints?: unknown; chunks?: number; chunksSent?: number } | null;
          if (job.state !== 'succeeded') {
            throw new LifelineError('dr-planned-replication-failed', `the replication of restore point ${pointId} to site ${peer.name} (job ${job.id}) ${job.state}${job.error ? `: ${job.error.message}` : ''}; ${await stateNow()}`, { vmId: vmKey(p.vm), jobId: job.id });
          }
          if (r?.pointId === pointId) {
            // The replication the backup queued may have sent it before this one found it there.
            const sent = [job, ...this.o.replications(p.vm)]
              .filter((j) => j.state === 'succeeded')
              .map((j) => j.result as { pointId?: unknown; present?: unknown; chunks?: number; chunksSent?: number } | null)
              .find((x) => x?.pointId === pointId && x.present !== true) ?? r;
            this.marks.mark({ vm: p.vm, siteId: peer.id, siteName: peer.name, pointId, jobId: ctx.jobId });
            ctx.log(`restore point ${pointId} is at site ${peer.name} (${sent.chunksSent ?? 0} of ${sent.chunks ?? 0} chunks sent); the VM is marked failed over to ${peer.name}`);
            return { pointId, shutdown, chunks: sent.chunks ?? 0, chunksSent: sent.chunksSent ?? 0 };
          }
          if (round >= 3) throw new LifelineError('dr-planned-replication-failed', `restore point ${pointId} was not the point replicated to site ${peer.name} after ${round} replications; ${await stateNow()}`, { vmId: vmKey(p.vm) });
        }
      },
    };
  }
}
