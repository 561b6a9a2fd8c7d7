/**
 * What the DR site keeps of disaster recovery, in the server's state database (schema component
 * "dr"): each pairing's resource mappings (`dr_mapping`), each failover and test failover with
 * its report (`dr_failover`), and the recovery plans (`dr_plan`) with their runs (`dr_plan_run`). The state database, beside the jobs that change these records, so a
 * failover's record and its job are written by one connection: after a crash the interrupted
 * job's clean-up finds the record as the step it was taking left it. Nothing here is a secret.
 */
import { randomUUID } from 'node:crypto';
import { LifelineError, NotFoundError } from '../errors/index.js';
import { migrateComponent, type Database, type Migration } from '../jobs/index.js';
import type { Clock } from '../domain/index.js';
import type { InstantiateCheckpoint } from '../recovery/index.js';
import { EMPTY_MAPPINGS, type ResourceMappings } from './mappings.js';
import type { VmPlanOptions } from './plan-options.js';

/** disaster: from a point this site holds; test: a drill; planned: the source site makes the last point first (planned-failover.ts). */
export type FailoverMode = 'disaster' | 'test' | 'planned';

/**
 * - starting: queued or running; the VM is being made.
 * - up: the VM was created (and powered on, when asked).
 * - failed: it failed or was cancelled; what it had made was removed.
 * - cleaning: a drill's clean-up is under way.
 * - cleaned: a drill's VM and its files are gone.
 */
export type FailoverState = 'starting' | 'up' | 'failed' | 'cleaning' | 'cleaned';

/** The figures of one failover, as a drill report shows them. */
export interface FailoverReport {
  /** When the job began to work (ISO time). */
  startedAt: string | null;
  /** When vCenter had created the VM. */
  createdAt: string | null;
  /** When PowerOnVM_Task completed. */
  poweredOnAt: string | null;
  /** When VMware Tools first reported running in the guest; null if it did not within the wait. */
  toolsReadyAt: string | null;
  /** How the wait for VMware Tools ended: ready, timed out, or skipped (not powered on, or no wait asked); null before it (or in records older than it). */
  toolsWait?: 'ready' | 'timed-out' | 'skipped' | null;
  /** The hook set run once the VM was up and how it went; null when the step runs none (or has not reached it). */
  hook?: { set: string; ok: boolean; messages: string[] } | null;
  /** Recovery time: from the start to Tools ready (or powered on, when Tools never answered), in seconds. */
  rtoSeconds: number | null;
  /** Each failure, in order, with the step it happened in. */
  failures: string[];
  /** When the clean-up of a drill finished. */
  cleanedAt: string | null;
  /**
   * A recovery plan's network overrides for the VM that no mapping of the failover used, and why:
   * `test-networks` (a drill keeps the test networks), `no-card` (the point's VM has no network
   * card on that source network). Absent in records older than it.
   */
  unusedOverrides?: Array<{ source: string; target: string; reason: 'test-networks' | 'no-card' }>;
}

export interface FailoverRecord {
  id: string;
  /** The pairing (the source site's peer id at this site) and the source site's name. */
  peerId: string;
  siteName: string;
  mode: FailoverMode;
  sourceVm: { id: string; name: string };
  pointId: string;
  /** When the point was made at the source (ISO time). */
  pointCreatedAt: string;
  /** now − the point's time when the failover was asked for: what a disaster loses. */
  dataLossWindowSeconds: number;
  /** The new VM's name, in this site's vCenter. */
  name: string;
  vcenterGuid: string;
  /** What the job was asked to do, mapped: kept so the job does exactly what was checked. */
  request: {
    datastore: string;
    folder: string | null;
    pool: string | null;
    networks: Record<string, string>;
    powerOn: boolean;
    keepMacAddresses: boolean;
    toolsTimeoutSeconds: number;
    /** A hook set of the configuration run once the VM is up (a recovery plan's per-VM option). */
    hookSet?: string | null;
  };
  state: FailoverState;
  jobId: string | null;
  cleanupJobId: string | null;
  /** The VM made, once vCenter made it. */
  vm: { moref: string; instanceUuid: string | null } | null;
  /** The last step the job recorded (folder, VM): what a clean-up removes. */
  checkpoint: InstantiateCheckpoint | null;
  report: FailoverReport;
  requestedBy: string;
  /** The recovery plan run this failover is a step of, if any. */
  planRunId: string | null;
  /** A planned migration's source-site part (mode `planned` only). */
  planned?: PlannedPart | null;
  /** The failback of the VM to the source site, once asked for (failback.ts). */
  failback?: FailbackPart | null;
  createdAt: string;
  updatedAt: string;
}

