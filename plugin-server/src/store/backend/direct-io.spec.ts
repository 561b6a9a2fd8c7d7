// Direct I/O of chunk objects and restored disk areas: whatever path the bytes take (direct from
// aligned memory, or through the page cache), what is read back is exactly what was written, the
// padding of a direct write never shows, and no temporary file is left.
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, readdir, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BufferPool, DIRECT_IO_ALIGN, directIoReady } from '../chunks/buffer-pool.js';
import { systemClock } from '../../domain/index.js';
import { FileDiskWriter } from '../engine/file-disk.js';
import { LocalBackend } from './local-backend.js';

const never = new AbortController().signal;

describe('direct I/O', () => {
  let dir: string;

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'lifeline-direct-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('hands out pool buffers that start aligned, and tells which views may be written directly', async () => {
    const pool = new BufferPool(3, 10_000);
    const bufs = [await pool.acquire(never), await pool.acquire(never), await pool.acquire(never)];
    for (const b of bufs) {
      expect(b.byteLength).toBe(10_000);
      expect(directIoReady(b, 10_000)).toBe(true);
      expect(directIoReady(b.subarray(1), 100)).toBe(false);
    }
    expect(directIoReady(new Uint8Array(new SharedArrayBuffer(DIRECT_IO_ALIGN * 2)), DIRECT_IO_ALIGN)).toBe(false);
    expect(directIoReady(new Uint8Array(DIRECT_IO_ALIGN), DIRECT_IO_ALIGN)).toBe(false);
    for (const b of bufs) pool.release(b.subarray(5));
    // Released views give their whole buffer back.
    expect((await pool.acquire(never)).byteLength).toBe(10_000);
  });

  it('stores objects of any length from aligned memory exactly, padding cut off', async () => {
    const backend = await LocalBackend.open(join(dir, 'repo'), { clock: systemClock }, never);
    const pool = new BufferPool(2, 3 * DIRECT_IO_ALIGN);
    for (const length of [1, DIRECT_IO_ALIGN - 1, DIRECT_IO_ALIGN, DIRECT_IO_ALIGN + 17, 3 * DIRECT_IO_ALIGN]) {
      const buf = await pool.acquire(never);
      buf.fill(0xab); // what lies past the object must not end up in it
      const data = randomBytes(length);
      buf.set(data);
      const key = `chunks/aa/object-${length}`;
      expect(await backend.put(key, buf.subarray(0, length), { signal: never, retainUntil: 0 })).toEqual({ created: true });
      pool.release(buf);
      expect(Buffer.from(await backend.get(key, never)).equals(data)).withContext(`length ${length}`).toBe(true);
      expect((await stat(join(dir, 'repo', key))).size).toBe(length);
    }
    expect(await readdir(join(dir, 'repo', '.tmp'))).toEqual([]);
  });

  it('restores areas to a file exactly, aligned or not', async () => {
    const path = join(dir, 'disk.img');
    const size = 64 * 1024 + 1000;
    const writer = await FileDiskWriter.create(path, size);
    const pool = new BufferPool(2, 32 * 1024);
    const a = await pool.acquire(never);
    const b = await pool.acquire(never);
    const da = randomBytes(32 * 1024);
    const db = randomBytes(1000);
    a.set(da);
    b.set(db);
    // Aligned (direct where the filesystem allows it), unaligned in memory, and a short tail.
    await Promise.all([
      writer.write(0, a, never),
      writer.write(32 * 1024 + 8, Uint8Array.from(da.subarray(0, 100)), never),
      writer.write(64 * 1024, b.subarray(0, 1000), never),
    ]);
    await writer.close(true);
    const back = await readFile(path);
    expect(back.byteLength).toBe(size);
    expect(back.subarray(0, 32 * 1024).equals(da)).toBe(true);
    expect(back.subarray(32 * 1024, 32 * 1024 + 8).every((x) => x === 0)).toBe(true);
    expect(back.subarray(32 * 1024 + 8, 32 * 1024 + 108).equals(da.subarray(0, 100))).toBe(true);
    expect(back.subarray(64 * 1024).equals(db)).toBe(true);
  });

  it('falls back to the page cache on a filesystem that refuses direct I/O', async () => {
    // ramfs refuses O_DIRECT at open, after creating the file all the same.
    const mnt = join(dir, 'ramfs');
    await mkdir(mnt);
    try {
      execFileSync('mount', ['-t', 'ramfs', 'none', mnt], { stdio: 'ignore' });
    } catch {
      pending('mounting a ramfs needs privileges this run does not have');
      return;
    }
    try {
      const backend = await LocalBackend.open(join(mnt, 'repo'), { clock: systemClock }, never);
      const pool = new BufferPool(1, 2 * DIRECT_IO_ALIGN);
      const buf = await pool.acquire(never);
      for (const length of [DIRECT_IO_ALIGN + 5, 2 * DIRECT_IO_ALIGN]) {
        const data = randomBytes(length);
        buf.set(data);
        const key = `chunks/bb/object-${length}`;
        expect(await backend.put(key, buf.subarray(0, length), { signal: never, retainUntil: 0 })).toEqual({ created: true });
        expect(Buffer.from(await backend.get(key, never)).equals(data)).withContext(`length ${length}`).toBe(true);
      }
      expect(await readdir(join(mnt, 'repo', '.tmp'))).toEqual([]);
    } finally {
      execFileSync('umount', [mnt]);
    }
  });
});
