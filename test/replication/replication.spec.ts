// Replication of restore points from site A's repository to site B's replica of it, over the
// in-process link: real files, real repositories, the stored chunks copied as they are. What a DR
// site relies on: a replicated point restores at B with A gone for good; only the chunks B lacks
// cross the link, also after an interruption, a crash of B, or a corrupted chunk; nothing
// partial is ever visible at B.
import { spawn } from 'node:child_process';
import { readFile, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { PointRow } from '../../plugin-server/src/catalog/index.js';
import { chunkKey } from '../../plugin-server/src/store/chunks/digest.js';
import { DAY_MS, initRepository, Repository } from '../../plugin-server/src/store/repository.js';
import { isStoreError } from '../../plugin-server/src/store/store-error.js';
import { exportReplicaSeed, initReplicaRepository, replicaOrigin, type ReplicaInitOptions, type ReplicaSeed } from '../../plugin-server/src/store/replica.js';
import { verifyRepository } from '../../plugin-server/src/store/maintenance/verify.js';
import { likelyLackedChunks, readPointParcel } from '../../plugin-server/src/store/engine/point-import.js';
import { sealManifest } from '../../plugin-server/src/store/engine/manifest.js';
import { replicatePoint, type OfferAnswer, type ReplicaReceiver } from '../../plugin-server/src/replication/index.js';
import { MAX_SESSIONS } from '../../plugin-server/src/replication/receiver.js';
import { FAST_SCRYPT, ingestImage, never, patchFile, pseudoRandom, restoredSha, sha256File, tempDir, writeImage } from '../store/store-fixtures.js';
import { createSites, IMMUTABLE_DAYS, linkTo, MiB, openSiteA, openSiteB, PASSPHRASE_A, PASSPHRASE_B, SITE_A_DIR, SITE_B_DIR, TRANSFER_SECRET, writeMixedImage } from './sites.js';

const DISK = 128 * MiB;
const CHILD = fileURLToPath(new URL('./replicate-child.js', import.meta.url));

/** Distinct non-zero chunk ids of a point's disk 0, in index order. */
async function pointChunks(repo: Repository, pointId: string): Promise<string[]> {
  return [...(await repo.openIndex(pointId, 0, never)).distinctDigests()];
}

/** How many of `chunks` the repository holds. */
async function held(repo: Repository, chunks: readonly string[]): Promise<number> {
  let n = 0;
  for (const hex of chunks) if (await repo.backend.stat(chunkKey(hex), never)) n++;
  return n;
}

/** A receiver that forwards to another and records the chunks it acknowledged. */
function recording(inner: ReplicaReceiver, acked: string[], before?: (hex: string, stored: Uint8Array, n: number) => Uint8Array): ReplicaReceiver {
  let n = 0;
  return {
    offer: (o, s) => inner.offer(o, s),
    putChunk: async (session, hex, stored, s) => {
      const bytes = before ? before(hex, stored, n++) : stored;
      await inner.putChunk(session, hex, bytes, s);
      acked.push(hex);
    },
    commit: (session, s) => inner.commit(session, s),
  };
}

describe('replication of restore points to a replica repository', () => {
  let dir: { path: string; remove: () => Promise<void> };
  let image: string;
  let imageSha: string;
  let a: Repository | undefined;
  let b: Repository | undefined;
  let point: PointRow;

  beforeEach(async () => {
    dir = await tempDir('replication');
    image = join(dir.path, 'disk.img');
    imageSha = await writeMixedImage(image, DISK);
    await createSites(dir.path);
    a = await openSiteA(dir.path);
    b = await openSiteB(dir.path);
    point = (await ingestImage(a, 'vm-1', image)).point;
  });

  afterEach(async () => {
    await a?.close();
    await b?.close();
    a = b = undefined;
    await dir.remove();
  });

  it('restores a replicated point at B byte for byte after A\'s repository is deleted, with A\'s point id and B\'s retention', async () => {
    const src = a as Repository;
    const chunks = await pointChunks(src, point.id);
    const link = linkTo(b as Repository);
    const report = await replicatePoint(src, point.id, link, { signal: never });
    expect(report.chunks).toBe(chunks.length);
    expect(report.chunksSent).toBe(chunks.length);
    expect(link.counters.chunks).toBe(chunks.length);
    // The stored form crossed as it is: B's chunk objects are A's bytes.
    for (const hex of chunks.slice(0, 3)) {
      const key = chunkKey(hex);
      expect(Buffer.compare(await readFile(join(dir.path, SITE_B_DIR, key)), await readFile(join(dir.path, SITE_A_DIR, key)))).toBe(0);
    }
    let stored = 0;
    for (const hex of chunks) stored += (await src.backend.stat(chunkKey(hex), never))?.size ?? 0;
    expect(link.counters.chunkBytes).toBe(stored);
    console.log(`replication figures: full replication of a ${DISK / MiB} MiB disk sent ${link.counters.chunks} chunks, ${link.counters.chunkBytes} bytes (+ ${link.counters.offerBytes} bytes of manifest and index)`);

    // A is gone for good: its repository, its keys, its catalog.
    await src.close();
    a = undefined;
    await rm(join(dir.path, SITE_A_DIR), { recursive: true, force: true });
    await b?.close();
    b = undefined;
    await expectAsync(Repository.open(join(dir.path, SITE_B_DIR), { passphrase: PASSPHRASE_A }, never)).toBeRejectedWith(jasmine.objectContaining({ code: 'wrong-passphrase' }));
    b = await openSiteB(dir.path);
    expect((await replicaOrigin(b, never))?.source).toBe('site A');
    const replicas = b.listPoints();
    expect(replicas.map((p) => p.id)).toEqual([point.id]);
    const [replica] = replicas as [PointRow];
    expect(replica.vmId).toBe('vm-1');
    expect(replica.createdAt).toBe(point.createdAt);
    expect(replica.retainUntil).toBeGreaterThanOrEqual(point.retainUntil);
    expect(replica.retainUntil).toBe(point.createdAt + IMMUTABLE_DAYS * DAY_MS);
    expect((await b.readManifest(point.id, never)).retainUntil).toBe(new Date(point.retainUntil).toISOString());
    // B's own lock: the point cannot be deleted there before B's immutability period ends.
    await expectAsync(b.deletePoint(point.id, never)).toBeRejectedWith(jasmine.objectContaining({ code: 'retention-locked' }));
    expect(await restoredSha(b, point.id, join(dir.path, 'restored.img'))).toBe(imageSha);
    const verified = await verifyRepository(b, { signal: never });
    expect(verified.problems).toEqual([]);
    expect(verified.damagedPoints).toEqual([]);
  });

  it('sends only the changed chunks when about 1 % of the disk changed', async () => {
    const src = a as Repository;
    const first = await replicatePoint(src, point.id, linkTo(b as Repository), { signal: never });
    // Three changes in three chunks, 1.3 MiB in all (about 1 % of 128 MiB).
    await patchFile(image, 1 * 4 * MiB + 100, pseudoRandom(1, 512 * 1024));
    await patchFile(image, 9 * 4 * MiB + 3 * MiB, pseudoRandom(2, 512 * 1024));
    await patchFile(image, 30 * 4 * MiB + 2 * MiB, pseudoRandom(3, 300 * 1024));
    const second = (await ingestImage(src, 'vm-1', image)).point;
    const before = new Set(await pointChunks(src, point.id));
    const changed = (await pointChunks(src, second.id)).filter((h) => !before.has(h));
    expect(changed.length).toBe(3);

    const link = linkTo(b as Repository);
    const acked: string[] = [];
    const report = await replicatePoint(src, second.id, recording(link, acked), { signal: never });
    expect(report.chunksSent).toBe(3);
    expect(link.counters.chunks).toBe(3);
    expect(acked.sort()).toEqual([...changed].sort());
    console.log(
      `replication figures: after a 1 % change, ${link.counters.chunks} of ${report.chunks} chunks sent, ${link.counters.chunkBytes} bytes ` +
        `(${((100 * link.counters.chunkBytes) / first.bytesSent).toFixed(1)} % of the first replication's ${first.bytesSent})`,
    );
    expect(await restoredSha(b as Repository, second.id, join(dir.path, 'restored.img'))).toBe(await sha256File(image));
  });

  it('looks up and locks at B only the chunks an incremental point does not share with the point before it, unless that one\'s lock ends sooner', async () => {
    const src = a as Repository;
    const dst = b as Repository;
    await replicatePoint(src, point.id, linkTo(dst), { signal: never });
    const before = new Set(await pointChunks(src, point.id));
    await patchFile(image, 5 * 4 * MiB + 100, pseudoRandom(7, 256 * 1024));
    await patchFile(image, 20 * 4 * MiB + 100, pseudoRandom(8, 256 * 1024));
    const second = (await ingestImage(src, 'vm-1', image)).point;
    const all = await pointChunks(src, second.id);
    const fresh = new Set(all.filter((h) => !before.has(h)).map(chunkKey));
    expect(fresh.size).toBe(2);

    const lock = spyOn(dst.backend, 'lock').and.callThrough();
    const stat = spyOn(dst.backend, 'stat').and.callThrough();
    const report = await replicatePoint(src, second.id, linkTo(dst), { signal: never });
    expect(report.chunksSent).toBe(2);
    // The two new chunks are put locked; none of the point's other chunks is looked up again.
    const chunkCalls = (spy: jasmine.Spy) => spy.calls.allArgs().filter((args) => String(args[0]).startsWith('chunks/') && !fresh.has(String(args[0]))).length;
    expect(chunkCalls(lock)).toBe(0);
    expect(chunkCalls(stat)).toBe(0);
    expect(await restoredSha(dst, second.id, join(dir.path, 'restored.img'))).toBe(await sha256File(image));

    // A third point kept much longer at A: B's locks on the shared chunks are not long enough and are extended.
    await patchFile(image, 7 * 4 * MiB + 100, pseudoRandom(9, 256 * 1024));
    const third = (await ingestImage(src, 'vm-1', image, { retainDays: 4 * 365 })).point;
    await replicatePoint(src, third.id, linkTo(dst), { signal: never });
    const thirdChunks = await pointChunks(src, third.id);
    for (const hex of thirdChunks) {
      expect((await dst.backend.stat(chunkKey(hex), never))?.retainUntil ?? 0).toBeGreaterThanOrEqual(third.retainUntil);
    }
  });

  it('reads ahead, during the offer, the chunks B then asks for first: a first point\'s first chunks, an incremental point\'s new ones', async () => {
    const src = a as Repository;
    const dst = b as Repository;
    // What B answers an offer of `pointId` with, and what A guesses it will lack.
    const answerAndGuess = async (pointId: string, max: number) => {
      const parcel = await readPointParcel(src, pointId, never);
      let missing: readonly string[] = [];
      const inner = linkTo(dst);
      const asked: ReplicaReceiver = {
        offer: async (o, sig) => {
          const answer = await inner.offer(o, sig);
          if (answer.kind === 'send') missing = answer.missing;
          return answer;
        },
        putChunk: (session, hex, stored, sig) => inner.putChunk(session, hex, stored, sig),
        commit: (session, sig) => inner.commit(session, sig),
      };
      const guess = await likelyLackedChunks(src, parcel, max, never);
      await replicatePoint(src, pointId, asked, { signal: never });
      return { missing, guess };
    };
    const first = await answerAndGuess(point.id, 8);
    expect(first.guess.length).toBe(8);
    expect(first.guess).toEqual(first.missing.slice(0, 8));

    await patchFile(image, 3 * 4 * MiB + 100, pseudoRandom(11, 256 * 1024));
    await patchFile(image, 17 * 4 * MiB + 100, pseudoRandom(12, 256 * 1024));
    await patchFile(image, 29 * 4 * MiB + 100, pseudoRandom(13, 256 * 1024));
    const second = (await ingestImage(src, 'vm-1', image)).point;
    expect(second.parentId).toBe(point.id);
    const incremental = await answerAndGuess(second.id, 8);
    expect(incremental.missing.length).toBe(3);
    expect(incremental.guess).toEqual([...incremental.missing]);
    expect(await restoredSha(dst, second.id, join(dir.path, 'restored.img'))).toBe(await sha256File(image));
  });

  it('resends nothing acknowledged when an interrupted replication runs again, and commits only then', async () => {
    const src = a as Repository;
    const chunks = await pointChunks(src, point.id);
    const acked: string[] = [];
    const cutAfter = 10;
    // The link is cut when the 11th chunk is handed to it.
    const cut = recording(linkTo(b as Repository), acked, (_hex, stored, n) => {
      if (n >= cutAfter) throw new Error('link cut');
      return stored;
    });
    await expectAsync(replicatePoint(src, point.id, cut, { signal: never })).toBeRejectedWithError('link cut');
    // Chunks in flight when the link was cut are abandoned, acknowledged or not.
    expect(acked.length).toBeGreaterThan(0);
    expect(acked.length).toBeLessThanOrEqual(cutAfter);
    expect((b as Repository).listPoints()).toEqual([]);
    expect((b as Repository).catalog.listPoints({ states: ['pending'] })).toEqual([]);
    const atB = await held(b as Repository, chunks);
    expect(atB).toBeGreaterThanOrEqual(acked.length);

    const resent: string[] = [];
    const link = linkTo(b as Repository);
    const report = await replicatePoint(src, point.id, recording(link, resent), { signal: never });
    expect(resent.filter((h) => acked.includes(h))).toEqual([]);
    expect(report.chunksSent).toBe(chunks.length - atB);
    expect(link.counters.chunks).toBe(chunks.length - atB);
    expect((b as Repository).listPoints().map((p) => p.id)).toEqual([point.id]);
    expect(await restoredSha(b as Repository, point.id, join(dir.path, 'restored.img'))).toBe(imageSha);
  });

  it('leaves no visible point when B is killed mid-replication, and the next run finishes', async () => {
    const src = a as Repository;
    const chunks = await pointChunks(src, point.id);
    // B's repository belongs to the child while it runs.
    await b?.close();
    b = undefined;
    const stopAfter = 7;
    const child = spawn(process.execPath, [CHILD, dir.path, point.id, String(stopAfter)], { stdio: ['ignore', 'pipe', 'pipe'] });
    const acked: string[] = [];
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    let out = '';
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      const lines = out.split('\n');
      out = lines.pop() ?? '';
      for (const l of lines) if (l.startsWith('ack ')) acked.push(l.slice(4));
      if (acked.length >= stopAfter) child.kill('SIGKILL');
    });
    const code = await exited;
    expect(code).withContext(stderr).toBeNull();
    // Chunks already on their way when the 7th was acknowledged may be acknowledged too.
    expect(acked.length).toBeGreaterThanOrEqual(stopAfter);
    expect(acked.length).toBeLessThan(chunks.length);

    b = await openSiteB(dir.path);
    expect(b.listPoints()).toEqual([]);
    expect(b.catalog.listPoints({ states: ['pending', 'deleting'] })).toEqual([]);
    // The acknowledged chunks are there, durable.
    for (const hex of acked) expect(await b.backend.stat(chunkKey(hex), never)).not.toBeNull();
    const atB = await held(b, chunks);

    const resent: string[] = [];
    const report = await replicatePoint(src, point.id, recording(linkTo(b), resent), { signal: never });
    expect(resent.filter((h) => acked.includes(h))).toEqual([]);
    expect(report.chunksSent).toBe(chunks.length - atB);
    expect(atB).toBeGreaterThanOrEqual(acked.length);
    expect(b.listPoints().map((p) => p.id)).toEqual([point.id]);
    expect(await restoredSha(b, point.id, join(dir.path, 'restored.img'))).toBe(imageSha);
  });

  it('refuses a chunk corrupted in transit with a clear error and stores nothing of it', async () => {
    const src = a as Repository;
    const acked: string[] = [];
    let victim = '';
    const flipping = recording(linkTo(b as Repository), acked, (hex, stored, n) => {
      if (n !== 2) return stored;
      victim = hex;
      const bad = Uint8Array.from(stored);
      const at = Math.floor(bad.length / 2);
      bad[at] = (bad[at] ?? 0) ^ 0x40;
      return bad;
    });
    const err: unknown = await replicatePoint(src, point.id, flipping, { signal: never, concurrency: 1 }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(isStoreError(err, 'chunk-corrupt')).withContext(String(err)).toBe(true);
    expect((err as Error).message).toContain(victim);
    expect((err as Error).message).toContain('refused, nothing was stored');
    expect(await (b as Repository).backend.stat(chunkKey(victim), never)).toBeNull();
    expect((b as Repository).listPoints()).toEqual([]);

    // A clean run sends the rest, the refused chunk among them.
    const resent: string[] = [];
    await replicatePoint(src, point.id, recording(linkTo(b as Repository), resent), { signal: never });
    expect(resent).toContain(victim);
    expect(resent.filter((h) => acked.includes(h))).toEqual([]);
    expect(await restoredSha(b as Repository, point.id, join(dir.path, 'restored.img'))).toBe(imageSha);
  });

  it('refuses an offer whose manifest was altered, and one from a repository B holds no replica of', async () => {
    const src = a as Repository;
    const link = linkTo(b as Repository);
    const manifest = Uint8Array.from(await src.backend.get(`points/${point.id}/manifest`, never));
    manifest[5] = (manifest[5] ?? 0) ^ 1;
    const index = await src.backend.get(`points/${point.id}/disk-0.fidx`, never);
    await expectAsync(link.offer({ repositoryId: src.id, pointId: point.id, manifest, indexes: [{ disk: 0, bytes: index }] }, never)).toBeRejectedWith(
      jasmine.objectContaining({ code: 'manifest-invalid' }),
    );
    await expectAsync(link.offer({ repositoryId: 'f'.repeat(32), pointId: point.id, manifest, indexes: [] }, never)).toBeRejectedWith(jasmine.objectContaining({ code: 'not-found' }));
    expect(link.counters.chunks).toBe(0);
    expect((b as Repository).listPoints()).toEqual([]);
  });

  it('commits nothing before every chunk has arrived', async () => {
    const src = a as Repository;
    const link = linkTo(b as Repository);
    const parcel = await readPointParcel(src, point.id, never);
    const answer = await link.offer({ repositoryId: src.id, ...parcel }, never);
    if (answer.kind !== 'send') throw new Error('B should lack the point');
    const [first] = answer.missing as [string];
    await link.putChunk(answer.session, first, await src.backend.get(chunkKey(first), never), never);
    await expectAsync(link.commit(answer.session, never)).toBeRejectedWith(jasmine.objectContaining({ code: 'object-not-found', message: jasmine.stringMatching(/have not arrived/) }));
    expect((b as Repository).catalog.listPoints({ states: ['pending', 'committed', 'deleting'] })).toEqual([]);
  });

  it('keeps B\'s retention when A, holding the keys, offers the point again with a shorter retain-until', async () => {
    const src = a as Repository;
    await replicatePoint(src, point.id, linkTo(b as Repository), { signal: never });
    const kept = (b as Repository).getPoint(point.id).retainUntil;
    // A compromised A can seal anything under the repository's keys: here, a manifest that ends now.
    const manifest = await src.readManifest(point.id, never);
    const forged = sealManifest({ ...manifest, retainUntil: manifest.createdAt }, src.keys);
    const parcel = await readPointParcel(src, point.id, never);
    const answer = await linkTo(b as Repository).offer({ repositoryId: src.id, ...parcel, manifest: forged }, never);
    expect(answer.kind).toBe('present');
    expect((b as Repository).getPoint(point.id).retainUntil).toBe(kept);
    const info = await (b as Repository).backend.stat(`points/${point.id}/manifest`, never);
    expect(info?.retainUntil).toBe(kept);
    await expectAsync((b as Repository).deletePoint(point.id, never)).toBeRejectedWith(jasmine.objectContaining({ code: 'retention-locked' }));
  });

  it('sends no chunk for a second VM with the same data', async () => {
    const src = a as Repository;
    await replicatePoint(src, point.id, linkTo(b as Repository), { signal: never });
    const clone = (await ingestImage(src, 'vm-2', image)).point;
    const link = linkTo(b as Repository);
    const report = await replicatePoint(src, clone.id, link, { signal: never });
    expect(report.chunksSent).toBe(0);
    expect(link.counters.chunks).toBe(0);
    expect(link.counters.commits).toBe(1);
    console.log(`replication figures: a second VM with the same data sent ${link.counters.chunks} chunks, ${link.counters.offerBytes} bytes of manifest and index`);
    expect((b as Repository).listPoints({ vmId: 'vm-2' }).map((p) => p.id)).toEqual([clone.id]);
    expect(await restoredSha(b as Repository, clone.id, join(dir.path, 'restored.img'))).toBe(imageSha);
    // Offered again, the point is present: nothing is sent, nothing changes.
    const again = await replicatePoint(src, clone.id, link, { signal: never });
    expect(again.present).toBe(true);
    expect(link.counters.chunks).toBe(0);
  });
});

