/**
 * The S3 store benchmark: `npm run bench -- store-s3`.
 *
 * The store benchmark's 2 GiB mixed image (store-image.ts, the same pool choice as store.ts) is
 * ingested into a fresh encrypted repository whose objects live in a throwaway Ceph cluster
 * (test/ceph/ceph-cluster.ts: radosgw over one memstore OSD, on loopback), then restored, and
 * the restored file's SHA-256 is checked against the image's. MB/s = image bytes / wall seconds.
 * requests_per_GiB counts the S3 requests radosgw served (its own `rgw.req` counter, read
 * through its admin socket) during ingest and restore, per GiB of image.
 *
 * Environment: LIFELINE_BENCH_DIR keeps the work directory (and the image) between runs;
 * LIFELINE_BENCH_MIB makes a smaller image for a quick look.
 */
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdir, mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { FileDiskReader, FileDiskWriter, initRepository, PointWriter, Repository, restoreDisk } from '../plugin-server/src/store/index.js';
import { cephBinary, startCephCluster } from '../test/ceph/ceph-cluster.js';
import { buildImage } from './store-image.js';

const MiB = 1024 * 1024;
const PASSPHRASE = 'lifeline benchmark passphrase';
const run = promisify(execFile);

async function sha256(path: string): Promise<string> {
  const h = createHash('sha256');
  for await (const piece of createReadStream(path)) h.update(piece as Buffer);
  return h.digest('hex');
}

async function rgwRequests(clusterDir: string): Promise<number> {
  const { stdout } = await run(cephBinary('ceph'), ['--admin-daemon', join(clusterDir, 'run', 'client.rgw.asok'), 'perf', 'dump']);
  const dump = JSON.parse(stdout) as { rgw?: { req?: number } };
  return dump.rgw?.req ?? 0;
}

async function main(): Promise<void> {
  const sizeMiB = Number(process.env['LIFELINE_BENCH_MIB'] ?? 2048);
  const keep = process.env['LIFELINE_BENCH_DIR'];
  const work = keep ?? (await mkdtemp(join(tmpdir(), 'lifeline-bench-s3-')));
  await mkdir(work, { recursive: true });
  const image = join(work, `image-modulo-pool-v1-${sizeMiB}.img`);
  if (!(await stat(image).then((s) => s.size === sizeMiB * MiB, () => false))) await buildImage(image, sizeMiB, 'modulo');
  const imageSha = await sha256(image);
  const cluster = await startCephCluster();
  const signal = new AbortController().signal;
  const repoDir = join(work, `repo-s3-${Date.now()}`);
  try {
    process.stderr.write(`ceph cluster ready in ${(cluster.startMs / 1000).toFixed(1)} s\n`);
    const credentials = { accessKeyId: cluster.accessKeyId, secretAccessKey: cluster.secretAccessKey };
    const s3 = { endpoint: cluster.endpoint, region: 'us-east-1', bucket: 'bench', prefix: '', forcePathStyle: true };
    await initRepository(repoDir, { encrypt: true, passphrase: PASSPHRASE, s3, s3Credentials: credentials }, signal);
    const repo = await Repository.open(repoDir, { passphrase: PASSPHRASE, s3Credentials: credentials }, signal);
    let ingestSeconds: number;
    let restoreSeconds: number;
    let requests: number;
    const out = join(work, 'restored.img');
    try {
      const r0 = await rgwRequests(cluster.dir);
      const reader = await FileDiskReader.open(image);
      const t0 = performance.now();
      let pointId: string;
      try {
        const w = await PointWriter.begin(repo, { vm: { id: 'bench', name: 'bench' }, consistency: 'crash' }, signal);
        const res = await w.ingestDisk({ disk: 0, capacity: reader.capacity, reader }, signal);
        pointId = (await w.commit(signal)).id;
        ingestSeconds = (performance.now() - t0) / 1000;
        process.stderr.write(`ingest: ${ingestSeconds.toFixed(1)} s, ${res.newChunks} new chunks (${(res.newStoredBytes / MiB).toFixed(0)} MiB stored), ${res.zeroChunks} zero\n`);
      } finally {
        await reader.close();
      }
      const t1 = performance.now();
      const index = await repo.openIndex(pointId, 0, signal);
      const writer = await FileDiskWriter.create(out, index.capacity);
      try {
        await restoreDisk({ index, source: repo.chunks(), writer, signal, zeroSlots: 'skip' });
      } finally {
        await writer.close(false);
      }
      restoreSeconds = (performance.now() - t1) / 1000;
      requests = (await rgwRequests(cluster.dir)) - r0;
    } finally {
      await repo.close();
    }
    const restoredSha = await sha256(out);
    await rm(out, { force: true });
    if (restoredSha !== imageSha) throw new Error(`the restored image differs from the original (${restoredSha} vs ${imageSha})`);
    const bytes = sizeMiB * MiB;
    const line = {
      bench: 'store-s3',
      ingest_MBps: Math.round(bytes / ingestSeconds / 1e6),
      restore_MBps: Math.round(bytes / restoreSeconds / 1e6),
      requests_per_GiB: Math.round(requests / (bytes / 1024 ** 3)),
    };
    process.stdout.write(`ingest ${ingestSeconds.toFixed(1)} s, restore ${restoreSeconds.toFixed(1)} s, ${requests} S3 requests, restored image checked\n`);
    process.stdout.write(`${JSON.stringify(line)}\n`);
  } finally {
    await cluster.stop();
    await rm(repoDir, { recursive: true, force: true });
    if (!keep) await rm(work, { recursive: true, force: true });
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`store-s3: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exitCode = 1;
});
