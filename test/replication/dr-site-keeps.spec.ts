// Replicas are the DR site's to keep. From the source's own certificate (a compromised source
// holds it, and its keys), every request the DR site's replication routes could be asked to do
// harm with is tried — deleting, overwriting a committed point, shortening its lock, planting
// wrong bytes under a chunk id, replacing the replica's key with another seed — and B's data is
// checked intact afterwards. And B prunes replicas by its own GFS rule, never before its lock.
import Database from 'better-sqlite3';
import https from 'node:https';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { initRepository, Repository } from '../../plugin-server/src/store/repository.js';
import { readPointParcel } from '../../plugin-server/src/store/engine/point-import.js';
import { indexKey, sealManifest } from '../../plugin-server/src/store/engine/manifest.js';
import { verifyRepository } from '../../plugin-server/src/store/maintenance/verify.js';
import { createJobRunner } from '../../plugin-server/src/jobs/index.js';
import { systemClock } from '../../plugin-server/src/domain/index.js';
import { silentLogger } from '../../plugin-server/src/log/logger.js';
import { pruneReplicasAfterMaintenance, replicatePoint, replicaFolder, sealSeedFor, SiteAgent, type HttpReplicaReceiver, type ReplicaRetention } from '../../plugin-server/src/replication/index.js';
import { FAST_SCRYPT, ingestImage, MiB, never, pseudoRandom, restoredSha, tempDir, writeImage } from '../store/store-fixtures.js';
import { writeMixedImage } from './sites.js';
import { clientOf, replicasDir, RETENTION, startLinkSites, type LinkSites } from './link-sites.js';

interface Reply {
  status: number;
  body: string;
}

/** Every file under `dir` but the catalog (which records times and runs), with its bytes. */
async function objects(dir: string, prefix = ''): Promise<Map<string, Buffer>> {
  const out = new Map<string, Buffer>();
  for (const e of await readdir(join(dir, prefix), { withFileTypes: true })) {
    const rel = join(prefix, e.name);
    if (e.isDirectory()) for (const [k, v] of await objects(dir, rel)) out.set(k, v);
    else if (e.isFile() && !e.name.startsWith('catalog.db')) out.set(rel, await readFile(join(dir, rel)));
  }
  return out;
}