/** What a planned failover's record keeps of the source site's part. */
export interface PlannedPart {
  shutdownTimeoutSeconds: number;
  /** A's planned-migration job. */
  sourceJobId: string | null;
  /** How A's VM came to be off ('guest', 'powered-off', 'was-off'), once A is done. */
  shutdown: string | null;
  /** Chunks A's last replication sent, of the point's. */
  chunks: number | null;
  chunksSent: number | null;
}

/** What a failover's record keeps of its failback (failback.ts). */
export interface FailbackPart {
  /** running; done: the VM runs at the source site again and this site's copy stays off; failed: see failures. */
  state: 'running' | 'done' | 'failed';
  target: 'original' | 'new';
  /** The new VM's name at the source site (target new). */
  name: string | null;
  powerOn: boolean;
  shutdownTimeoutSeconds: number;
  jobId: string | null;
  /** How this site's VM came to be off: guest, powered-off, was-off. */
  shutdown: string | null;
  /** The last point, made here into the replica of the source's repository. */
  pointId: string | null;
  /** Chunks of that point, those sent back to the source site (it lacked them) and their stored bytes. */
  chunks: number | null;
  chunksSent: number | null;
  bytesSent: number | null;
  /** The source site's job that recovered the point, and the VM it runs as there. */
  sourceJobId: string | null;
  sourceVm: { moref: string; name: string } | null;
  failures: string[];
  requestedBy: string;
  startedAt: string;
  endedAt: string | null;
  /**
   * The step being taken, recorded before it is taken (failback.ts): what a start after a crash
   * finds — before 'source-site' it rolls the failback back, from it on it follows the source
   * site's job to its end. Absent in records of older versions.
   */
  step?: FailbackStep | null;
  /** Whether this site's VM was powered on when the failback began (null: not looked at yet). */
  wasOn?: boolean | null;
  /** The job whose last backup's snapshot (`lifeline-<job id>`) may exist on this site's VM. */
  backupJobId?: string | null;
  /** The consistency of the last point: application (the guest shut down through VMware Tools) or crash. */
  consistency?: 'application' | 'crash' | null;
}

export type FailbackStep = 'shutdown' | 'backup' | 'replicate' | 'source-site';

/** A recovery plan: ordered groups of a source site's replicated VMs, started group after group. */
export interface RecoveryPlan {
  id: string;
  name: string;
  /** The pairing whose replicated VMs it starts. */
  peerId: string;
  /** In order; the VMs of a group start together (at most maxParallel at once), the next group once all of them are done. */
  groups: Array<{ vms: string[] }>;
  maxParallel: number;
  toolsTimeoutSeconds: number;
  /** Per-VM options by replicated VM id (plan-options.ts); absent: every VM with the defaults. */
  vmOptions?: Record<string, VmPlanOptions>;
  createdAt: string;
  updatedAt: string;
}

/** What a recovery plan's failback was asked to do (plan-failback.ts), for every VM of the plan alike. */
export interface PlanFailbackOptions {
  /** original: each source VM's disks replaced (its moref kept); new: a new VM at the source site, named the source VM's name + nameSuffix. */
  target: 'original' | 'new';
  nameSuffix: string | null;
  powerOn: boolean;
  shutdownTimeoutSeconds: number;
}

/**
 * One run of a plan: its failovers (one record per VM, by group) and its job. A failback run
 * (`failback` set, mode `planned`: a failback is a planned migration back to the source site)
 * lists the failovers it sends back, by the plan's groups; their records carry each VM's
 * failback part, which is the run's report.
 */
export interface PlanRun {
  id: string;
  planId: string;
  mode: FailoverMode;
  failback?: PlanFailbackOptions | null;
  jobId: string | null;
  cleanupJobId: string | null;
  /** Failover ids, by group, in the plan's order. */
  groups: string[][];
  requestedBy: string;
  createdAt: string;
}

