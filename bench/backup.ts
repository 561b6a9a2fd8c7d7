/**
 * `npm run bench -- backup`: the backup pipeline end to end against the vCenter simulator.
 *
 * One simulated VM with an 8 GiB disk whose first 4 GiB hold the store benchmark's mixed data
 * (store-image.ts: zeros left as holes, text, random, repeated blocks), written into the disk
 * through the simulator as a guest writes (the zero MiBs are not written at all). A full backup (change tracking reports the allocated areas) into a fresh encrypted
 * repository, then 1% of the disk's 4 MiB blocks are rewritten with new random data at random
 * places, then an incremental backup. Each backup is the whole pipeline: snapshot, changed-area
 * queries, ranged reads over the datastore transport, hashing, compression, encryption, commit,
 * snapshot removal. MB/s is 10^6 bytes of allocated data (the 4 GiB written) per wall second.
 *
 * Change tracking: every write goes through the simulator (writeDisk), which tracks the blocks
 * as a hypervisor does, so a snapshot costs what it costs on vSphere: next to nothing. (Data
 * written straight into the file would be found by reading the file at the next snapshot, about
 * 0.4 s for these 2.8 GiB on two cores, which would count in full_s.) The JSON line carries the
 * snapshot phases as full_snapshot_s / incr_snapshot_s next to the wall-clock figures, which
 * include them.
 *
 * The machine may be shared: the JSON line also gives the 1-minute load average when the full
 * backup started and the CPU seconds the backup (Lifeline's process, codec threads included) and
 * the simulator spent on it, which a busy machine disturbs less than wall time.
 *
 * Environment: LIFELINE_BENCH_DIR keeps the work directory elsewhere than the system temp dir.
 */
import { randomFillSync } from 'node:crypto';
import { open, readFile, rm } from 'node:fs/promises';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { noHooks } from '../plugin-server/src/hooks/index.js';
import { runBackup, type BackupContext, type BackupResult } from '../plugin-server/src/protection/index.js';
import { initRepository, Repository } from '../plugin-server/src/store/index.js';
import { connectVcenter, type Vcenter } from '../plugin-server/src/vsphere/index.js';
import type { Vcsim } from '../test/vcsim/harness.js';
import { runSimBench } from './sim-bench.js';
import { buildImage } from './store-image.js';

const MiB = 1024 * 1024;
const GiB = 1024 * MiB;
const DISK_GIB = 8;
const DATA_MIB = 4096;
const BLOCK = 4 * MiB;
const CHANGED_FRACTION = 0.01;
const PASSPHRASE = 'lifeline benchmark passphrase';
const never = new AbortController().signal;

/** A small seeded generator, so every run rewrites the same blocks. */
function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * Rewrites the blocks with new random data the way a guest writes: through the simulator, which
 * tracks the changed blocks as a hypervisor does (instead of reading the whole disk again at the
 * next snapshot, as it must after writes straight into the file).
 */
async function rewriteBlocks(sim: Vcsim, vm: string, disk: number, blocks: readonly number[]): Promise<void> {
  const buf = Buffer.allocUnsafe(BLOCK);
  for (const b of blocks) {
    randomFillSync(buf);
    await sim.writeDisk(vm, disk, b * BLOCK, buf);
  }
}

/**
 * Writes an image file into the disk through the simulator, as a guest writes: runs of non-zero
 * MiBs, up to 4 MiB a write; zero MiBs are not written and stay holes.
 */
async function writeImage(sim: Vcsim, vm: string, disk: number, path: string): Promise<void> {
  const fh = await open(path, 'r');
  const buf = Buffer.alloc(BLOCK);
  const zeros = Buffer.alloc(MiB);
  let runStart = 0;
  let runLength = 0;
  const flush = async (): Promise<void> => {
    if (runLength > 0) await sim.writeDisk(vm, disk, runStart, buf.subarray(0, runLength));
    runLength = 0;
  };
  try {
    for (let off = 0; ; off += MiB) {
      if (runLength === BLOCK) await flush();
      const { bytesRead } = await fh.read(buf, runLength, MiB, off);
      if (bytesRead === 0) break;
      if (buf.subarray(runLength, runLength + bytesRead).equals(zeros.subarray(0, bytesRead))) {
        await flush();
        continue;
      }
      if (runLength === 0) runStart = off;
      runLength += bytesRead;
    }
    await flush();
  } finally {
    await fh.close();
  }
}

interface Timed {
  seconds: number;
  result: BackupResult;
  phases: Array<[string, number]>;
  /** CPU seconds of this process (all its threads) during the backup. */
  cpu: number;
}

/** CPU seconds (user + system) a process has used, from /proc; 0 where there is no /proc. */
async function processCpuSeconds(pid: number): Promise<number> {
  try {
    const fields = (await readFile(`/proc/${pid}/stat`, 'utf8')).split(') ')[1]?.split(' ') ?? [];
    return (Number(fields[11]) + Number(fields[12])) / 100; // clock ticks: 100 per second on Linux
  } catch {
    return 0;
  }
}

