/**
 * What the recovery suites share: the backup harness (simulator, real repository, SQLite job
 * runner with the 'backup' kind) plus the 'restore' kind over a real SQLite recovery store, the
 * recovery service that queues its jobs, and functions to wait for a job and to find a datastore
 * file's bytes on the simulator's disk. `recoverySuite()` declares all of it, on a simulator of its
 * own, for a describe block.
 */
import Database from 'better-sqlite3';
import { existsSync } from 'node:fs';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { isTerminal, type JobRecord } from '../../plugin-server/src/jobs/index.js';
import { systemClock, vmKey, type VmRef } from '../../plugin-server/src/domain/index.js';
import { type BackupResult } from '../../plugin-server/src/protection/index.js';
import { createRestoreJobHandler, RecoveryService, SqliteRecoveryStore, type RecoveryVcenter } from '../../plugin-server/src/recovery/index.js';
import { parseDatastorePath } from '../../plugin-server/src/vsphere/index.js';
import { startVcsim, type Vcsim, type VcsimOptions, type VcsimVm } from '../vcsim/harness.js';
import { backup, fillDisk, jobLog, openHarness, policy, sha256File, type Harness } from '../protection/backup-fixture.js';

export interface RecoveryHarness extends Harness {
  db: Database.Database;
  store: SqliteRecoveryStore;
  service: RecoveryService;
  /** Wraps the vCenter restore jobs see, e.g. to count calls. */
  wrapRecoveryVcenter: ((vc: RecoveryVcenter) => RecoveryVcenter) | null;
}

export async function openRecovery(sim: Vcsim, label: string): Promise<RecoveryHarness> {
  const h = await openHarness(sim, label);
  const db = new Database(join(h.dir, 'recovery.db'));
  const store = new SqliteRecoveryStore(db, systemClock);
  const rh: RecoveryHarness = Object.assign(h, { db, store, service: undefined as unknown as RecoveryService, wrapRecoveryVcenter: null });
  const vcenters = { vcenter: () => Promise.resolve(rh.wrapRecoveryVcenter ? rh.wrapRecoveryVcenter(h.vc) : h.vc) };
  h.runner.register('restore', createRestoreJobHandler({ repository: h.repo, vcenters, store, cleanupTimeoutMs: 60_000 }));
  rh.service = new RecoveryService({ runner: h.runner, repository: h.repo, store, vcenters });
  const close = h.close;
  rh.close = async () => {
    await close();
    db.close();
  };
  h.policies.set('crash', policy('crash', { consistency: 'crash' }));
  return rh;
}