export interface DrStore {
  getMappings(peerId: string): { mappings: ResourceMappings; updatedAt: string | null };
  putMappings(peerId: string, m: ResourceMappings): { mappings: ResourceMappings; updatedAt: string };
  newFailover(rec: Omit<FailoverRecord, 'id' | 'createdAt' | 'updatedAt'>): FailoverRecord;
  getFailover(id: string): FailoverRecord;
  findFailover(id: string): FailoverRecord | undefined;
  updateFailover(id: string, change: (r: FailoverRecord) => FailoverRecord): FailoverRecord;
  listFailovers(): FailoverRecord[];
  putPlan(plan: RecoveryPlan): RecoveryPlan;
  findPlan(id: string): RecoveryPlan | undefined;
  listPlans(): RecoveryPlan[];
  deletePlan(id: string): void;
  newRun(run: Omit<PlanRun, 'createdAt'>): PlanRun;
  getRun(id: string): PlanRun;
  updateRun(id: string, change: (r: PlanRun) => PlanRun): PlanRun;
  /** Removes a run whose job could not be queued: nothing ran, so nothing of it is kept. */
  deleteRun(id: string): void;
  /** A plan's runs, newest first. */
  runsOf(planId: string, limit: number): PlanRun[];
}

/** Exported for the upgrade spec. */
export const DR_STORE_MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    up(db) {
      db.exec(`
        CREATE TABLE dr_mapping (
          peer_id TEXT PRIMARY KEY,
          doc TEXT NOT NULL,
          updated_at INTEGER NOT NULL
        ) STRICT;
        CREATE TABLE dr_failover (
          id TEXT PRIMARY KEY,
          peer_id TEXT NOT NULL,
          mode TEXT NOT NULL CHECK (mode IN ('disaster', 'test')),
          state TEXT NOT NULL CHECK (state IN ('starting', 'up', 'failed', 'cleaning', 'cleaned')),
          doc TEXT NOT NULL,
          created_at INTEGER NOT NULL,
          updated_at INTEGER NOT NULL
        ) STRICT;
      `);
    },
  },
  {
    version: 2,
    up(db) {
      db.exec(`
        CREATE TABLE dr_plan (
          id TEXT PRIMARY KEY,
          name TEXT NOT NULL UNIQUE,
          doc TEXT NOT NULL,
          updated_at INTEGER NOT NULL
        ) STRICT;
        CREATE TABLE dr_plan_run (
          id TEXT PRIMARY KEY,
          plan_id TEXT NOT NULL,
          doc TEXT NOT NULL,
          created_at INTEGER NOT NULL
        ) STRICT;
        CREATE INDEX dr_plan_run_by_plan ON dr_plan_run (plan_id, created_at);
      `);
    },
  },
  {
    // Mode 'planned' (planned migration): the mode's CHECK is widened by rebuilding the table.
    version: 3,
    up(db) {
      db.exec(`
        CREATE TABLE dr_failover_next (
          id TEXT PRIMARY KEY,
          peer_id TEXT NOT NULL,
          mode TEXT NOT NULL CHECK (mode IN ('disaster', 'test', 'planned')),
          state TEXT NOT NULL CHECK (state IN ('starting', 'up', 'failed', 'cleaning', 'cleaned')),
          doc TEXT NOT NULL,
          created_at INTEGER NOT NULL,
          updated_at INTEGER NOT NULL
        ) STRICT;
        INSERT INTO dr_failover_next SELECT id, peer_id, mode, state, doc, created_at, updated_at FROM dr_failover;
        DROP TABLE dr_failover;
        ALTER TABLE dr_failover_next RENAME TO dr_failover;
      `);
    },
  },
];

export class SqliteDrStore implements DrStore {
  constructor(
    private readonly db: Database,
    private readonly clock: Clock,
  ) {
    migrateComponent(db, 'dr', DR_STORE_MIGRATIONS);
  }

  getMappings(peerId: string): { mappings: ResourceMappings; updatedAt: string | null } {
    const row = this.db.prepare('SELECT doc, updated_at FROM dr_mapping WHERE peer_id = ?').get(peerId) as { doc: string; updated_at: number } | undefined;
    if (!row) return { mappings: EMPTY_MAPPINGS, updatedAt: null };
    return { mappings: { ...EMPTY_MAPPINGS, ...(JSON.parse(row.doc) as Partial<ResourceMappings>) }, updatedAt: new Date(row.updated_at).toISOString() };
  }

  putMappings(peerId: string, m: ResourceMappings): { mappings: ResourceMappings; updatedAt: string } {
    const now = this.clock.now();
    this.db
      .prepare('INSERT INTO dr_mapping (peer_id, doc, updated_at) VALUES (?, ?, ?) ON CONFLICT (peer_id) DO UPDATE SET doc = excluded.doc, updated_at = excluded.updated_at')
      .run(peerId, JSON.stringify(m), now);
    return { mappings: m, updatedAt: new Date(now).toISOString() };
  }

