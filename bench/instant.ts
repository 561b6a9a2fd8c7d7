/**
 * `npm run bench -- instant`: restore points served over Lifeline's NFS server, read by real
 * NFS clients on loopback.
 *
 * One 8 GiB disk whose first 4 GiB hold the store benchmark's mixed data (store-image.ts),
 * backed up once into a fresh encrypted repository (not timed), then published:
 * - nfs_read_MBps: `qemu-img bench` (qemu's nfs driver, libnfs) reading the 4 GiB of data once,
 *   sequentially, 1 MiB requests, 8 in flight, from a server just started (cold chunk cache);
 *   10^6 bytes per wall second. nfs_read_qd1_MBps: the same with one request at a time, over the
 *   first GiB, on another fresh server.
 * - first_byte_ms: a fresh server, a bare RPC client (test/nfs/rpc-client.ts) mounts and looks up
 *   the flat extent, then the time of its first READ of 4 KiB of data: the disk's index opened,
 *   one chunk fetched, decrypted, decompressed and verified. Median of 5 fresh servers. The
 *   operating system's page cache is not dropped (other people share this machine), so the chunk
 *   files may come from memory.
 * - revert_8g_s and revert_64g_s: an instant revert (instant/instant-revert.ts) of a running VM of
 *   the vCenter simulator to a point of its 8 GiB disk, then of another's 64 GiB disk, each holding
 *   the same 4 GiB of data (sparse): publish, mount the NFS datastore (the simulator reaches it
 *   over NFS, test/vcsim/nas.go), power off, swap the disk, power on from the NFS datastore; wall
 *   seconds. The points are backed up first (not timed) with the data as the only changed area.
 *   Each VM's first MiB is then read through the datastore to check it runs from the point, and
 *   the revert is cancelled.
 *
 * Environment: LIFELINE_BENCH_DIR keeps the work directory elsewhere than the system temp dir;
 * LIFELINE_BENCH_INSTANT_MIB changes the amount of data (default 4096).
 */
import { execFile } from 'node:child_process';
import { mkdtemp, open, rm, truncate } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { vmKey } from '../plugin-server/src/domain/index.js';
import { InstantStore, runInstantCancel, runInstantRevert } from '../plugin-server/src/instant/index.js';
import { createLogger } from '../plugin-server/src/log/index.js';
import { NfsServer, Publications, type Publication } from '../plugin-server/src/nfs/index.js';
import { FileDiskReader, initRepository, PointWriter, Repository } from '../plugin-server/src/store/index.js';
import { connectVcenter } from '../plugin-server/src/vsphere/index.js';
import { RpcConnection } from '../test/nfs/rpc-client.js';
import { startVcsim } from '../test/vcsim/harness.js';
import { buildImage } from './store-image.js';

const run = promisify(execFile);
const MiB = 1024 * 1024;
const GiB = 1024 * MiB;
const DISK_GIB = 8;
const DATA_MIB = Number(process.env['LIFELINE_BENCH_INSTANT_MIB'] ?? 4096);
const PASSPHRASE = 'lifeline benchmark passphrase';
const never = new AbortController().signal;
const r2 = (n: number): number => Math.round(n * 100) / 100;
const log = createLogger({ level: 'warn' });

async function served<T>(repo: Repository, dataDir: string, pointId: string, body: (server: NfsServer, pub: Publication) => Promise<T>): Promise<T> {
  const publications = await Publications.open({ dataDir, repository: repo });
  const server = await NfsServer.start({ publications, host: '127.0.0.1', port: 0, portmapperPort: 111, clients: ['127.0.0.1'], log });
  try {
    const pub = publications.byId((await publications.publish(pointId)).id) as Publication;
    return await body(server, pub);
  } finally {
    await server.close();
    await publications.close();
    await rm(dataDir, { recursive: true, force: true });
  }
}

async function qemuBench(url: string, count: number, depth: number): Promise<number> {
  const t0 = performance.now();
  await run('qemu-img', ['bench', '-f', 'raw', '-c', String(count), '-d', String(depth), '-s', '1M', '-S', '1M', url], { maxBuffer: 1024 * 1024 });
  return (performance.now() - t0) / 1000;
}

