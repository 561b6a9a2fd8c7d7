import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Readable, type Writable } from 'node:stream';
import { startVcsim, type Vcsim } from '../vcsim/harness.js';
import { DatastoreHttpError, VimFaultError, type DatastoreFile, type DiskArea, type Vcenter } from '../../plugin-server/src/vsphere/index.js';
import { KiB, MiB, callsOf, connect, flatFileOf, readAt, writeAt } from './vcenter-fixture.js';

/** The 64 KiB blocks a test writes, merged the way CBT reports adjacent blocks. */
function merged(areas: readonly DiskArea[]): DiskArea[] {
  const sorted = [...areas].sort((a, b) => a.start - b.start);
  const out: DiskArea[] = [];
  for (const a of sorted) {
    const last = out[out.length - 1];
    if (last && last.start + last.length === a.start) out[out.length - 1] = { start: last.start, length: last.length + a.length };
    else out.push({ ...a });
  }
  return out;
}

describe('vSphere adapter: Changed Block Tracking and datastore files', () => {
  const DISK = 40 * MiB;
  let vc: Vcsim;
  let v: Vcenter;

  beforeAll(async () => {
    // Replies cover 4 MiB each, so a 40 MiB disk takes ten QueryChangedDiskAreas calls.
    vc = await startVcsim({ vms: 2, disks: 2, diskSize: DISK, cbtSpan: '4MiB', poweredOff: true });
    v = await connect(vc);
  }, 360_000);

  afterAll(async () => {
    await v?.logout();
    await vc?.stop();
  });

  afterEach(async () => {
    await vc.clearFaults();
  });

  it('returns exactly the areas written, for "*" and for a later changeId, over the whole disk', async () => {
    const vm = vc.vms[0]!;
    const disk = vm.disks[1]!;
    await v.setChangeTracking(vm.moref, true);

    const first: DiskArea[] = [
      { start: 0, length: 64 * KiB },
      { start: 3 * MiB + 960 * KiB, length: 128 * KiB }, // crosses the 4 MiB reply boundary
      { start: 17 * MiB, length: 192 * KiB },
      { start: DISK - 64 * KiB, length: 64 * KiB }, // the last block
    ];
    for (const a of first) writeAt(disk.path, a.start, randomBytes(a.length));
    const snap1 = await v.createSnapshot(vm.moref, { name: 'backup-1' });
    const disk1 = (await v.snapshotDisks(snap1)).find((d) => d.key === disk.key)!;
    expect(disk1.changeId).toBeTruthy();

    const calls = await callsOf(vc, 'QueryChangedDiskAreas');
    const all = await v.queryChangedDiskAreas({ vm: vm.moref, snapshot: snap1, deviceKey: disk.key, changeId: '*' });
    expect(all).toEqual(merged(first));
    expect((await callsOf(vc, 'QueryChangedDiskAreas')) - calls).toBe(10);
    // Without a capacity the adapter reads it from the snapshot.
    expect(await v.queryChangedDiskAreas({ vm: vm.moref, snapshot: snap1, deviceKey: disk.key, changeId: '*', capacityBytes: DISK })).toEqual(all);
    await v.removeSnapshot(snap1);

    // Rewrite one area, zero part of another, add a new one.
    writeAt(disk.path, 17 * MiB + 64 * KiB, randomBytes(64 * KiB));
    writeAt(disk.path, 0, Buffer.alloc(64 * KiB));
    writeAt(disk.path, 30 * MiB, randomBytes(256 * KiB));
    const snap2 = await v.createSnapshot(vm.moref, { name: 'backup-2' });
    const changed = await v.queryChangedDiskAreas({ vm: vm.moref, snapshot: snap2, deviceKey: disk.key, changeId: disk1.changeId! });
    expect(changed).toEqual([
      { start: 0, length: 64 * KiB },
      { start: 17 * MiB + 64 * KiB, length: 64 * KiB },
      { start: 30 * MiB, length: 256 * KiB },
    ]);
    // The streaming form yields one batch per reply.
    let batches = 0;
    for await (const batch of v.changedDiskAreas({ vm: vm.moref, snapshot: snap2, deviceKey: disk.key, changeId: disk1.changeId! })) {
      expect(Array.isArray(batch)).toBeTrue();
      batches++;
    }
    expect(batches).toBe(10);
    await v.removeSnapshot(snap2);
  });

  it('passes on a CBT fault with its name', async () => {
    const vm = vc.vms[1]!;
    const snap = await v.createSnapshot(vm.moref, { name: 'no-cbt' });
    const err: unknown = await v.queryChangedDiskAreas({ vm: vm.moref, snapshot: snap, deviceKey: 2000, changeId: '*' }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(VimFaultError);
    expect((err as VimFaultError).faultName).toBe('FileFault');
    await v.removeSnapshot(snap);
  });

  it('reads byte ranges of a disk exactly as written into its flat file', async () => {
    const vm = vc.vms[1]!;
    const disk = vm.disks[0]!;
    const data = randomBytes(12 * MiB);
    writeAt(disk.path, 4 * MiB, data);
    const file = flatFileOf(vm, disk);

    expect((await v.readRange(file, 4 * MiB, 12 * MiB)).equals(data)).toBeTrue();
    // Unaligned, small, across the written area's edges.
    for (const [offset, length] of [
      [4 * MiB - 100, 1000],
      [5 * MiB + 17, 3 * MiB + 5],
      [16 * MiB - 1, 2],
      [0, 1],
    ] as const) {
      expect((await v.readRange(file, offset, length)).equals(readAt(disk.path, offset, length))).withContext(`${offset}+${length}`).toBeTrue();
    }
    // 4 MiB chunks, several in flight, into buffers the caller owns.
    const chunks = await Promise.all(
      [0, 1, 2, 3, 4, 5].map(async (i) => {
        const buf = Buffer.alloc(4 * MiB);
        const n = await v.readRangeInto(file, i * 4 * MiB, buf);
        expect(n).toBe(4 * MiB);
        return buf;
      }),
    );
    expect(Buffer.concat(chunks).equals(readAt(disk.path, 0, 24 * MiB))).toBeTrue();
    // The end of the file: a range past it comes back short.
    const tail = await v.readRange(file, DISK - 10, 100);
    expect(tail.length).toBe(10);
    // The streaming form.
    const res = await v.openFile(file, { offset: 4 * MiB, length: 2 * MiB });
    const streamed: Buffer[] = [];
    for await (const c of res) streamed.push(c as Buffer);
    expect(Buffer.concat(streamed).equals(data.subarray(0, 2 * MiB))).toBeTrue();
  });

  it('reports a missing file and a range beyond the end as HTTP errors', async () => {
    const vm = vc.vms[1]!;
    const missing: DatastoreFile = { datacenterPath: vm.datacenter, datastorePath: `[${vm.datastore}] nowhere/none-flat.vmdk` };
    const err: unknown = await v.readRange(missing, 0, 100).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(DatastoreHttpError);
    expect((err as DatastoreHttpError).code).toBe('vsphere-file-not-found');
    const beyond: unknown = await v.readRange(flatFileOf(vm, vm.disks[0]!), DISK + MiB, 100).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect((beyond as DatastoreHttpError).status).toBe(416);
    // The connection pool still works after errors.
    expect((await v.readRange(flatFileOf(vm, vm.disks[0]!), 0, 10)).length).toBe(10);
  });

  it('uploads a file with PUT, from a buffer and from a stream, and makes and deletes folders', async () => {
    const vm = vc.vms[1]!;
    const dsDir = vc.datastores.find((d) => d.name === vm.datastore)!.dir;
    const dcMoref = (await v.inventory()).datacenters[0]!.moref;
    await v.makeDirectory(dcMoref, `[${vm.datastore}] lifeline/restore-1`, { createParents: true });
    expect(existsSync(join(dsDir, 'lifeline/restore-1'))).toBeTrue();

    const data = randomBytes(3 * MiB + 123);
    const file: DatastoreFile = { datacenterPath: vm.datacenter, datastorePath: `[${vm.datastore}] lifeline/restore-1/disk-flat.vmdk` };
    await v.uploadFile(file, data, data.length);
    expect(readFileSync(join(dsDir, 'lifeline/restore-1/disk-flat.vmdk')).equals(data)).toBeTrue();
    expect((await v.readRange(file, 0, data.length)).equals(data)).toBeTrue();

    // A stream, after the session expired: held back until vCenter accepts the session.
    await vc.expireSessions();
    const logins = await callsOf(vc, 'Login');
    const parts = [data.subarray(0, MiB), data.subarray(MiB, 2 * MiB), data.subarray(2 * MiB)];
    const streamed: DatastoreFile = { ...file, datastorePath: `[${vm.datastore}] lifeline/restore-1/streamed.bin` };
    await v.uploadFile(streamed, Readable.from(parts), data.length);
    expect(readFileSync(join(dsDir, 'lifeline/restore-1/streamed.bin')).equals(data)).toBeTrue();
    expect((await callsOf(vc, 'Login')) - logins).toBe(1);

    // A source that gives fewer or more bytes than declared fails the upload, naming the file,
    // rather than leaving vCenter waiting for the rest (or taking the excess as a new request).
    const short: DatastoreFile = { ...file, datastorePath: `[${vm.datastore}] lifeline/restore-1/short.bin` };
    const writing = (bytes: Buffer) =>
      Object.assign(Readable.from([]), {
        writeInto: (body: Writable) => new Promise<void>((resolve, reject) => body.write(bytes, (err) => (err ? reject(err) : resolve()))),
      });
    for (const [what, body] of [
      ['a stream that ends early', Readable.from([data.subarray(0, MiB)])],
      ['a stream that gives too much', Readable.from([data, Buffer.from('x')])],
      ['a self-writing body that ends early', writing(data.subarray(0, MiB))],
      ['a self-writing body that gives too much', writing(Buffer.concat([data, Buffer.from('x')]))],
    ] as const) {
      const err: unknown = await v.uploadFile(short, body, data.length).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(err).withContext(what).toEqual(jasmine.any(Error));
      expect(String((err as Error).message)).withContext(what).toContain('short.bin');
      expect(String((err as Error).message)).withContext(what).toContain(`${data.length} bytes declared`);
    }

    await v.deleteFile(dcMoref, `[${vm.datastore}] lifeline`);
    expect(existsSync(join(dsDir, 'lifeline'))).toBeFalse();
    const again: unknown = await v.deleteFile(dcMoref, `[${vm.datastore}] lifeline`).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect((again as VimFaultError).faultName).toBe('FileNotFound');
  }, 180_000);
});
