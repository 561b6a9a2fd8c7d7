/**
 * The local-filesystem Backend, the embedded default. It satisfies the Backend contract
 * (backend.ts) on any POSIX filesystem with hard links:
 *
 * - Object `a/b/c` is the file <root>/a/b/c, written read-only (0444): a temporary file under
 *   <root>/.tmp is written (with direct I/O when the data sits in aligned memory, as chunks do),
 *   fsynced, then hard-linked to its name — link() fails when the name
 *   exists, which makes put-if-absent atomic without ever overwriting — and the directory is
 *   fsynced. Temporary files are named after the writing process and removed at open once that
 *   process is gone, so a killed writer leaves nothing behind for long.
 * - A retention lock is the file's modification time: an object whose mtime lies in the future is
 *   locked until then, unlocked objects carry mtime 0. Keeping the lock in the inode means it
 *   moves with the object (a copy that preserves times preserves locks) and costs no second file
 *   per chunk. The change time (ctime, set by the kernel on creation and on every lock change) is
 *   the object's touch time.
 * - Lock changes and deletes of one key take a lock file under <root>/.locks, created exclusively,
 *   so two processes can neither shorten each other's lock nor delete an object a third is
 *   locking. A lock file whose process is gone is broken.
 * - Quarantine hard-links the file under its quarantine name (link() refuses an existing name, so
 *   nothing is overwritten; the inode, and with it the bytes and the lock, is the same), makes
 *   that durable, then unlinks the old name. A crash between the two leaves both names on one
 *   inode; the next quarantine of the key recognises its own link and only finishes the unlink.
 */
import { createHash, randomBytes } from 'node:crypto';
import { constants as fsc } from 'node:fs';
import { link, lstat, mkdir, open, readdir, readFile, stat, statfs, unlink, utimes, type FileHandle } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { abortError, throwIfAborted } from '../bounded.js';
import { DIRECT_IO_ALIGN, directIoReady, roundUp } from '../chunks/buffer-pool.js';
import {
  checkKey,
  checkPrefix,
  checkRange,
  lockedError,
  MAX_QUARANTINED,
  notFound,
  quarantineFull,
  quarantineKey,
  type Backend,
  type ByteRange,
  type ListedObject,
  type ObjectInfo,
  type PutOptions,
  type PutResult,
  type SpaceInfo,
} from './backend.js';
import type { TimeSource } from '../../domain/index.js';
import { identityAlive, processIdentity } from '../process-identity.js';
import { StoreError } from '../store-error.js';

const TMP_DIR = '.tmp';
const LOCK_DIR = '.locks';
/** Temporary files are always new: never one another writer has open. */
const TMP_FLAGS = fsc.O_WRONLY | fsc.O_CREAT | fsc.O_EXCL;

export interface LocalBackendOptions {
  clock: TimeSource;
}

export class LocalBackend implements Backend {
  readonly location: string;
  private readonly clock: TimeSource;
  private readonly knownDirs = new Set<string>();
  private readonly keyQueues = new Map<string, Promise<unknown>>();
  private tmpCounter = 0;
  /** Whether chunk-sized writes from aligned memory go through direct I/O (until the filesystem refuses). */
  private directIo = true;

  private constructor(root: string, opts: LocalBackendOptions) {
    this.location = root;
    this.clock = opts.clock;
  }

  /**
   * Opens (creating if needed) a backend rooted at `root` and removes temporary and lock files
   * left by processes that no longer run.
   */
  static async open(root: string, opts: LocalBackendOptions, signal: AbortSignal): Promise<LocalBackend> {
    const b = new LocalBackend(root, opts);
    await mkdir(join(root, TMP_DIR), { recursive: true });
    await mkdir(join(root, LOCK_DIR), { recursive: true });
    await b.removeOrphans(signal);
    return b;
  }

  /** Temporary and lock files of dead processes; returns how many were removed. */
  async removeOrphans(signal: AbortSignal): Promise<number> {
    let removed = 0;
    for (const dir of [TMP_DIR, LOCK_DIR]) {
      for (const name of await readdir(join(this.location, dir))) {
        throwIfAborted(signal);
        const path = join(this.location, dir, name);
        const owner = dir === TMP_DIR ? name.split('-')[0]?.replace('.', ':') : await lockOwner(path);
        if (owner !== undefined && !identityAlive(owner)) {
          await unlinkIfPresent(path);
          removed++;
        }
      }
    }
    return removed;
  }