describe('the DR site keeps its replicas whatever the source sends', () => {
  let dir: { path: string; remove: () => Promise<void> };
  let s: LinkSites | undefined;
  let client: HttpReplicaReceiver | undefined;
  let agent: SiteAgent | undefined;

  beforeEach(async () => {
    dir = await tempDir('replication-keep');
  });

  afterEach(async () => {
    client?.close();
    agent?.destroy();
    client = agent = undefined;
    await s?.close();
    s = undefined;
    await dir.remove();
  });

  /** A request from A's certificate to B's site listener, pinned to B's. */
  function send(method: string, path: string, body?: Buffer | object, type = 'application/json', headers: Record<string, string> = {}): Promise<Reply> {
    const sites = s as LinkSites;
    agent ??= new SiteAgent(sites.idA, sites.idB.thumbprint, 4);
    const url = new URL(sites.listener.url);
    const payload = body === undefined ? Buffer.alloc(0) : Buffer.isBuffer(body) ? body : Buffer.from(JSON.stringify(body));
    return new Promise((resolve, reject) => {
      const req = https.request({ agent, host: url.hostname, port: url.port, method, path, headers: { ...headers, 'content-type': type, 'content-length': payload.byteLength } }, (res) => {
        let text = '';
        res.on('data', (d: Buffer) => (text += d.toString()));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
      });
      req.on('error', reject);
      req.end(payload);
    });
  }

  it('refuses every destructive request from the source\'s own certificate and keeps B\'s data intact', async () => {
    const image = join(dir.path, 'disk.img');
    const imageSha = await writeMixedImage(image, 32 * MiB);
    s = await startLinkSites(dir.path);
    const a = s.a;
    const point = (await ingestImage(a, 'vm-1', image)).point;
    client = clientOf(s, s.listener.url);
    await replicatePoint(a, point.id, client, { signal: never });
    const replicaDir = join(replicasDir(dir.path), replicaFolder('site-a'));
    const b = (await s.sites.replica('site-a', never)) as Repository;
    const before = await objects(replicaDir);
    const lockedUntil = b.getPoint(point.id).retainUntil;
    const chunks = [...(await b.openIndex(point.id, 0, never)).distinctDigests()];
    const base = '/site/v1/replication';

    // 1. No route deletes, patches or replaces anything: every method on every path is refused.
    const paths = [base, `${base}/seed`, `${base}/offer`, `${base}/points/${point.id}`, `${base}/points`, `${base}/sessions/x`, `${base}/sessions/x/chunks/${chunks[0]}`, `${base}/sessions/x/commit`, `${base}/chunks/${chunks[0]}`, `${base}/replicas/site-a`, `${base}/retention`];
    for (const path of paths) {
      for (const method of ['DELETE', 'PATCH', 'PUT', 'POST']) {
        if ((method === 'PUT' && path === `${base}/seed`) || (method === 'POST' && path === `${base}/offer`)) continue;
        const r = await send(method, path, { pointId: point.id, retainUntil: point.createdAt });
        expect(r.status).withContext(`${method} ${path}`).toBeGreaterThanOrEqual(400);
        expect(r.status).withContext(`${method} ${path}`).toBeLessThan(500);
      }
    }

    // 2. Another seed for the same source (a new key B would wrap): ignored, the replica stays.
    const otherDir = join(dir.path, 'other');
    await initRepository(otherDir, { encrypt: true, passphrase: 'other site passphrase', scrypt: FAST_SCRYPT }, never);
    const other = await Repository.open(otherDir, { passphrase: 'other site passphrase' }, never);
    try {
      const der = Buffer.from(s.idB.certPem.replace(/-----[^-]+-----|\s/g, ''), 'base64');
      const reseed = await send('PUT', `${base}/seed`, await sealSeedFor(other, der, never, { scrypt: FAST_SCRYPT }));
      expect(reseed.status).toBe(200);
      expect(JSON.parse(reseed.body)).toEqual({ created: false });
    } finally {
      await other.close();
    }

    // 3. The committed point offered again under a forged manifest with a shorter retention
    //    (A holds the keys, so it seals what it likes): "present", nothing changes.
    const parcel = await readPointParcel(a, point.id, never);
    const manifest = await a.readManifest(point.id, never);
    const forged = sealManifest({ ...manifest, retainUntil: manifest.createdAt }, a.keys);
    const offer = (m: Uint8Array, pointId = point.id, indexes = parcel.indexes) => ({
      repositoryId: a.id,
      pointId,
      manifest: Buffer.from(m).toString('base64'),
      indexes: indexes.map((i) => ({ disk: i.disk, bytes: Buffer.from(i.bytes).toString('base64') })),
    });
    const shorter = await send('POST', `${base}/offer`, offer(forged));
    expect(shorter.status).toBe(200);
    expect(JSON.parse(shorter.body)).toEqual(jasmine.objectContaining({ kind: 'present' }));
    expect(b.getPoint(point.id).retainUntil).toBe(lockedUntil);

    // 4. A new point whose chunk bytes do not match their ids, and a chunk B already holds.
    const image2 = join(dir.path, 'disk2.img');
    await writeImage(image2, 8 * MiB, (i) => ({ kind: 'random', seed: 7000 + i }));
    const second = (await ingestImage(a, 'vm-1', image2)).point;
    const p2 = await readPointParcel(a, second.id, never);
    const answer = JSON.parse((await send('POST', `${base}/offer`, offer(p2.manifest, second.id, p2.indexes))).body) as { kind: string; session: string; missing: string[] };
    expect(answer.kind).toBe('send');
    const [lacked] = answer.missing as [string];
    const wrong = await send('PUT', `${base}/sessions/${answer.session}/chunks/${lacked}`, pseudoRandom(5, 4096), 'application/octet-stream');
    expect(wrong.status).toBe(422);
    expect(JSON.parse(wrong.body).code).toBe('chunk-corrupt');
    const real = await a.backend.get(`chunks/${lacked.slice(0, 2)}/${lacked}`, never).catch(() => undefined);
    const heldChunk = chunks[0] as string;
    const overwrite = await send('PUT', `${base}/sessions/${answer.session}/chunks/${heldChunk}`, real ?? Buffer.alloc(16), 'application/octet-stream');
    expect(overwrite.status).toBe(422);
    expect(JSON.parse(overwrite.body).code).toBe('invalid-key');
    // A body beyond the size limit is refused before it is read.
    const huge = await send('PUT', `${base}/sessions/${answer.session}/chunks/${lacked}`, Buffer.alloc(18 * MiB), 'application/octet-stream');
    expect(huge.status).toBe(413);
    expect(JSON.parse(huge.body).code).toBe('payload-too-large');
    // A chunk travels in its stored form: a body with a content coding is refused, not decoded.
    const coded = await send('PUT', `${base}/sessions/${answer.session}/chunks/${lacked}`, gzipSync(real ?? Buffer.alloc(16)), 'application/octet-stream', { 'content-encoding': 'gzip' });
    expect(coded.status).toBe(415);
    expect(JSON.parse(coded.body).code).toBe('unsupported-media-type');
    const early = await send('POST', `${base}/sessions/${answer.session}/commit`);
    expect(early.status).toBe(409);
    expect(b.listPoints().map((p) => p.id)).toEqual([point.id]);

    // 5. The same new point offered again under a forged manifest that vouches for another index
    //    (the first point's, whose chunks B holds: nothing is missing). B wrote the index of the
    //    first offer while its chunks were awaited; the commit finds it there with other bytes
    //    and refuses, rather than lock it under the forged manifest.
    const m2 = await a.readManifest(second.id, never);
    const swapped = sealManifest({ ...m2, disks: manifest.disks.map((d) => ({ ...d, indexKey: indexKey(second.id, d.disk) })) }, a.keys);
    const again = JSON.parse((await send('POST', `${base}/offer`, offer(swapped, second.id, parcel.indexes))).body) as { kind: string; session: string; missing: string[] };
    expect(again).toEqual(jasmine.objectContaining({ kind: 'send', missing: [] }));
    const mixed = await send('POST', `${base}/sessions/${again.session}/commit`);
    expect(mixed.status).withContext(mixed.body).toBe(422);
    expect(JSON.parse(mixed.body).code).toBe('index-invalid');
    expect(b.listPoints().map((p) => p.id)).toEqual([point.id]);

    // B's objects are what they were, the point restores, and the repository verifies.
    const after = await objects(replicaDir);
    for (const [key, bytes] of before) {
      expect(after.has(key)).withContext(key).toBeTrue();
      expect(Buffer.compare(after.get(key) as Buffer, bytes)).withContext(key).toBe(0);
    }
    expect(b.getPoint(point.id).retainUntil).toBe(lockedUntil);
    expect(await restoredSha(b, point.id, join(dir.path, 'restored.img'))).toBe(imageSha);
    const verified = await verifyRepository(b, { signal: never });
    expect(verified.problems).toEqual([]);
  });

  it('prunes replicas by the pairing\'s GFS rule, but never a point within B\'s immutability period', async () => {
    let retention: ReplicaRetention = { retention: { keepLast: 1, daily: 0, weekly: 0, monthly: 0 }, immutableDays: RETENTION.immutableDays };
    s = await startLinkSites(dir.path, { retention: () => retention });
    const image = join(dir.path, 'disk.img');
    const points = [];
    for (let i = 0; i < 3; i++) {
      await writeImage(image, 4 * MiB, (r) => ({ kind: 'random', seed: 100 * i + r }));
      points.push((await ingestImage(s.a, 'vm-1', image, { retainDays: 0 })).point);
    }
    client = clientOf(s, s.listener.url);
    for (const p of points) await replicatePoint(s.a, p.id, client, { signal: never });
    const b = (await s.sites.replica('site-a', never)) as Repository;
    // Locked for 14 days at B: the rule would drop two, the lock keeps them.
    const [report] = await s.sites.prune(['site-a'], never);
    expect(report?.removed).toEqual([]);
    expect(b.listPoints().length).toBe(3);
    // With no immutability period at B (and A's retain-until passed), the rule applies.
    retention = { ...retention, immutableDays: 0 };
    const fresh = await s.close().then(() => startLinkSites(join(dir.path, 'second'), { retention: () => retention }));
    s = fresh;
    const again = [];
    for (let i = 0; i < 3; i++) {
      await writeImage(image, 4 * MiB, (r) => ({ kind: 'random', seed: 100 * i + r }));
      again.push((await ingestImage(fresh.a, 'vm-1', image, { retainDays: 0 })).point);
    }
    client.close();
    client = clientOf(fresh, fresh.listener.url);
    for (const p of again) await replicatePoint(fresh.a, p.id, client, { signal: never });
    // B's maintenance runs the pruning: a 'maintenance' job that succeeds sets it off.
    const db = new Database(join(dir.path, 'state.db'));
    const runner = createJobRunner(db, { clock: systemClock, random: () => 0.5, log: silentLogger, limits: { global: 1 } });
    runner.register('maintenance', { run: () => Promise.resolve({}) });
    const stop = pruneReplicasAfterMaintenance(runner, fresh.sites, () => ['site-a'], silentLogger);
    const b2 = (await fresh.sites.replica('site-a', never)) as Repository;
    try {
      await runner.start();
      expect(b2.listPoints().length).toBe(3);
      runner.submit({ kind: 'maintenance', target: { type: 'repository', id: 'store', vcenterGuid: null }, params: {} });
      while (b2.listPoints().length > 1) await new Promise((r) => setTimeout(r, 25));
    } finally {
      stop();
      await runner.stop();
      db.close();
    }
    expect(b2.listPoints().map((p) => p.id)).toEqual([again[2]?.id as string]);
  });
});
