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
 * - revert_8g_s and revert_64g_s: null. Instant revert (attaching published disks to a VM) does not
 *   exist yet, so the 64 GiB disk the revert figures need is not built either.
 *
 * Environment: LIFELINE_BENCH_DIR keeps the work directory elsewhere than the system temp dir;
 * LIFELINE_BENCH_INSTANT_MIB changes the amount of data (default 4096).
 */
import { execFile } from 'node:child_process';
import { mkdtemp, rm, truncate } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { createLogger } from '../plugin-server/src/log/index.js';
import { NfsServer, Publications, type Publication } from '../plugin-server/src/nfs/index.js';
import { FileDiskReader, initRepository, PointWriter, Repository } from '../plugin-server/src/store/index.js';
import { RpcConnection } from '../test/nfs/rpc-client.js';
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
      process.stdout.write('instant revert: not built yet (revert_8g_s, revert_64g_s null)\n');
      process.stdout.write(
        `${JSON.stringify({ bench: 'instant', revert_8g_s: null, revert_64g_s: null, nfs_read_MBps: r2(nfsRead), nfs_read_qd1_MBps: r2(qd1), first_byte_ms: r2(firstByte), data_mib: DATA_MIB, disk_gib: DISK_GIB })}\n`,
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