  async put(key: string, data: Uint8Array | readonly Uint8Array[], options: PutOptions): Promise<PutResult> {
    checkKey(key);
    const { signal } = options;
    throwIfAborted(signal);
    const path = join(this.location, key);
    if (await exists(path)) return { created: false };
    await this.ensureDir(dirname(path)).catch((err: unknown) => {
      throw ioError('put', key, err);
    });
    // The owner's identity leads the name so that open() can tell orphans from files in progress.
    const owner = processIdentity().replace(':', '.');
    const tmp = join(this.location, TMP_DIR, `${owner}-${++this.tmpCounter}-${randomBytes(4).toString('hex')}`);
    // A check the caller runs while the bytes are written (vouchedBy): its refusal is the caller's
    // error, not an I/O fault of this backend.
    let refused = false;
    try {
      const direct = this.directIo && data instanceof Uint8Array && directIoReady(data, data.byteLength);
      const fh = (direct && (await this.writeDirect(tmp, data))) || (await writeNew(tmp, data instanceof Uint8Array ? [data] : data));
      try {
        throwIfAborted(signal);
        const nowSec = this.clock.now() / 1000;
        await fh.utimes(nowSec, (options.retainUntil ?? 0) / 1000);
        await fh.sync();
      } finally {
        await fh.close();
      }
      if (options.vouchedBy) {
        refused = true;
        await options.vouchedBy;
        refused = false;
      }
      throwIfAborted(signal);
      const linked = await link(tmp, path).then(
        () => true,
        (err: unknown) => {
          if (errno(err) === 'EEXIST') return false;
          throw err;
        },
      );
      if (!linked) return { created: false };
    } catch (err) {
      // The key, not the temporary file, is what the caller knows: errors name it.
      throw signal.aborted || refused || err instanceof StoreError ? err : ioError('put', key, err);
    } finally {
      await unlinkIfPresent(tmp);
    }
    await fsyncDir(dirname(path));
    return { created: true };
  }

  async get(key: string, signal: AbortSignal, range?: ByteRange, into?: Uint8Array): Promise<Uint8Array> {
    checkKey(key);
    throwIfAborted(signal);
    const path = join(this.location, key);
    if (!range && !into) {
      try {
        return await readFile(path, { signal });
      } catch (err) {
        if (errno(err) === 'ENOENT') throw notFound(key);
        if (signal.aborted) throw abortError(signal);
        throw ioError('get', key, err);
      }
    }
    let fh: FileHandle;
    try {
      fh = await open(path, 'r');
    } catch (err) {
      if (errno(err) === 'ENOENT') throw notFound(key);
      throw ioError('get', key, err);
    }
    try {
      const { size } = await fh.stat();
      checkRange(key, size, range);
      const offset = range?.offset ?? 0;
      const length = range?.length ?? size;
      const buf = into && into.byteLength >= length ? into.subarray(0, length) : new Uint8Array(length);
      let done = 0;
      while (done < length) {
        throwIfAborted(signal);
        const { bytesRead } = await fh.read(buf, done, length - done, offset + done);
        if (bytesRead === 0) throw new StoreError('backend-io', `object ${key} ended early`, { key });
        done += bytesRead;
      }
      return buf;
    } finally {
      await fh.close();
    }
  }

  async stat(key: string, signal: AbortSignal): Promise<ObjectInfo | null> {
    checkKey(key);
    throwIfAborted(signal);
    try {
      const st = await stat(join(this.location, key));
      return { size: st.size, retainUntil: Math.max(0, Math.round(st.mtimeMs)), touchedAt: Math.round(st.ctimeMs) };
    } catch (err) {
      if (errno(err) === 'ENOENT') return null;
      throw ioError('stat', key, err);
    }
  }

  async *list(prefix: string, signal: AbortSignal): AsyncIterable<ListedObject> {
    checkPrefix(prefix);
    const cut = prefix.lastIndexOf('/');
    const base = cut < 0 ? '' : prefix.slice(0, cut);
    yield* this.walk(base, prefix, signal);
  }

  private async *walk(rel: string, prefix: string, signal: AbortSignal): AsyncIterable<ListedObject> {
    throwIfAborted(signal);
    let entries;
    try {
      entries = await readdir(join(this.location, rel), { withFileTypes: true });
    } catch (err) {
      if (errno(err) === 'ENOENT' || errno(err) === 'ENOTDIR') return;
      throw ioError('list', rel, err);
    }
    for (const e of entries) {
      if (e.name.startsWith('.')) continue;
      const key = rel === '' ? e.name : `${rel}/${e.name}`;
      if (e.isDirectory()) {
        // Descend only where keys under the directory can still start with the prefix.
        if (key.startsWith(prefix) || prefix.startsWith(`${key}/`)) yield* this.walk(key, prefix, signal);
      } else if (e.isFile() && key.startsWith(prefix)) {
        let size: number;
        try {
          size = (await lstat(join(this.location, key))).size;
        } catch (err) {
          if (errno(err) === 'ENOENT') continue;
          throw ioError('list', key, err);
        }
        yield { key, size };
      }
    }
  }

