/**
 * `npm run bench -- restore`: the recovery paths end to end against the vCenter simulator.
 *
 * One simulated VM with an 8 GiB disk whose first 4 GiB hold the store benchmark's mixed data
 * (store-image.ts), backed up once into a fresh encrypted repository. Then, each through the
 * datastore upload path (a streamed HTTPS PUT of the whole flat file, zero regions included, sent
 * from a shared zero buffer without fetching anything):
 * - restore: the point's disk written to a datastore folder as a flat VMDK;
 * - new instance: a VM created from the point (disk upload + CreateVM_Task);
 * - revert: the VM reverted to the point (disk upload + disk swap), then cancelled (not timed);
 * - attach: the point's disk cloned and attached to the VM, then detached (not timed).
 * restore_MBps is 10^6 bytes of disk written (the whole 8 GiB) per wall second. Each step prints
 * its time and that of each phase of its job (upload, create, swap, ...), which tells the upload
 * from the fixed costs. Each result is deleted before the next step, so at most one restored
 * 8 GiB file exists at a time.
 *
 * Environment: LIFELINE_BENCH_DIR keeps the work directory elsewhere than the system temp dir.
 */
import Database from 'better-sqlite3';
import { truncate } from 'node:fs/promises';
import { join } from 'node:path';
import { systemClock } from '../plugin-server/src/domain/index.js';
import { noHooks } from '../plugin-server/src/hooks/index.js';
import { runBackup, type BackupContext } from '../plugin-server/src/protection/index.js';
import {
  deleteIfPresent,
  restoreDiskToDatastore,
  runAttach,
  runCancelRevert,
  runDetach,
  runInstantiate,
  runRevert,
  SqliteRecoveryStore,
  type InstantiateCheckpoint,
  type RecoveryContext,
  type RecoveryDeps,
} from '../plugin-server/src/recovery/index.js';
import { initRepository, Repository } from '../plugin-server/src/store/index.js';
import { connectVcenter } from '../plugin-server/src/vsphere/index.js';
import { runSimBench } from './sim-bench.js';
import { buildImage } from './store-image.js';

const MiB = 1024 * 1024;
const GiB = 1024 * MiB;
const DISK_GIB = 8;
const DATA_MIB = 4096;
const PASSPHRASE = 'lifeline benchmark passphrase';
const never = new AbortController().signal;
const r2 = (n: number): number => Math.round(n * 100) / 100;

/** Seconds spent in each phase of the job running now, printed after its step. */
let phases: Array<{ name: string; at: number }> = [];

function phaseLine(end: number): string {
  return phases.map((p, i) => `${p.name} ${(((phases[i + 1]?.at ?? end) - p.at) / 1000).toFixed(2)} s`).join(', ');
}

function context(jobId: string): RecoveryContext & { saveCheckpoint(cp: InstantiateCheckpoint): void } {
  return {
    jobId,
    signal: never,
    phase: (name) => phases.push({ name, at: performance.now() }),
    progress: () => undefined,
    log: (m, level) => {
      if (level === 'warn' || level === 'error') process.stderr.write(`  ${level}: ${m}\n`);
    },
    saveCheckpoint: () => undefined,
  };
}

async function timed<T>(what: string, fn: () => Promise<T>): Promise<{ seconds: number; result: T }> {
  phases = [];
  const t0 = performance.now();
  const result = await fn();
  const t1 = performance.now();
  const seconds = (t1 - t0) / 1000;
  process.stdout.write(`${what}: ${seconds.toFixed(2)} s${phases.length > 0 ? ` (${phaseLine(t1)})` : ''}\n`);
  return { seconds, result };
}