describe('replica repositories', () => {
  let dir: { path: string; remove: () => Promise<void> };
  let a: Repository;
  let seed: ReplicaSeed;

  beforeAll(async () => {
    dir = await tempDir('replica-seed');
    await initRepository(join(dir.path, 'a'), { encrypt: true, passphrase: PASSPHRASE_A, scrypt: FAST_SCRYPT }, never);
    a = await Repository.open(join(dir.path, 'a'), { passphrase: PASSPHRASE_A }, never);
    seed = await exportReplicaSeed(a, TRANSFER_SECRET, never, { scrypt: FAST_SCRYPT });
  });
  afterAll(async () => {
    await a.close();
    await dir.remove();
  });

  const init = (name: string, s: ReplicaSeed, opts: Partial<ReplicaInitOptions> = {}) =>
    initReplicaRepository(join(dir.path, name), s, { transferSecret: TRANSFER_SECRET, passphrase: PASSPHRASE_B, source: 'site A', scrypt: FAST_SCRYPT, ...opts }, never);

  it('carries no key in the clear: the seed opens only with the transfer secret', async () => {
    expect(JSON.stringify(seed)).not.toContain(a.exportKey().masterKey);
    await expectAsync(init('wrong-secret', seed, { transferSecret: 'not the secret' })).toBeRejectedWith(jasmine.objectContaining({ code: 'wrong-passphrase' }));
  });

  it('refuses a seed whose config was altered, a replica without a passphrase, and a directory in use', async () => {
    const config = Buffer.from(seed.config, 'base64');
    config[20] = (config[20] ?? 0) ^ 1;
    await expectAsync(init('altered', { ...seed, config: config.toString('base64') })).toBeRejectedWith(jasmine.objectContaining({ code: 'not-a-repository' }));
    await expectAsync(init('no-passphrase', seed, { passphrase: undefined })).toBeRejectedWith(jasmine.objectContaining({ code: 'passphrase-required' }));
    await expectAsync(init('a', seed)).toBeRejectedWith(jasmine.objectContaining({ code: 'repository-exists' }));
  });

  it('opens with its own passphrase as the same repository, and knows its source', async () => {
    const config = await init('b', seed);
    expect(config.id).toBe(a.id);
    // Its catalog names A's VMs in clear, so the directory is Lifeline's user's alone, as a primary store's is.
    expect((await stat(join(dir.path, 'b'))).mode & 0o777).toBe(0o700);
    expect((await stat(join(dir.path, 'b', 'catalog.db'))).mode & 0o777).toBe(0o600);
    const b = await Repository.open(join(dir.path, 'b'), { passphrase: PASSPHRASE_B }, never);
    try {
      expect(b.id).toBe(a.id);
      expect(await replicaOrigin(b, never)).toEqual(jasmine.objectContaining({ source: 'site A', repositoryId: a.id }));
      expect(await replicaOrigin(a, never)).toBeUndefined();
    } finally {
      await b.close();
    }
  });
});