export async function waitJob(h: Harness, id: string): Promise<JobRecord> {
  for (;;) {
    const j = h.runner.get(id);
    if (isTerminal(j.state)) return j;
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** Backs up a VM with the crash-consistent policy; returns the point id. */
export async function backUp(h: Harness, vm: VmRef): Promise<string> {
  const job = await backup(h, vm, 'crash');
  if (job.state !== 'succeeded') throw new Error(`backup failed: ${jobLog(h, job.id)}`);
  const pointId = (job.result as BackupResult).pointId;
  if (h.repo.latestPoint(vmKey(vm))?.id !== pointId) throw new Error('the point is not the latest');
  return pointId;
}

/** The local file of a datastore path; for a descriptor "x.vmdk", its data file "x-flat.vmdk". */
export function localFile(sim: Vcsim, datastorePath: string, flat = true): string {
  const { datastore, path } = parseDatastorePath(datastorePath);
  const ds = sim.datastores.find((d) => d.name === datastore);
  if (!ds) throw new Error(`no datastore ${datastore}`);
  return join(ds.dir, flat ? path.replace(/\.vmdk$/, '-flat.vmdk') : path);
}

/** Names under the datastore's root that Lifeline made (lifeline-restore-*, lifeline-attach-*). */
export async function lifelineFolders(sim: Vcsim): Promise<string[]> {
  const out: string[] = [];
  for (const ds of sim.datastores) {
    if (!existsSync(ds.dir)) continue;
    for (const n of await readdir(ds.dir)) if (n.startsWith('lifeline-')) out.push(`[${ds.name}] ${n}`);
  }
  return out.sort();
}

/** A VM's disks as slot → file, the shape a test compares before and after. */
export async function diskLayout(h: Harness, moref: string): Promise<string[]> {
  const vm = await h.vc.getVm(moref);
  return vm.disks.map((d) => `${d.controllerKey}:${d.unitNumber ?? '?'}=${d.fileName} (${d.capacityBytes})`).sort();
}

export interface RecoverySuite {
  /** The suite's simulator; read it in hooks and specs, not while the describe block is declared. */
  readonly sim: Vcsim;
  readonly h: RecoveryHarness;
  /** The reference Lifeline keeps of a simulator VM. */
  readonly ref: (vm: VcsimVm) => VmRef;
}

/**
 * Declares, in the calling describe block, a simulator with this inventory and a recovery harness
 * on it: both opened before its specs (in a `beforeAll` that runs before the block's own, so that
 * one may read them) and closed after them; fault rules are cleared after each spec.
 */
export function recoverySuite(inventory: VcsimOptions, label: string): RecoverySuite {
  let sim: Vcsim | undefined;
  let h: RecoveryHarness | undefined;
  beforeAll(async () => {
    sim = await startVcsim(inventory);
    h = await openRecovery(sim, label);
  }, 360_000);
  afterEach(async () => {
    await sim?.clearFaults();
  });
  afterAll(async () => {
    await h?.close();
    await sim?.stop();
  });
  const suite: RecoverySuite = {
    get sim() {
      if (!sim) throw new Error('the simulator is not running');
      return sim;
    },
    get h() {
      if (!h) throw new Error('the recovery harness is not open');
      return h;
    },
    ref: (vm) => ({ vcenterGuid: suite.sim.instanceUuid, moref: vm.moref }),
  };
  return suite;
}

/** SHA-256 of each of the simulator VM's own disk files, in the inventory's order. */
export function diskHashes(vm: VcsimVm): Promise<string[]> {
  return Promise.all(vm.disks.map((d) => sha256File(d.path)));
}

/** SHA-256 of the files the VM's disks are backed by now (restored ones after a revert), by unit number. */
export async function attachedDiskHashes(h: Harness, sim: Vcsim, moref: string): Promise<string[]> {
  const info = await h.vc.getVm(moref);
  return Promise.all([...info.disks].sort((a, b) => (a.unitNumber ?? 0) - (b.unitNumber ?? 0)).map((d) => sha256File(localFile(sim, d.fileName))));
}

export interface BackedUpVms {
  /** Per VM moref: the point of its backup. */
  readonly points: Map<string, string>;
  /** Per VM moref: its disks' SHA-256 as backed up. */
  readonly backedUp: Map<string, string[]>;
  /** Per VM moref: its disks' SHA-256 now, after the guest wrote on. */
  readonly current: Map<string, string[]>;
}

/**
 * Fills every disk of every simulator VM (seed `seeds.backedUp + 10 × VM + disk`), backs each VM
 * up, then has the guest write on (seed `seeds.current + …`): what a revert replaces.
 */
export async function backUpEveryVm(h: Harness, sim: Vcsim, diskSize: number, seeds: { readonly backedUp: number; readonly current: number }): Promise<BackedUpVms> {
  const out: BackedUpVms = { points: new Map(), backedUp: new Map(), current: new Map() };
  for (const [i, vm] of sim.vms.entries()) {
    for (const [j, d] of vm.disks.entries()) await fillDisk(d.path, diskSize, seeds.backedUp + 10 * i + j);
    out.backedUp.set(vm.moref, await diskHashes(vm));
    out.points.set(vm.moref, await backUp(h, { vcenterGuid: sim.instanceUuid, moref: vm.moref }));
    for (const [j, d] of vm.disks.entries()) await fillDisk(d.path, diskSize, seeds.current + 10 * i + j);
    out.current.set(vm.moref, await diskHashes(vm));
  }
  return out;
}