  async delete(key: string, signal: AbortSignal): Promise<boolean> {
    checkKey(key);
    return this.withKeyLock(key, signal, async () => {
      const path = join(this.location, key);
      const info = await this.stat(key, signal);
      if (!info) return false;
      if (info.retainUntil > this.clock.now()) throw lockedError(key, info.retainUntil);
      throwIfAborted(signal);
      await unlinkIfPresent(path);
      await fsyncDir(dirname(path));
      return true;
    });
  }

  async lock(key: string, until: number, signal: AbortSignal): Promise<number> {
    checkKey(key);
    const until0 = Math.round(until);
    const quick = await this.stat(key, signal);
    if (!quick) throw notFound(key);
    if (quick.retainUntil >= until0) return quick.retainUntil;
    return this.withKeyLock(key, signal, async () => {
      const path = join(this.location, key);
      const st = await stat(path).catch((err: unknown) => {
        if (errno(err) === 'ENOENT') throw notFound(key);
        throw ioError('lock', key, err);
      });
      const current = Math.max(0, Math.round(st.mtimeMs));
      if (current >= until0) return current;
      await utimes(path, st.atimeMs / 1000, until0 / 1000);
      return until0;
    });
  }

  async space(signal: AbortSignal): Promise<SpaceInfo | null> {
    throwIfAborted(signal);
    const fs = await statfs(this.location);
    return { totalBytes: fs.blocks * fs.bsize, freeBytes: fs.bavail * fs.bsize };
  }

  async quarantine(key: string, signal: AbortSignal): Promise<string> {
    checkKey(key);
    return this.withKeyLock(key, signal, async () => {
      const path = join(this.location, key);
      const st = await lstat(path).catch((err: unknown) => {
        if (errno(err) === 'ENOENT') throw notFound(key);
        throw ioError('quarantine', key, err);
      });
      for (let n = 1; n <= MAX_QUARANTINED; n++) {
        throwIfAborted(signal);
        const target = quarantineKey(key, n);
        checkKey(target);
        const targetPath = join(this.location, target);
        const moved = await link(path, targetPath).then(
          () => true,
          async (err: unknown) => {
            if (errno(err) !== 'EEXIST') throw ioError('quarantine', key, err);
            // Our own link from a quarantine that stopped before its unlink counts as done.
            const other = await lstat(targetPath).catch(() => undefined);
            return other !== undefined && other.ino === st.ino && other.dev === st.dev;
          },
        );
        if (!moved) continue;
        try {
          // The new name is durable before the old one goes, so a crash never loses the object.
          await fsyncDir(dirname(path));
          await unlinkIfPresent(path);
          await fsyncDir(dirname(path));
        } catch (err) {
          throw ioError('quarantine', key, err);
        }
        return target;
      }
      throw quarantineFull(key);
    });
  }

  /** Serializes lock changes, deletes and quarantines of one key, within this process and across processes. */
  private async withKeyLock<T>(key: string, signal: AbortSignal, fn: () => Promise<T>): Promise<T> {
    const previous = this.keyQueues.get(key) ?? Promise.resolve();
    const run = previous.then(
      () => this.withLockFile(key, signal, fn),
      () => this.withLockFile(key, signal, fn),
    );
    const tail = run.catch(() => undefined);
    this.keyQueues.set(key, tail);
    try {
      return await run;
    } finally {
      if (this.keyQueues.get(key) === tail) this.keyQueues.delete(key);
    }
  }

  private async withLockFile<T>(key: string, signal: AbortSignal, fn: () => Promise<T>): Promise<T> {
    const path = join(this.location, LOCK_DIR, createHash('sha256').update(key).digest('hex').slice(0, 40));
    for (let attempt = 0; ; attempt++) {
      throwIfAborted(signal);
      try {
        const fh = await open(path, fsc.O_WRONLY | fsc.O_CREAT | fsc.O_EXCL, 0o600);
        try {
          await fh.writeFile(processIdentity());
        } finally {
          await fh.close();
        }
        break;
      } catch (err) {
        if (errno(err) !== 'EEXIST') throw ioError('lock', key, err);
      }
      const owner = await lockOwner(path);
      // An owner that never got to write its identity died between create and write.
      if ((owner !== undefined && !identityAlive(owner)) || (owner === undefined && attempt > 200)) {
        await unlinkIfPresent(path);
        continue;
      }
      await new Promise((r) => setTimeout(r, Math.min(50, 1 + attempt)));
    }
    try {
      return await fn();
    } finally {
      await unlinkIfPresent(path);
    }
  }

