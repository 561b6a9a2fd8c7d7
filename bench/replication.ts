/**
 * `npm run bench -- replication [--disk-gib 8] [--data-gib 4]`: replication between two sites on
 * this machine over HTTPS with mutual TLS on loopback — site A's encrypted repository, site B's
 * replicas behind a site listener that pins A's certificate, A's client pinning B's; B's replica
 * is created from A's seed on first contact. Site B runs in a process of its own (the site
 * listener of test/replication/site-server-child.ts), site A in this one; both share the
 * machine's cores.
 *
 * The disk: `--disk-gib` (default 8) with `--data-gib` (default 4) of the store benchmark's mixed
 * blocks (store-image.ts: text, random, repeated pool blocks and zero holes), the rest holes.
 * Backups at A are not timed. Then:
 *   full           the first replication of the VM's point;
 *   incremental    after 1 % of the data blocks changed (64 KiB of new data in each);
 *   clone          a second VM backed up from the same image: B holds every chunk already;
 *   throttle       new (incompressible) data for a third VM at a 20 MB/s limit, measured in wall time.
 * Figures: full_MBps = 10^6 bytes of the disk's logical size replicated per wall second;
 * wire_ratio = bytes that crossed the TCP connections (both ways, TLS and HTTP included) / stored
 * bytes of the chunks B lacked; incr_ratio = incremental time / full time; clone_wire_MiB = bytes
 * on the wire for the clone; throttle_error = |measured − 20| / 20 MB/s.
 *
 * Each timed run also prints its phases as each site saw them (ms): at A the sender's
 * (sender.ts: reading the point, the offer, first chunk acknowledged, all chunks, the commit), at B
 * the receiver's from its debug log (receiver.ts).
 *
 * Environment: LIFELINE_BENCH_DIR keeps the work directory elsewhere than the system temp dir.
 */
import { spawn, type ChildProcessByStdio } from 'node:child_process';
import type { Readable } from 'node:stream';
import { createCipheriv, randomBytes } from 'node:crypto';
import { mkdtemp, open, rm, truncate, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ensureServerCertificate } from '../plugin-server/src/server/tls/server-certificate.js';
import { silentLogger } from '../plugin-server/src/log/logger.js';
import {
  BandwidthLimiter,
  HttpReplicaReceiver,
  replicatePoint,
  sealSeedFor,
  throttled,
  type ReplicaReceiver,
  type ReplicationTimings,
  type SiteIdentity,
} from '../plugin-server/src/replication/index.js';
import { FileDiskReader, initRepository, PointWriter, Repository } from '../plugin-server/src/store/index.js';
import { identityDirB } from '../test/replication/link-sites.js';
import { buildImage } from './store-image.js';

const MiB = 1024 * 1024;
const GiB = 1024 * MiB;
const never = new AbortController().signal;
const SITE_B = fileURLToPath(new URL('../test/replication/site-server-child.js', import.meta.url));

function flag(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  const v = i >= 0 ? Number(process.argv[i + 1]) : fallback;
  if (!Number.isFinite(v) || v <= 0) throw new Error(`--${name} must be a positive number`);
  return v;
}

