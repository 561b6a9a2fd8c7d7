// Lifeline's NFS server with real NFS clients: Debian's libnfs tools (nfs-ls, nfs-cp) and qemu
// (qemu-img and qemu-io through qemu-block-extra's nfs driver, which finds the server through
// the portmapper on port 111), plus a bare RPC client for what no well-behaved client sends.
import { createHash } from 'node:crypto';
import { readdir, readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Publication } from '../../plugin-server/src/nfs/index.js';
import { verifyRepository, type Repository } from '../../plugin-server/src/store/index.js';
import { MiB, never, openRepository, addPoint, pointImage, type PointImage } from '../export/export-fixture.js';
import { restoreImage, tempDir } from '../store/store-fixtures.js';
import { serve, tool, type Served } from './nfs-fixture.js';
import { callMessage, MOUNT, NFS, PMAP, record, RpcConnection, u32 } from './rpc-client.js';

const NFS3ERR_NOENT = 2;
const NFS3ERR_STALE = 70;
const NFS3ERR_BADHANDLE = 10001;
const MNT3ERR_NOENT = 2;
const MNT3ERR_ACCES = 13;

async function treeDigests(dir: string): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  for (const entry of await readdir(dir, { recursive: true, withFileTypes: true })) {
    if (!entry.isFile()) continue;
    const path = join(entry.parentPath, entry.name);
    out.set(path, createHash('sha256').update(await readFile(path)).digest('hex'));
  }
  return out;
}