  /**
   * `data` in the new temporary file `tmp` by direct I/O (chunk data then goes to the disk once,
   * without a copy in the page cache that fsync would write out anyway), the handle still open.
   * Whole pages are written from aligned memory and the padding cut off; the file gets its name
   * only after its sync, so nobody ever sees the padded form. Undefined, with no file left, when
   * the filesystem refuses direct I/O (at open, which may have created the file all the same, or
   * at the write): it is not asked again.
   */
  private async writeDirect(tmp: string, data: Uint8Array): Promise<FileHandle | undefined> {
    if (fsc.O_DIRECT === undefined) return undefined;
    let fh: FileHandle | undefined;
    try {
      fh = await open(tmp, TMP_FLAGS | fsc.O_DIRECT, 0o444);
      await writeAll(fh, [new Uint8Array(data.buffer, data.byteOffset, roundUp(data.byteLength, DIRECT_IO_ALIGN))]);
      await fh.truncate(data.byteLength);
      return fh;
    } catch (err) {
      await fh?.close();
      if (errno(err) !== 'EINVAL') throw err;
      this.directIo = false;
      await unlinkIfPresent(tmp);
      return undefined;
    }
  }

  private async ensureDir(dir: string): Promise<void> {
    if (this.knownDirs.has(dir)) return;
    const first = await mkdir(dir, { recursive: true });
    if (first !== undefined) {
      // Make the new directory entries themselves durable, from the deepest up to the parent of
      // the first one created.
      for (let d = dir; ; d = dirname(d)) {
        await fsyncDir(dirname(d));
        if (d === first || d === dirname(d)) break;
      }
    }
    this.knownDirs.add(dir);
  }
}

/** `parts` in the new file `path` (read-only once closed), through the page cache; the handle still open. */
async function writeNew(path: string, parts: readonly Uint8Array[]): Promise<FileHandle> {
  const fh = await open(path, TMP_FLAGS, 0o444);
  try {
    await writeAll(fh, parts);
    return fh;
  } catch (err) {
    await fh.close();
    throw err;
  }
}

async function writeAll(fh: FileHandle, parts: readonly Uint8Array[]): Promise<void> {
  let pending = parts.filter((p) => p.byteLength > 0);
  while (pending.length > 0) {
    const { bytesWritten } = await fh.writev(pending as Uint8Array[]);
    let n = bytesWritten;
    const rest: Uint8Array[] = [];
    for (const p of pending) {
      if (n >= p.byteLength) n -= p.byteLength;
      else {
        rest.push(n > 0 ? p.subarray(n) : p);
        n = 0;
      }
    }
    pending = rest;
  }
}

export async function fsyncDir(dir: string): Promise<void> {
  const fh = await open(dir, 'r');
  try {
    await fh.sync();
  } finally {
    await fh.close();
  }
}

async function exists(path: string): Promise<boolean> {
  try {
    await lstat(path);
    return true;
  } catch (err) {
    if (errno(err) === 'ENOENT') return false;
    throw err;
  }
}

async function unlinkIfPresent(path: string): Promise<void> {
  try {
    await unlink(path);
  } catch (err) {
    if (errno(err) !== 'ENOENT') throw err;
  }
}

async function lockOwner(path: string): Promise<string | undefined> {
  try {
    const owner = (await readFile(path, 'utf8')).trim();
    return owner === '' ? undefined : owner;
  } catch {
    // A lock file that vanished or is being written has no owner worth checking yet.
    return undefined;
  }
}

function errno(err: unknown): string | undefined {
  return typeof err === 'object' && err !== null && 'code' in err ? String((err as { code: unknown }).code) : undefined;
}

/**
 * Failures that trying again cannot mend: the store's files or directories are not the process's
 * to write, the file system is mounted read-only, or the store's layout is not what it must be.
 */
const PERMANENT_ERRNO = new Set(['EACCES', 'EPERM', 'EROFS', 'ENOTDIR', 'EISDIR', 'ENAMETOOLONG', 'ELOOP']);

function ioError(op: string, key: string, err: unknown): StoreError {
  const code = errno(err) ?? 'unknown';
  if (code === 'ENOSPC' || code === 'EDQUOT') return storeFull(op, key, code, err);
  return new StoreError(PERMANENT_ERRNO.has(code) ? 'backend-refused' : 'backend-io', `${op} of ${key} failed: ${code}`, { key, op, errno: code }, { cause: err });
}

function storeFull(op: string, key: string, code: string, cause: unknown): StoreError {
  return new StoreError(
    'store-full',
    `${op} of ${key} failed: the file system of the backup store is full (${code === 'EDQUOT' ? 'quota exceeded' : 'no space left'}); ` +
      'free space (prune old restore points, then gc) or enlarge it',
    { key, op, errno: code },
    { cause },
  );
}