  newFailover(rec: Omit<FailoverRecord, 'id' | 'createdAt' | 'updatedAt'>): FailoverRecord {
    const now = this.clock.now();
    const full: FailoverRecord = { ...rec, id: randomUUID(), createdAt: new Date(now).toISOString(), updatedAt: new Date(now).toISOString() };
    this.db
      .prepare('INSERT INTO dr_failover (id, peer_id, mode, state, doc, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?)')
      .run(full.id, full.peerId, full.mode, full.state, JSON.stringify(full), now, now);
    return full;
  }

  findFailover(id: string): FailoverRecord | undefined {
    const row = this.db.prepare('SELECT doc FROM dr_failover WHERE id = ?').get(id) as { doc: string } | undefined;
    return row ? (JSON.parse(row.doc) as FailoverRecord) : undefined;
  }

  getFailover(id: string): FailoverRecord {
    const r = this.findFailover(id);
    if (!r) throw new NotFoundError(`failover ${id} does not exist`, { failoverId: id });
    return r;
  }

  updateFailover(id: string, change: (r: FailoverRecord) => FailoverRecord): FailoverRecord {
    return this.db.transaction(() => {
      const now = this.clock.now();
      const next = { ...change(this.getFailover(id)), id, updatedAt: new Date(now).toISOString() };
      this.db.prepare('UPDATE dr_failover SET state = ?, doc = ?, updated_at = ? WHERE id = ?').run(next.state, JSON.stringify(next), now, id);
      return next;
    })();
  }

  listFailovers(): FailoverRecord[] {
    const rows = this.db.prepare('SELECT doc FROM dr_failover ORDER BY created_at DESC, id').all() as Array<{ doc: string }>;
    return rows.map((r) => JSON.parse(r.doc) as FailoverRecord);
  }

  putPlan(plan: RecoveryPlan): RecoveryPlan {
    const now = this.clock.now();
    const next = { ...plan, updatedAt: new Date(now).toISOString() };
    try {
      this.db
        .prepare('INSERT INTO dr_plan (id, name, doc, updated_at) VALUES (?, ?, ?, ?) ON CONFLICT (id) DO UPDATE SET name = excluded.name, doc = excluded.doc, updated_at = excluded.updated_at')
        .run(next.id, next.name, JSON.stringify(next), now);
    } catch (err) {
      if (String(err).includes('UNIQUE')) throw new LifelineError('conflict', `a recovery plan named ${plan.name} exists already`, { field: 'name' });
      throw err;
    }
    return next;
  }

  findPlan(id: string): RecoveryPlan | undefined {
    const row = this.db.prepare('SELECT doc FROM dr_plan WHERE id = ?').get(id) as { doc: string } | undefined;
    return row ? (JSON.parse(row.doc) as RecoveryPlan) : undefined;
  }

  listPlans(): RecoveryPlan[] {
    return (this.db.prepare('SELECT doc FROM dr_plan ORDER BY name').all() as Array<{ doc: string }>).map((r) => JSON.parse(r.doc) as RecoveryPlan);
  }

  deletePlan(id: string): void {
    this.db.prepare('DELETE FROM dr_plan WHERE id = ?').run(id);
  }

  newRun(run: Omit<PlanRun, 'createdAt'>): PlanRun {
    const now = this.clock.now();
    const full: PlanRun = { ...run, createdAt: new Date(now).toISOString() };
    this.db.prepare('INSERT INTO dr_plan_run (id, plan_id, doc, created_at) VALUES (?, ?, ?, ?)').run(full.id, full.planId, JSON.stringify(full), now);
    return full;
  }

  getRun(id: string): PlanRun {
    const row = this.db.prepare('SELECT doc FROM dr_plan_run WHERE id = ?').get(id) as { doc: string } | undefined;
    if (!row) throw new NotFoundError(`recovery plan run ${id} does not exist`, { runId: id });
    return JSON.parse(row.doc) as PlanRun;
  }

  updateRun(id: string, change: (r: PlanRun) => PlanRun): PlanRun {
    return this.db.transaction(() => {
      const next = { ...change(this.getRun(id)), id };
      this.db.prepare('UPDATE dr_plan_run SET doc = ? WHERE id = ?').run(JSON.stringify(next), id);
      return next;
    })();
  }

  deleteRun(id: string): void {
    this.db.prepare('DELETE FROM dr_plan_run WHERE id = ?').run(id);
  }

  runsOf(planId: string, limit: number): PlanRun[] {
    const rows = this.db.prepare('SELECT doc FROM dr_plan_run WHERE plan_id = ? ORDER BY created_at DESC, id LIMIT ?').all(planId, limit) as Array<{ doc: string }>;
    return rows.map((r) => JSON.parse(r.doc) as PlanRun);
  }
}
