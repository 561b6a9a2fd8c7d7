/**
 * `npm run bench -- replication-store`: replication between two repositories on this machine,
 * through the in-process link (no network): the store-level part of replicating to a DR site.
 *
 * A 1 GiB disk of the store benchmark's mixed data (store-image.ts) is backed up into an encrypted
 * repository (site A), which a replica repository (site B) is made from. Then: a full replication
 * of the point; an incremental one after 1 % of the disk's blocks changed (backed up again at A
 * first, not timed); and the replication of a second VM with the same data. full_MBps is 10^6
 * bytes of the disk's logical size replicated per wall second; wire bytes are the stored chunk
 * bytes the link carried plus the offers' manifests and indexes.
 *
 * Environment: LIFELINE_BENCH_DIR keeps the work directory elsewhere than the system temp dir.
 */
import { mkdtemp, open, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { InProcessLink, ReplicaSiteReceiver, replicatePoint } from '../plugin-server/src/replication/index.js';
import { exportReplicaSeed, FileDiskReader, initReplicaRepository, initRepository, PointWriter, Repository } from '../plugin-server/src/store/index.js';
import { buildImage } from './store-image.js';

const MiB = 1024 * 1024;
const SIZE_MIB = Number(process.env['LIFELINE_BENCH_MIB'] ?? 1024);
const never = new AbortController().signal;
const PASS_A = 'bench site A passphrase';
const PASS_B = 'bench site B passphrase';
const SECRET = 'bench transfer secret';

async function backup(repo: Repository, vm: string, image: string): Promise<string> {
  const reader = await FileDiskReader.open(image);
  try {
    const w = await PointWriter.begin(repo, { vm: { id: vm, name: vm }, consistency: 'crash' }, never);
    await w.ingestDisk({ disk: 0, capacity: reader.capacity, reader }, never);
    return (await w.commit(never)).id;
  } finally {
    await reader.close();
  }
}

async function main(): Promise<void> {
  const root = await mkdtemp(join(process.env['LIFELINE_BENCH_DIR'] ?? tmpdir(), 'lifeline-bench-replication-'));
  try {
    const image = join(root, 'disk.img');
    await buildImage(image, SIZE_MIB);
    const aDir = join(root, 'a');
    const bDir = join(root, 'b');
    await initRepository(aDir, { encrypt: true, passphrase: PASS_A }, never);
    const a = await Repository.open(aDir, { passphrase: PASS_A }, never);
    await initReplicaRepository(bDir, await exportReplicaSeed(a, SECRET, never), { transferSecret: SECRET, passphrase: PASS_B, source: 'bench A' }, never);
    const b = await Repository.open(bDir, { passphrase: PASS_B }, never);
    const receiver = new ReplicaSiteReceiver({ replicaOf: (id) => (id === b.id ? b : undefined), immutableDays: 1 });
    const run = async (pointId: string) => {
      const link = new InProcessLink(receiver);
      const t0 = performance.now();
      const report = await replicatePoint(a, pointId, link, { signal: never, ...(process.env['LIFELINE_BENCH_CONCURRENCY'] ? { concurrency: Number(process.env['LIFELINE_BENCH_CONCURRENCY']) } : {}) });
      const s = (performance.now() - t0) / 1000;
      return { s, report, wire: link.counters.chunkBytes + link.counters.offerBytes, chunks: link.counters.chunks };
    };

    const p1 = await backup(a, 'vm-1', image);
    const full = await run(p1);
    const logical = SIZE_MIB * MiB;
    console.log(`full: ${full.chunks} chunks, ${(full.wire / MiB).toFixed(1)} MiB on the link, ${full.s.toFixed(2)} s, ${(logical / 1e6 / full.s).toFixed(0)} MB/s of disk, ${(full.report.bytesSent / 1e6 / full.s).toFixed(0)} MB/s of stored chunks`);

    // 1 % of the 1 MiB blocks get 64 KiB of new data each.
    const fh = await open(image, 'r+');
    const blocks = Math.max(1, Math.round(SIZE_MIB / 100));
    for (let i = 0; i < blocks; i++) {
      const at = Math.floor(((i + 0.5) * SIZE_MIB) / blocks) * MiB;
      const data = Buffer.alloc(64 * 1024);
      for (let j = 0; j < data.length; j += 4) data.writeUInt32LE((i * 2654435761 + j * 40503) >>> 0, j);
      await fh.write(data, 0, data.length, at);
    }
    await fh.close();
    const p2 = await backup(a, 'vm-1', image);
    const incr = await run(p2);
    console.log(`incremental after 1 % change: ${incr.chunks} of ${incr.report.chunks} chunks, ${(incr.wire / MiB).toFixed(1)} MiB on the link, ${incr.s.toFixed(2)} s`);

    const p3 = await backup(a, 'vm-2', image);
    const clone = await run(p3);
    console.log(`second VM, same data: ${clone.chunks} chunks, ${(clone.wire / 1024).toFixed(1)} KiB on the link, ${clone.s.toFixed(2)} s`);

    await a.close();
    await b.close();
    console.log(
      JSON.stringify({
        bench: 'replication-store',
        disk_MiB: SIZE_MIB,
        full_MBps: Math.round(logical / 1e6 / full.s),
        full_chunks: full.chunks,
        full_wire_MiB: +(full.wire / MiB).toFixed(1),
        incr_chunks: incr.chunks,
        incr_wire_ratio: +(incr.wire / full.wire).toFixed(4),
        incr_ratio: +(incr.s / full.s).toFixed(3),
        clone_chunks: clone.chunks,
        clone_wire_KiB: +(clone.wire / 1024).toFixed(1),
      }),
    );
  } finally {
    await rm(root, { recursive: true, force: true });
  }
}

await main();