async function identity(dir: string, name: string): Promise<SiteIdentity> {
  const c = await ensureServerCertificate({ dataDir: dir, log: silentLogger, names: ['127.0.0.1'] });
  return { name, certPem: c.certPem, keyPem: c.keyPem, thumbprint: c.thumbprint };
}

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
  const diskGiB = flag('disk-gib', 8);
  const dataGiB = Math.min(diskGiB, flag('data-gib', 4));
  const root = await mkdtemp(join(process.env['LIFELINE_BENCH_DIR'] ?? tmpdir(), 'lifeline-bench-replication-'));
  let siteB: ChildProcessByStdio<null, Readable, null> | undefined;
  try {
    const image = join(root, 'disk.img');
    // store-image.ts leaves 3 blocks in 10 as holes: write enough blocks for `dataGiB` of data.
    const imageMiB = Math.min(diskGiB * 1024, Math.round((dataGiB * 1024) / 0.7));
    await buildImage(image, imageMiB);
    await truncate(image, diskGiB * GiB);
    const logical = diskGiB * GiB;
    console.log(`disk: ${diskGiB} GiB, ${((imageMiB * 0.7) / 1024).toFixed(2)} GiB of mixed data`);

    await initRepository(join(root, 'a'), { encrypt: true, passphrase: 'bench site A passphrase' }, never);
    const a = await Repository.open(join(root, 'a'), { passphrase: 'bench site A passphrase' }, never);
    const idA = await identity(join(root, 'a-data'), 'bench A');
    // Site B's certificate is made here and loaded by its process.
    const idB = await identity(identityDirB(root), 'bench B');
    siteB = spawn(process.execPath, [SITE_B, root, idA.thumbprint, '0'], { stdio: ['ignore', 'pipe', 'inherit'] });
    // Site B's phases of each point it committed, from its debug log (receiver.ts).
    const phasesAtB = new Map<string, Record<string, unknown>>();
    const listener = {
      url: await new Promise<string>((resolve, reject) => {
        let out = '';
        siteB?.once('exit', (code) => reject(new Error(`site B exited (${String(code)})`)));
        siteB?.stdout.on('data', (d: Buffer) => {
          out += d.toString();
          const lines = out.split('\n');
          out = lines.pop() ?? '';
          for (const l of lines) {
            const m = /^listening (\d+)/.exec(l);
            if (m) resolve(`https://127.0.0.1:${m[1]}`);
            // Its "ack" lines are not needed here.
            if (!l.startsWith('log ')) continue;
            const rec = JSON.parse(l.slice(4)) as Record<string, unknown>;
            if (rec['msg'] === 'replicated point committed' && typeof rec['pointId'] === 'string') phasesAtB.set(rec['pointId'], rec);
          }
        });
      }),
    };
    const phases = (name: string, r: { report: { pointId: string; timings: ReplicationTimings } }): void => {
      const b = phasesAtB.get(r.report.pointId);
      const at = (rec: object | undefined, keys: readonly string[]) => (rec ? keys.map((k) => `${k} ${String((rec as Record<string, unknown>)[k])}`).join(', ') : 'not logged');
      console.log(`  ${name} phases at A (ms): ${at(r.report.timings, ['parcelMs', 'offerMs', 'firstChunkMs', 'chunksMs', 'commitMs', 'totalMs'])}`);
      console.log(`  ${name} phases at B (ms): ${at(b, ['offerMs', 'firstChunkAfterMs', 'chunksMs', 'chunkWorkMs', 'commitAfterMs', 'commitMs'])}`);
    };
    const client = (): HttpReplicaReceiver =>
      new HttpReplicaReceiver({ url: listener.url, identity: idA, peerThumbprint: idB.thumbprint, seedFor: (der, signal) => sealSeedFor(a, der, signal) });
    const run = async (pointId: string, limit?: number) => {
      const c = client();
      try {
        const link: ReplicaReceiver = limit ? throttled(c, new BandwidthLimiter(() => ({ bandwidthMBps: limit, window: null }))) : c;
        const t0 = performance.now();
        const report = await replicatePoint(a, pointId, link, { signal: never });
        const s = (performance.now() - t0) / 1000;
        return { s, report, wire: c.agent.wireBytes, offerBytes: c.counters.offerBytes };
      } finally {
        c.close();
      }
    };

    // The seed crosses once, before the timed runs: B's replica exists from then on.
    const seedImage = join(root, 'seed.img');
    await writeFile(seedImage, randomBytes(MiB));
    const seedPoint = await backup(a, 'seed-vm', seedImage);
    await run(seedPoint);

    const p1 = await backup(a, 'vm-1', image);
    const full = await run(p1);
    console.log(
      `full: ${full.report.chunksSent} chunks, ${(full.report.bytesSent / MiB).toFixed(1)} MiB stored, ${(full.wire / MiB).toFixed(1)} MiB on the wire, ` +
        `${full.s.toFixed(2)} s: ${(logical / 1e6 / full.s).toFixed(0)} MB/s of disk, ${(full.report.bytesSent / 1e6 / full.s).toFixed(0)} MB/s of stored chunks`,
    );
    phases('full', full);

    // 1 % of the data blocks get 64 KiB of new data each.
    const fh = await open(image, 'r+');
    const blocks = Math.max(1, Math.round(imageMiB / 100));
    for (let i = 0; i < blocks; i++) {
      const at = Math.floor(((i + 0.5) * imageMiB) / blocks) * MiB;
      const data = Buffer.alloc(64 * 1024);
      for (let j = 0; j < data.length; j += 4) data.writeUInt32LE((i * 2654435761 + j * 40503) >>> 0, j);
      await fh.write(data, 0, data.length, at);
    }
    await fh.close();
    const p2 = await backup(a, 'vm-1', image);
    const incr = await run(p2);
    console.log(`incremental after 1 % change: ${incr.report.chunksSent} of ${incr.report.chunks} chunks, ${(incr.wire / MiB).toFixed(1)} MiB on the wire, ${incr.s.toFixed(2)} s`);
    phases('incremental', incr);

    const p3 = await backup(a, 'vm-2', image);
    const clone = await run(p3);
    console.log(`clone (second VM, same data): ${clone.report.chunksSent} chunks, ${(clone.wire / MiB).toFixed(3)} MiB on the wire, ${clone.s.toFixed(2)} s`);

    // New data for a third VM, sent at 20 MB/s: 200 MiB, some 10 s of the link.
    const third = join(root, 'third.img');
    const thirdMiB = 200;
    const stream = createCipheriv('aes-256-ctr', Buffer.alloc(32, 3), Buffer.alloc(16));
    await writeFile(third, stream.update(Buffer.alloc(thirdMiB * MiB)));
    const p4 = await backup(a, 'vm-3', third);
    const limited = await run(p4, 20);
    const measured = (limited.report.bytesSent + limited.offerBytes) / 1e6 / limited.s;
    console.log(`throttle: ${(limited.report.bytesSent / 1e6).toFixed(1)} MB at a 20 MB/s limit in ${limited.s.toFixed(2)} s: ${measured.toFixed(2)} MB/s`);

    await a.close();
    console.log(
      JSON.stringify({
        bench: 'replication',
        full_MBps: Math.round(logical / 1e6 / full.s),
        wire_ratio: +(full.wire / full.report.bytesSent).toFixed(4),
        incr_ratio: +(incr.s / full.s).toFixed(4),
        clone_wire_MiB: +(clone.wire / MiB).toFixed(3),
        throttle_error: +(Math.abs(measured - 20) / 20).toFixed(4),
      }),
    );
  } finally {
    if (siteB && siteB.exitCode === null) {
      const exited = new Promise((resolve) => siteB?.once('exit', resolve));
      siteB.kill('SIGTERM');
      await exited;
    }
    await rm(root, { recursive: true, force: true });
  }
}

await main();
