/**
 * What the recovery suites share: the backup harness (simulator, real repository, SQLite job
 * runner with the 'backup' kind) plus the 'restore' kind over a real SQLite recovery store, the
 * recovery service that queues its jobs, and helpers to wait for a job and to find a datastore
 * file's bytes on the simulator's disk.
 */
import Database from 'better-sqlite3';
import { existsSync } from 'node:fs';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { isTerminal, systemClock, type JobRecord } from '../../plugin-server/src/jobs/index.js';
import { vmKey, type BackupResult, type VmRef } from '../../plugin-server/src/protection/index.js';
import { createRestoreJobHandler, RecoveryService, SqliteRecoveryStore, type RecoveryVcenter } from '../../plugin-server/src/recovery/index.js';
import { parseDatastorePath } from '../../plugin-server/src/vsphere/index.js';
import type { Vcsim } from '../vcsim/harness.js';
import { backup, jobLog, openHarness, policy, type Harness } from '../protection/backup-fixture.js';

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