/** Seconds of an instant revert of a running simulator VM with one disk of `diskGib` GiB. */
async function instantRevert(repo: Repository, work: string, image: string, diskGib: number): Promise<number> {
  await truncate(image, diskGib * GiB);
  const sim = await startVcsim({ vms: 1, disks: 1, diskSize: `${diskGib}GiB` });
  const vc = await connectVcenter({ url: sim.url, thumbprint: sim.thumbprint, user: sim.username, password: sim.password, keepAliveMs: 0 });
  const dataDir = join(work, `data-revert-${diskGib}`);
  const publications = await Publications.open({ dataDir, repository: repo });
  const server = await NfsServer.start({ publications, host: '127.0.0.1', port: 0, portmapperPort: 111, clients: ['127.0.0.1'], log });
  try {
    const vm = sim.vms[0]!;
    const ref = { vcenterGuid: sim.instanceUuid, moref: vm.moref };
    const t0 = performance.now();
    const writer = await PointWriter.begin(repo, { vm: { id: vmKey(ref), name: vm.name, config: {} }, consistency: 'crash', base: null }, never);
    const reader = await FileDiskReader.open(image);
    try {
      const key = vm.disks[0]!.key;
      await writer.ingestDisk({ disk: key, capacity: reader.capacity, reader, label: 'Hard disk 1', changed: { since: null, areas: [{ start: 0, length: DATA_MIB * MiB }] } }, never);
    } finally {
      await reader.close();
    }
    const pointId = (await writer.commit(never)).id;
    process.stdout.write(`backup of the ${diskGib} GiB disk (setup): ${((performance.now() - t0) / 1000).toFixed(2)} s\n`);
    const deps = { vcenter: vc, publications, repository: repo, export: { datastoreName: 'lifeline-bench', remoteHost: '127.0.0.1', remotePath: '/lifeline' }, store: await InstantStore.open(dataDir) };
    const ctx = { signal: AbortSignal.timeout(600_000), log: () => undefined };
    const t1 = performance.now();
    await runInstantRevert(deps, { vm: ref, pointId, powerOff: true }, ctx);
    const seconds = (performance.now() - t1) / 1000;
    const info = await vc.getVm(vm.moref);
    // Block 3 of the mixed data is text (store-image.ts): the guest must see the point's bytes there.
    const seen = await sim.readDisk(vm.moref, info.disks[0]!.key, 3 * MiB, MiB);
    const fh = await open(image, 'r');
    const want = Buffer.alloc(MiB);
    await fh.read(want, 0, MiB, 3 * MiB).finally(() => fh.close());
    if (info.powerState !== 'poweredOn' || !info.disks[0]!.fileName.startsWith('[lifeline-bench] ') || !seen.equals(want) || want.every((b) => b === 0)) {
      throw new Error(`the VM does not run from the point (${info.powerState}, ${info.disks[0]!.fileName})`);
    }
    process.stdout.write(`instant revert of a running VM, ${diskGib} GiB disk: ${seconds.toFixed(2)} s\n`);
    await runInstantCancel(deps, ref, ctx);
    return seconds;
  } finally {
    vc.close();
    await server.close();
    await publications.close();
    await sim.stop();
    await rm(dataDir, { recursive: true, force: true });
  }
}

async function main(): Promise<void> {
  const work = await mkdtemp(join(process.env['LIFELINE_BENCH_DIR'] ?? tmpdir(), 'lifeline-bench-instant-'));
  try {
    const image = join(work, 'disk.img');
    process.stderr.write(`writing ${DATA_MIB} MiB of mixed data into a ${DISK_GIB} GiB disk\n`);
    await buildImage(image, DATA_MIB, 'modulo');
    await truncate(image, DISK_GIB * GiB);
    const repoDir = join(work, 'repo');
    await initRepository(repoDir, { encrypt: true, passphrase: PASSPHRASE }, never);
    const repo = await Repository.open(repoDir, { passphrase: PASSPHRASE }, never);
    try {
      const t0 = performance.now();
      const writer = await PointWriter.begin(repo, { vm: { id: 'bench-vm', name: 'bench vm', config: {} }, consistency: 'crash', base: null }, never);
      const reader = await FileDiskReader.open(image);
      try {
        await writer.ingestDisk({ disk: 0, capacity: reader.capacity, reader, label: 'Hard disk 1' }, never);
      } finally {
        await reader.close();
      }
      const pointId = (await writer.commit(never)).id;
      process.stdout.write(`backup (setup): ${((performance.now() - t0) / 1000).toFixed(2)} s\n`);
      const revert8 = await instantRevert(repo, work, image, 8);
      const revert64 = await instantRevert(repo, work, image, 64);
      await rm(image);

      const url = (pub: Publication) => `nfs://127.0.0.1/lifeline/${pub.folder}/disk0-flat.vmdk`;
      const seconds = await served(repo, join(work, 'data-seq'), pointId, (_s, pub) => qemuBench(url(pub), DATA_MIB, 8));
      const nfsRead = (DATA_MIB * MiB) / 1e6 / seconds;
      process.stdout.write(`sequential read, 8 in flight: ${DATA_MIB} MiB in ${seconds.toFixed(2)} s, ${r2(nfsRead)} MB/s\n`);
      const qd1Mib = Math.min(1024, DATA_MIB);
      const seconds1 = await served(repo, join(work, 'data-qd1'), pointId, (_s, pub) => qemuBench(url(pub), qd1Mib, 1));
      const qd1 = (qd1Mib * MiB) / 1e6 / seconds1;
      process.stdout.write(`sequential read, 1 in flight: ${qd1Mib} MiB in ${seconds1.toFixed(2)} s, ${r2(qd1)} MB/s\n`);

      const firstBytes: number[] = [];
      for (let i = 0; i < 5; i++) {
        const ms = await served(repo, join(work, `data-fb${i}`), pointId, async (server, pub) => {
          const conn = await RpcConnection.open(server.port);
          try {
            const folder = (await conn.mount(`/lifeline/${pub.folder}`)).handle as Buffer;
            const file = (await conn.lookup(folder, 'disk0-flat.vmdk')).handle as Buffer;
            // Block 3 is text (store-image.ts): a stored chunk, never a hole. A different chunk each time.
            const offset = (3 + i * 40) * MiB;
            const t = performance.now();
            const read = await conn.read(file, offset, 4096);
            const elapsed = performance.now() - t;
            if (read.status !== 0 || !read.data || read.data.every((b) => b === 0)) throw new Error(`first read failed (status ${read.status})`);
            return elapsed;
          } finally {
            conn.close();
          }
        });
        firstBytes.push(ms);
      }
      firstBytes.sort((a, b) => a - b);
      const firstByte = firstBytes[2] as number;
      process.stdout.write(`first byte of a cold disk: ${firstBytes.map((m) => m.toFixed(1)).join(', ')} ms; median ${firstByte.toFixed(1)} ms\n`);
      process.stdout.write(
        `${JSON.stringify({ bench: 'instant', revert_8g_s: r2(revert8), revert_64g_s: r2(revert64), nfs_read_MBps: r2(nfsRead), nfs_read_qd1_MBps: r2(qd1), first_byte_ms: r2(firstByte), data_mib: DATA_MIB, disk_gib: DISK_GIB })}\n`,
      );
    } finally {
      await repo.close();
    }
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});