describe('NFS server (real clients)', () => {
  let dir: { path: string; remove: () => Promise<void> };
  let fixture: PointImage;
  let repo: Repository;
  let served: Served;
  let pubA: Publication;
  let pubB: Publication;
  let dataDir: string;
  const logs: string[] = [];
  const flat = (pub: Publication) => `/lifeline/${pub.folder}/disk0-flat.vmdk`;
  // qemu's nfs driver takes no ports in its URL: it asks the portmapper on 111.
  const qemuUrl = (pub: Publication) => `nfs://127.0.0.1${flat(pub)}`;

  beforeAll(async () => {
    dir = await tempDir('nfs');
    dataDir = join(dir.path, 'data');
    fixture = await pointImage(dir.path, { vmId: 'nfs-suite', vmName: 'nfs suite' });
    repo = await openRepository(fixture.repoDir);
    const small = join(dir.path, 'small.img');
    await writeFile(small, Buffer.alloc(MiB, 0x42));
    const other = await addPoint(repo, { vmId: 'nfs-suite-2', vmName: 'other vm' }, [small]);
    served = await serve(repo, dataDir, { portmapperPort: 111, logs });
    pubA = await served.publications.publish(fixture.pointId);
    pubB = await served.publications.publish(other);
  });
  afterAll(async () => {
    await served.stop();
    await repo.close();
    await dir.remove();
  });

  it('lists the publications and a publication’s disks (nfs-ls) and reads a disk whole (nfs-cp)', async () => {
    const top = await tool('nfs-ls', [served.url('/lifeline')]);
    expect(top.code).withContext(top.stderr).toBe(0);
    expect(top.stdout).toContain(pubA.folder);
    expect(top.stdout).toContain(pubB.folder);
    const folder = await tool('nfs-ls', [served.url(`/lifeline/${pubA.folder}`)]);
    expect(folder.code).withContext(folder.stderr).toBe(0);
    expect(folder.stdout).toMatch(new RegExp(`\\s${fixture.image.length} disk0-flat\\.vmdk`));
    expect(folder.stdout).toContain('disk0.vmdk');

    const out = join(dir.path, 'copied.raw');
    const cp = await tool('nfs-cp', [served.url(flat(pubA)), out]);
    expect(cp.code).withContext(cp.stderr).toBe(0);
    expect((await readFile(out)).equals(fixture.image)).toBeTrue();

    const desc = join(dir.path, 'disk0.vmdk');
    expect((await tool('nfs-cp', [served.url(`/lifeline/${pubA.folder}/disk0.vmdk`), desc])).code).toBe(0);
    const text = await readFile(desc, 'utf8');
    expect(text).toContain('createType="vmfs"');
    expect(text).toContain(`RW ${fixture.image.length / 512} VMFS "disk0-flat.vmdk"`);
  });

  it('serves a flat extent that qemu-img finds identical to the point restored raw', async () => {
    const raw = join(dir.path, 'restored.raw');
    await restoreImage(repo, fixture.pointId, raw);
    const cmp = await tool('qemu-img', ['compare', '-f', 'raw', '-F', 'raw', qemuUrl(pubA), raw]);
    expect(cmp.code).withContext(cmp.stdout + cmp.stderr).toBe(0);
    expect(cmp.stdout).toContain('Images are identical');
  });

  it('keeps writes in the overlay: read back through NFS, after a restart too, while the store stays as it was', async () => {
    const before = await treeDigests(fixture.repoDir);
    // One write across a block boundary at an odd offset, one across a chunk boundary (4 MiB).
    const w = await tool('qemu-io', ['-f', 'raw', '-c', 'write -P 0xab 1000 70000', '-c', `write -P 0xcd ${4 * MiB - 3000} 9000`, qemuUrl(pubA)]);
    expect(w.code).withContext(w.stdout + w.stderr).toBe(0);
    const expected = Buffer.from(fixture.image);
    expected.fill(0xab, 1000, 71000);
    expected.fill(0xcd, 4 * MiB - 3000, 4 * MiB + 6000);

    const out = join(dir.path, 'written.raw');
    expect((await tool('nfs-cp', [served.url(flat(pubA)), out])).code).toBe(0);
    expect((await readFile(out)).equals(expected)).withContext('written bytes read back').toBeTrue();

    // The store: every file as it was, verify finds nothing, and the point restores its own bytes.
    expect(await treeDigests(fixture.repoDir)).toEqual(before);
    const report = await verifyRepository(repo, { signal: never });
    expect(report.problems).toEqual([]);
    expect(report.damagedPoints).toEqual([]);
    const raw = join(dir.path, 'after-writes.raw');
    await restoreImage(repo, fixture.pointId, raw);
    expect((await readFile(raw)).equals(fixture.image)).toBeTrue();
    // The other publication is untouched.
    const b = await tool('qemu-img', ['compare', '-f', 'raw', '-F', 'raw', qemuUrl(pubB), join(dir.path, 'small.img')]);
    expect(b.code).withContext(b.stdout + b.stderr).toBe(0);

    // A handle given out before the restart, and the bytes, overlay included, after it.
    const conn = await RpcConnection.open(served.server.port);
    const folder = (await conn.mount(`/lifeline/${pubA.folder}`)).handle as Buffer;
    const handle = (await conn.lookup(folder, 'disk0-flat.vmdk')).handle as Buffer;
    conn.close();
    await served.stop();
    served = await serve(repo, dataDir, { portmapperPort: 111, logs });
    expect(served.publications.list().map((p) => p.folder).sort()).toEqual([pubA.folder, pubB.folder].sort());
    const again = join(dir.path, 'after-restart.raw');
    expect((await tool('nfs-cp', [served.url(flat(pubA)), again])).code).toBe(0);
    expect((await readFile(again)).equals(expected)).withContext('bytes after the restart').toBeTrue();
    const conn2 = await RpcConnection.open(served.server.port);
    const read = await conn2.read(handle, 1000, 8);
    conn2.close();
    expect(read.status).toBe(0);
    expect(read.data).toEqual(Buffer.alloc(8, 0xab));
    expect((await stat(join(dataDir, 'nfs', `pub-${pubA.id}`, 'disk-0.overlay'))).size).toBe(fixture.image.length);

    // Published afresh (the other specs read the point's own bytes): the writes are gone with the overlay.
    await served.publications.unpublish(pubA.id);
    pubA = await served.publications.publish(fixture.pointId);
    const fresh = join(dir.path, 'republished.raw');
    expect((await tool('nfs-cp', [served.url(flat(pubA)), fresh])).code).toBe(0);
    expect((await readFile(fresh)).equals(fixture.image)).withContext('a fresh publication serves the point’s own bytes').toBeTrue();
  });

  it('refuses a path outside the export, a handle turned into another publication’s and an unpublished one', async () => {
    expect((await tool('nfs-ls', [served.url('/etc')])).code).not.toBe(0);
    const conn = await RpcConnection.open(served.server.port);
    try {
      expect((await conn.mount('/etc')).status).toBe(MNT3ERR_ACCES);
      expect((await conn.mount('/lifeline/../etc')).status).toBe(MNT3ERR_ACCES);
      expect((await conn.mount('/lifeline/no-such-folder')).status).toBe(MNT3ERR_NOENT);
      const root = (await conn.mount('/lifeline')).handle as Buffer;
      // `..` at the export's top stays there.
      const up = await conn.lookup(root, '..');
      expect(up.handle).toEqual(root);
      expect((await conn.lookup(root, 'etc')).status).toBe(NFS3ERR_NOENT);

      const folderA = (await conn.lookup(root, pubA.folder)).handle as Buffer;
      const fileA = (await conn.lookup(folderA, 'disk0-flat.vmdk')).handle as Buffer;
      expect((await conn.getattr(fileA)).size).toBe(fixture.image.length);
      // The same file number under publication B's id: the handle's MAC no longer matches.
      const forged = Buffer.from(fileA);
      Buffer.from(pubB.id, 'hex').copy(forged, 1);
      expect((await conn.getattr(forged)).status).toBe(NFS3ERR_BADHANDLE);
      expect((await conn.read(forged, 0, 16)).status).toBe(NFS3ERR_BADHANDLE);
      const flipped = Buffer.from(fileA);
      flipped[flipped.length - 1] = (flipped[flipped.length - 1] ?? 0) ^ 1;
      expect((await conn.getattr(flipped)).status).toBe(NFS3ERR_BADHANDLE);

      // A publication unpublished: its handles are stale, its folder gone, its overlay dropped.
      const extra = join(dir.path, 'extra.img');
      await writeFile(extra, Buffer.alloc(MiB, 0x17));
      const pointC = await addPoint(repo, { vmId: 'nfs-suite-3', vmName: 'third' }, [extra]);
      const pubC = await served.publications.publish(pointC);
      const folderC = (await conn.lookup(root, pubC.folder)).handle as Buffer;
      const fileC = (await conn.lookup(folderC, 'disk0-flat.vmdk')).handle as Buffer;
      expect((await conn.read(fileC, 0, 4)).data).toEqual(Buffer.alloc(4, 0x17));
      await served.publications.unpublish(pubC.id);
      expect((await conn.getattr(fileC)).status).toBe(NFS3ERR_STALE);
      expect((await conn.lookup(root, pubC.folder)).status).toBe(NFS3ERR_NOENT);
      await expectAsync(stat(join(dataDir, 'nfs', `pub-${pubC.id}`))).toBeRejected();
    } finally {
      conn.close();
    }
  });

  it('gives a client that rewrites a descriptor a copy of its own, read back through the old handle too', async () => {
    const extra = join(dir.path, 'descriptor.img');
    await writeFile(extra, Buffer.alloc(MiB, 0x21));
    const pub = await served.publications.publish(await addPoint(repo, { vmId: 'nfs-suite-4', vmName: 'descriptor' }, [extra]));
    const conn = await RpcConnection.open(served.server.port);
    try {
      const folder = (await conn.mount(`/lifeline/${pub.folder}`)).handle as Buffer;
      const desc = (await conn.lookup(folder, 'disk0.vmdk')).handle as Buffer;
      const before = (await conn.read(desc, 0, 4096)).data?.toString() ?? '';
      const at = before.indexOf('CID=') + 4;
      expect(at).toBeGreaterThan(4);
      expect((await conn.write(desc, at, Buffer.from('0badcafe'))).count).toBe(8);
      const expected = `${before.slice(0, at)}0badcafe${before.slice(at + 8)}`;
      expect((await conn.read(desc, 0, 4096)).data?.toString()).toBe(expected);
      const relooked = (await conn.lookup(folder, 'disk0.vmdk')).handle as Buffer;
      expect((await conn.read(relooked, 0, 4096)).data?.toString()).toBe(expected);
      const ls = await tool('nfs-ls', [served.url(`/lifeline/${pub.folder}`)]);
      expect(ls.stdout.match(/ disk0\.vmdk$/gm)?.length).withContext(ls.stdout).toBe(1);
    } finally {
      conn.close();
      await served.publications.unpublish(pub.id);
    }
  });

  it('publishes concurrently without losing a publication, and refuses the same point twice', async () => {
    const images = await Promise.all([0x31, 0x32, 0x33].map(async (byte) => {
      const path = join(dir.path, `concurrent-${byte}.img`);
      await writeFile(path, Buffer.alloc(MiB, byte));
      return path;
    }));
    const ids: string[] = [];
    for (const [i, image] of images.entries()) ids.push(await addPoint(repo, { vmId: `nfs-suite-c${i}`, vmName: `concurrent ${i}` }, [image]));
    const [x, y, z] = ids as [string, string, string];
    const both = await Promise.all([served.publications.publish(x), served.publications.publish(y)]);
    const twice = await Promise.allSettled([served.publications.publish(z), served.publications.publish(z)]);
    expect(twice.map((r) => r.status).sort()).toEqual(['fulfilled', 'rejected']);
    expect((twice.find((r) => r.status === 'rejected') as PromiseRejectedResult).reason).toEqual(jasmine.objectContaining({ code: 'publication-exists' }));
    const third = (twice.find((r) => r.status === 'fulfilled') as PromiseFulfilledResult<Publication>).value;
    // What was saved, as the next start reads it.
    const state = JSON.parse(await readFile(join(dataDir, 'nfs', 'state.json'), 'utf8')) as { publications: Array<{ pointId: string }> };
    expect(state.publications.map((p) => p.pointId)).toEqual(jasmine.arrayContaining([x, y, z]));
    expect(state.publications.filter((p) => p.pointId === z).length).toBe(1);
    await Promise.all([...both, third].map((p) => served.publications.unpublish(p.id)));
    const after = JSON.parse(await readFile(join(dataDir, 'nfs', 'state.json'), 'utf8')) as { publications: Array<{ pointId: string }> };
    expect(after.publications.map((p) => p.pointId)).not.toContain(x);
    expect(after.publications.map((p) => p.pointId)).not.toContain(y);
    expect(after.publications.map((p) => p.pointId)).not.toContain(z);
  });

  it('refuses a client whose address is not allowed', async () => {
    const other = await serve(repo, join(dir.path, 'data-closed'), { clients: ['127.0.0.2'], logs });
    try {
      const ls = await tool('nfs-ls', [other.url('/lifeline')]);
      expect(ls.code).not.toBe(0);
      const conn = await RpcConnection.open(other.server.port);
      conn.send(record(callMessage(1, NFS, 3, 0)));
      expect(await conn.next()).toBeNull();
    } finally {
      await other.stop();
    }
    expect(logs.some((l) => l.includes('client address not allowed') && l.includes('127.0.0.1'))).toBeTrue();
  });

  it('answers malformed RPC with an RPC error or a closed connection, and keeps serving', async () => {
    const port = served.server.port;
    const conn = await RpcConnection.open(port);
    // Wrong program, version, procedure and RPC version: each answered on the same connection.
    conn.send(record(callMessage(11, 100099, 1, 0)));
    expect(await conn.next()).toEqual(jasmine.objectContaining({ xid: 11, replyStat: 0, stat: 1 }));
    conn.send(record(callMessage(12, NFS, 4, 0)));
    const mismatch = await conn.next();
    expect(mismatch).toEqual(jasmine.objectContaining({ xid: 12, replyStat: 0, stat: 2 }));
    expect([mismatch?.body.readUInt32BE(0), mismatch?.body.readUInt32BE(4)]).toEqual([3, 3]);
    conn.send(record(callMessage(13, NFS, 3, 99)));
    expect(await conn.next()).toEqual(jasmine.objectContaining({ xid: 13, replyStat: 0, stat: 3 }));
    conn.send(record(callMessage(14, MOUNT, 3, 0, Buffer.alloc(0), 3)));
    expect(await conn.next()).toEqual(jasmine.objectContaining({ xid: 14, replyStat: 1, stat: 0 }));
    // Arguments cut short (a READ with half a handle), and a call header cut short.
    conn.send(record(callMessage(15, NFS, 3, 6, Buffer.concat([u32(37), Buffer.alloc(8)]))));
    expect(await conn.next()).toEqual(jasmine.objectContaining({ xid: 15, replyStat: 0, stat: 4 }));
    conn.send(record(callMessage(16, NFS, 3, 1).subarray(0, 20)));
    expect(await conn.next()).toEqual(jasmine.objectContaining({ xid: 16, replyStat: 0, stat: 4 }));
    // An opaque that claims more than the record holds.
    conn.send(record(callMessage(17, NFS, 3, 1, u32(0x7ffffff0))));
    expect(await conn.next()).toEqual(jasmine.objectContaining({ xid: 17, replyStat: 0, stat: 4 }));
    // A portmapper question on the NFS port: the port it answers.
    conn.send(record(callMessage(18, PMAP, 2, 3, Buffer.concat([u32(MOUNT), u32(3), u32(6), u32(0)]))));
    const getport = await conn.next();
    expect(getport?.body.readUInt32BE(0)).toBe(port);
    // A call in two fragments (RFC 5531 section 11), the first marker sent one byte at a time.
    const call = callMessage(19, NFS, 3, 0);
    const split = Buffer.concat([u32(10), call.subarray(0, 10), u32(0x80000000 | (call.length - 10)), call.subarray(10)]);
    for (let i = 0; i < 4; i++) conn.send(split.subarray(i, i + 1));
    conn.send(split.subarray(4));
    expect(await conn.next()).toEqual(jasmine.objectContaining({ xid: 19, replyStat: 0, stat: 0 }));
    conn.close();

    // A record of 2 GiB announced: the connection is closed.
    const big = await RpcConnection.open(port);
    big.send(Buffer.concat([u32(0x80000000 | 0x7fffffff), Buffer.alloc(1024)]));
    expect(await big.next()).toBeNull();
    // A record too short for a call header: closed too.
    const tiny = await RpcConnection.open(port);
    tiny.send(record(Buffer.alloc(4)));
    expect(await tiny.next()).toBeNull();
    // Truncated mid-record and dropped by the client.
    const cut = await RpcConnection.open(port);
    cut.send(Buffer.concat([u32(0x80000000 | 200), Buffer.alloc(50)]));
    cut.close();

    // Still serving, to the bare client and to libnfs.
    const after = await RpcConnection.open(port);
    expect((await after.call(NFS, 3, 0)).stat).toBe(0);
    const root = (await after.mount('/lifeline')).handle as Buffer;
    expect((await after.getattr(Buffer.from(root))).status).toBe(0);
    after.close();
    expect((await tool('nfs-ls', [served.url('/lifeline')])).code).toBe(0);
  });
});