describe('replication sessions at the receiver', () => {
  it(`forgets the oldest of more than ${MAX_SESSIONS} open sessions, whose sender must offer again`, async () => {
    const dir = await tempDir('replication-sessions');
    await createSites(dir.path);
    const a = await openSiteA(dir.path);
    const b = await openSiteB(dir.path);
    try {
      const image = join(dir.path, 'small.img');
      type Open = Extract<OfferAnswer, { kind: 'send' }>;
      const offers: Open[] = [];
      const link = linkTo(b);
      for (let i = 0; i <= MAX_SESSIONS; i++) {
        await writeImage(image, MiB, () => ({ kind: 'random', seed: 700 + i }));
        const p = (await ingestImage(a, `vm-${i}`, image)).point;
        const answer = await link.offer({ repositoryId: a.id, ...(await readPointParcel(a, p.id, never)) }, never);
        if (answer.kind !== 'send') throw new Error('B should lack the point');
        offers.push(answer);
      }
      const chunk = async (o: Open) => {
        const hex = o.missing[0] ?? '';
        await link.putChunk(o.session, hex, await a.backend.get(chunkKey(hex), never), never);
      };
      await expectAsync(chunk(offers[0] as Open)).toBeRejectedWith(jasmine.objectContaining({ code: 'not-found', message: jasmine.stringMatching(/offer the point again/) }));
      const last = offers[MAX_SESSIONS] as Open;
      await chunk(last);
      expect((await link.commit(last.session, never)).pointId).toBe(last.pointId);
    } finally {
      await a.close();
      await b.close();
      await dir.remove();
    }
  });
});