runSimBench('restore', DISK_GIB, async (sim, work) => {
  const vm = sim.vms[0];
  const disk = vm?.disks[0];
  if (!vm || !disk) throw new Error('the simulator made no VM disk');
  process.stderr.write(`writing ${DATA_MIB} MiB of mixed data into ${disk.flatFile} (${DISK_GIB} GiB disk)\n`);
  await buildImage(disk.path, DATA_MIB, 'modulo');
  await truncate(disk.path, DISK_GIB * GiB);

  const repoDir = join(work, 'repo');
  await initRepository(repoDir, { encrypt: true, passphrase: PASSPHRASE }, never);
  const repo = await Repository.open(repoDir, { passphrase: PASSPHRASE }, never);
  const vc = await connectVcenter({ url: sim.url, thumbprint: sim.thumbprint, user: sim.username, password: sim.password });
  const db = new Database(join(work, 'state.db'));
  try {
    const backupCtx: BackupContext = { signal: never, phase: () => undefined, progress: () => undefined, log: () => undefined, saveCheckpoint: () => undefined };
    const backup = await timed('backup (setup)', () =>
      runBackup(
        { vcenter: vc, vcenterGuid: sim.instanceUuid, repository: repo, hooks: noHooks, clock: { now: () => Date.now() } },
        { jobId: 'bench-backup', vm: vm.moref, policy: { consistency: 'crash', onQuiesceFailure: 'fail', excludedDisks: [], immutabilityDays: 1 } },
        backupCtx,
      ),
    );
    const pointId = backup.result.pointId;
    const info = await vc.getVm(vm.moref);
    if (!info.datacenter) throw new Error('the VM is in no datacenter');
    const datacenter = { moref: info.datacenter.moref, path: info.datacenter.path };
    const store = new SqliteRecoveryStore(db, systemClock);
    const deps: RecoveryDeps = { repository: repo, vcenters: { vcenter: () => Promise.resolve(vc) }, store };
    const vmId = { vcenterGuid: sim.instanceUuid, moref: vm.moref };
    const bytes = DISK_GIB * GiB;

    await vc.makeDirectory(datacenter.moref, `[${vm.datastore}] bench-restore`);
    const restore = await timed('restore to datastore', () =>
      restoreDiskToDatastore({ repository: repo, vcenter: vc, pointId, disk: disk.key, target: { datacenter, descriptor: `[${vm.datastore}] bench-restore/disk.vmdk` }, signal: never }),
    );
    await deleteIfPresent(vc, datacenter.moref, [`[${vm.datastore}] bench-restore`], never);
    process.stdout.write(`  ${r2(bytes / 1e6 / restore.seconds)} MB/s of disk written, ${restore.result.stats.chunksRead} chunks read, ${restore.result.stats.zeroSlots} zero chunks\n`);

    const instance = await timed('new instance', () =>
      runInstantiate(deps, { pointId, vcenterGuid: sim.instanceUuid, name: 'bench-instance', datastore: null, folder: null, pool: null, host: null, networks: {}, powerOn: false }, context('bench-instance')),
    );
    await vc.destroyVm(instance.result.vm.moref);
    await deleteIfPresent(vc, datacenter.moref, [`[${vm.datastore}] bench-instance`], never);

    const revert = await timed('revert', () => runRevert(deps, { vm: vmId, pointId, powerOff: true }, context('bench-revert')));
    await runCancelRevert(deps, { vm: vmId, powerOff: true }, context('bench-revert-cancel'));
    if (revert.result.state !== 'reverted') throw new Error('the revert did not complete');

    const attach = await timed('clone and attach', () => runAttach(deps, { attachmentId: 'bench-attach', pointId, vm: vmId, disks: null, datastore: null }, context('bench-attach')));
    await runDetach(deps, 'bench-attach', context('bench-detach'));
    if (attach.result.disks.length !== 1) throw new Error('the attach attached no disk');

    process.stdout.write(
      JSON.stringify({
        bench: 'restore',
        disk_GiB: DISK_GIB,
        restore_MBps: r2(bytes / 1e6 / restore.seconds),
        new_instance_s: r2(instance.seconds),
        revert_s: r2(revert.seconds),
        attach_s: r2(attach.seconds),
      }) + '\n',
    );
  } finally {
    db.close();
    vc.close();
    await repo.close();
  }
});