async function timedBackup(vc: Vcenter, vcenterGuid: string, repo: Repository, vm: string, jobId: string): Promise<Timed> {
  const phases: Array<[string, number]> = [];
  let phaseStart = performance.now();
  let phaseName = 'start';
  const ctx: BackupContext = {
    signal: never,
    phase: (name) => {
      const now = performance.now();
      phases.push([phaseName, (now - phaseStart) / 1000]);
      phaseName = name;
      phaseStart = now;
    },
    progress: () => undefined,
    log: (m, level) => {
      if (level === 'warn' || level === 'error') process.stderr.write(`  ${level}: ${m}\n`);
    },
    saveCheckpoint: () => undefined,
  };
  const t0 = performance.now();
  const cpu0 = process.cpuUsage();
  const result = await runBackup(
    { vcenter: vc, vcenterGuid, repository: repo, hooks: noHooks, clock: { now: () => Date.now() } },
    { jobId, vm, policy: { consistency: 'crash', onQuiesceFailure: 'fail', excludedDisks: [], immutabilityDays: 1 } },
    ctx,
  );
  const seconds = (performance.now() - t0) / 1000;
  const cpu = process.cpuUsage(cpu0);
  phases.push([phaseName, (performance.now() - phaseStart) / 1000]);
  return { seconds, result, phases: phases.filter(([n]) => n !== 'start'), cpu: (cpu.user + cpu.system) / 1e6 };
}

const r2 = (n: number): number => Math.round(n * 100) / 100;
const r3 = (n: number): number => Math.round(n * 1000) / 1000;
const phaseSeconds = (t: Timed, name: string): number => t.phases.filter(([n]) => n === name).reduce((sum, [, sec]) => sum + sec, 0);
const phaseLine = (t: Timed): string => t.phases.map(([n, s]) => `${n} ${s.toFixed(2)}s`).join(', ');

runSimBench('backup', DISK_GIB, async (sim, work) => {
  const vm = sim.vms[0];
  const disk = vm?.disks[0];
  if (!vm || !disk) throw new Error('the simulator made no VM disk');
  process.stderr.write(`writing ${DATA_MIB} MiB of mixed data into ${disk.flatFile} (${DISK_GIB} GiB disk)\n`);
  const image = join(work, 'image.raw');
  await buildImage(image, DATA_MIB, 'modulo');
  await writeImage(sim, vm.moref, disk.key, image);
  await rm(image);

  const repoDir = join(work, 'repo');
  await initRepository(repoDir, { encrypt: true, passphrase: PASSPHRASE }, never);
  const repo = await Repository.open(repoDir, { passphrase: PASSPHRASE }, never);
  const vc = await connectVcenter({ url: sim.url, thumbprint: sim.thumbprint, user: sim.username, password: sim.password });
  try {
    const load = loadavg()[0] ?? 0;
    const simCpu0 = await processCpuSeconds(sim.pid);
    const full = await timedBackup(vc, sim.instanceUuid, repo, vm.moref, 'bench-full');
    const simCpu = (await processCpuSeconds(sim.pid)) - simCpu0;
    const allocated = DATA_MIB * MiB;
    process.stdout.write(
      `full backup: ${full.seconds.toFixed(2)} s, ${r2(allocated / 1e6 / full.seconds)} MB/s of allocated data, read ${r2(full.result.bytesRead / MiB)} MiB, ` +
        `stored ${r2(full.result.newStoredBytes / MiB)} MiB\n  phases: ${phaseLine(full)}\n` +
        `  CPU: Lifeline ${full.cpu.toFixed(1)} s, simulator ${simCpu.toFixed(1)} s; load average ${load.toFixed(1)} at the start\n`,
    );

    const blocks = (DISK_GIB * GiB) / BLOCK;
    const random = mulberry32(0xb4c);
    const picked = new Set<number>();
    while (picked.size < Math.round(blocks * CHANGED_FRACTION)) picked.add(Math.floor(random() * blocks));
    await rewriteBlocks(sim, vm.moref, disk.key, [...picked]);
    process.stderr.write(`rewrote ${picked.size} of ${blocks} blocks of 4 MiB\n`);

    const incr = await timedBackup(vc, sim.instanceUuid, repo, vm.moref, 'bench-incr');
    if (incr.result.disks[0]?.mode !== 'incremental') throw new Error(`the second backup was not incremental: ${incr.result.disks[0]?.reason ?? ''}`);
    process.stdout.write(
      `incremental backup: ${incr.seconds.toFixed(2)} s, read ${r2(incr.result.bytesRead / MiB)} MiB (${picked.size} blocks changed), ` +
        `stored ${r2(incr.result.newStoredBytes / MiB)} MiB\n  phases: ${phaseLine(incr)}\n`,
    );
    process.stdout.write(
      JSON.stringify({
        bench: 'backup',
        disk_GiB: DISK_GIB,
        full_s: r2(full.seconds),
        full_MBps: r2(allocated / 1e6 / full.seconds),
        incr_s: r2(incr.seconds),
        incr_ratio: r3(incr.seconds / full.seconds),
        incr_read_MiB: r2(incr.result.bytesRead / MiB),
        full_snapshot_s: r2(phaseSeconds(full, 'snapshot')),
        incr_snapshot_s: r2(phaseSeconds(incr, 'snapshot')),
        full_read_MBps: r2(full.result.bytesRead / 1e6 / phaseSeconds(full, 'read')),
        full_cpu_s: r2(full.cpu),
        full_sim_cpu_s: r2(simCpu),
        load_1m: r2(load),
      }) + '\n',
    );
  } finally {
    vc.close();
    await repo.close();
  }
});
