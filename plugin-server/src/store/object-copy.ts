/**
 * Copies of restore points on object storage: a second repository in an S3 bucket with Object
 * Lock that holds copies of some of the local store's points, each locked for the copy's own
 * (normally longer) retention. docs/repository.md ("Copies on object storage") gives the design;
 * in short:
 *
 * - The copy shares the local store's key material: its repository id, its sealed config (byte for
 *   byte) and its master key, wrapped in a key file of its own under the same passphrase. Chunk
 *   ids, chunk encryption and manifest seals are therefore the same, so points are copied in their
 *   stored form (compressed and encrypted), never decoded and encoded again, and a chunk the copy
 *   holds already is never uploaded a second time: dedup works across all points copied.
 * - Like a store on S3, the copy's objects are in the bucket and its directory keeps the catalog and
 *   a note of the location; it opens as an ordinary repository (openObjectCopy), so restores read
 *   from it with the same code as from the local store, also when the local store is gone.
 * - A point is copied with the import of engine/point-import.ts: the copy checks the manifest and
 *   indexes under its keys, locks the chunks it holds, is sent only those it lacks (each decoded
 *   and its id checked before it is stored, locked), and commits the point only when every object
 *   it references is durable. A copy that fails or is cancelled half way is simply run again: the
 *   chunks already stored are not sent again.
 */
import { chmod, mkdir, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { openCatalog } from '../catalog/index.js';
import { systemClock, systemRandomBytes, type RandomBytes, type TimeSource } from '../domain/index.js';
import type { Logger } from '../log/index.js';
import { openBackend, readBackendNote } from './backend/backend-stack.js';
import type { S3Credentials, S3Location } from './backend/s3-backend.js';
import { forEachBounded } from './bounded.js';
import { PointImport, readPointParcel, readStoredChunk } from './engine/point-import.js';
import { wrapMasterKey, type ScryptParams } from './keys.js';
import { collectGarbage, type GcReport } from './maintenance/gc.js';
import { prepareS3Location, Repository } from './repository.js';
import { isStoreError, StoreError } from './store-error.js';

const CONFIG_KEY = 'config';
const KEYS_PREFIX = 'keys/';
const CATALOG_FILE = 'catalog.db';

export interface ObjectCopyOptions {
  /** The local store's passphrase; the copy's key file is wrapped under it. Required when the store is encrypted. */
  passphrase?: string;
  s3Credentials?: S3Credentials;
  /** Refuse a bucket without Object Lock (default true). */
  requireObjectLock?: boolean;
  clock?: TimeSource;
  random?: RandomBytes;
  scrypt?: ScryptParams;
  logger?: Logger;
}

/**
 * Creates the copy of `source` in the S3 location, with its catalog and the note of the location
 * in the empty directory `dir`. The bucket is made with Object Lock when missing (one without it is
 * refused unless `requireObjectLock` is false), and the location must hold no objects.
 */
export async function initObjectCopy(dir: string, source: Repository, s3: S3Location, opts: ObjectCopyOptions, signal: AbortSignal): Promise<void> {
  const clock = opts.clock ?? systemClock;
  if (source.config.encrypted && opts.passphrase === undefined) {
    throw new StoreError('passphrase-required', 'the store is encrypted: its copy on object storage needs the store\'s passphrase');
  }
  await mkdir(dir, { recursive: true, mode: 0o700 });
  if ((await readdir(dir)).some((n) => !n.startsWith('.'))) {
    throw new StoreError('not-a-repository', `${dir} is not empty; the copy on object storage needs an empty directory for its catalog`, { dir });
  }
  await chmod(dir, 0o700);
  const context = { clock, ...(opts.s3Credentials ? { s3Credentials: opts.s3Credentials } : {}) };
  await prepareS3Location(dir, s3, { ...context, encrypt: source.config.encrypted, requireObjectLock: opts.requireObjectLock ?? true }, signal);
  await finishSetup(dir, source, opts, signal);
}

/**
 * The rest of the set-up once the note of the location is written: a key file, the catalog, and
 * the config last (a location without it is not yet a repository). Run again after a set-up that
 * stopped half way, it writes what is missing; a key file left by the earlier run stays, a valid
 * wrapping of the same key under the same passphrase.
 */
async function finishSetup(dir: string, source: Repository, opts: ObjectCopyOptions, signal: AbortSignal): Promise<void> {
  const clock = opts.clock ?? systemClock;
  const random = opts.random ?? systemRandomBytes;
  if (source.config.encrypted && opts.passphrase === undefined) {
    throw new StoreError('passphrase-required', 'the store is encrypted: its copy on object storage needs the store\'s passphrase');
  }
  const backend = await openBackend(dir, { clock, ...(opts.s3Credentials ? { s3Credentials: opts.s3Credentials } : {}), ...(opts.logger ? { log: opts.logger } : {}) }, signal);
  const configBytes = await source.backend.get(CONFIG_KEY, signal);
  const master = Buffer.from(source.exportKey().masterKey, 'base64');
  try {
    const keyId = Buffer.from(random(8)).toString('hex');
    const keyFile = await wrapMasterKey({
      master,
      passphrase: source.config.encrypted ? opts.passphrase : undefined,
      repositoryId: source.id,
      keyId,
      createdAt: new Date(clock.now()).toISOString(),
      random,
      scrypt: opts.scrypt,
      signal,
    });
    await backend.put(`${KEYS_PREFIX}${keyId}`, Buffer.from(JSON.stringify(keyFile)), { signal });
  } finally {
    master.fill(0);
  }
  const catalog = openCatalog(join(dir, CATALOG_FILE));
  try {
    const id = catalog.getMeta('repository_id');
    if (id !== undefined && id !== source.id) {
      throw new StoreError('not-a-repository', `${join(dir, CATALOG_FILE)} is the catalog of repository ${id}, not of a copy of the store ${source.id}; move ${dir} away and the copy is made anew`, { dir });
    }
    catalog.setMeta('repository_id', source.id);
    catalog.recordTime(clock.now());
  } finally {
    catalog.close();
  }
  // Written last, as by initRepository: a location without it is not (yet) a repository.
  await backend.put(CONFIG_KEY, configBytes, { signal });
}

/** A location as people write it. */
function where(s3: S3Location): string {
  return `s3://${s3.bucket}/${s3.prefix}${s3.endpoint ? ` at ${s3.endpoint}` : ''}`;
}

function sameLocation(a: S3Location, b: S3Location): boolean {
  const prefix = (p: string) => p.replace(/^\/+|\/+$/g, '');
  return a.bucket === b.bucket && prefix(a.prefix) === prefix(b.prefix) && (a.endpoint ?? '') === (b.endpoint ?? '');
}

/**
 * Opens the copy of `source` in `dir`, making it the first time, and finishing a set-up that
 * stopped half way (bucket made, the note of the location written, the config not yet): nothing
 * needs clearing by hand. What cannot be finished safely is refused with an error naming what to
 * change: a directory for another location or another repository, a location holding objects that
 * are not the copy's, credentials the storage refuses.
 */
export async function ensureObjectCopy(
  dir: string,
  source: Repository,
  s3: S3Location,
  opts: ObjectCopyOptions & { reserveBytes?: number },
  signal: AbortSignal,
): Promise<Repository> {
  const what = (err: unknown): never => {
    if (err instanceof StoreError && (err.details['status'] === 403 || err.details['s3Code'] === 'InvalidAccessKeyId' || err.details['s3Code'] === 'SignatureDoesNotMatch')) {
      throw new StoreError('backend-refused', `object storage refused the copy's credentials for ${where(s3)} (copyS3: its credentials file or the AWS environment): ${err.message}`, { ...err.details }, { cause: err });
    }
    throw err;
  };
  try {
    const note = await readBackendNote(dir);
    if (!note) {
      await initObjectCopy(dir, source, s3, opts, signal).catch((err: unknown) => {
        if (isStoreError(err, 'not-a-repository') && err.details['location'] !== undefined) {
          throw new StoreError('not-a-repository', `${err.message}: it is not a copy Lifeline made; empty it, or name another bucket or prefix in copyS3`, err.details, { cause: err });
        }
        throw err;
      });
      opts.logger?.info('created the copy on object storage', { dir, location: where(s3) });
    } else {
      if (!sameLocation(note, s3)) {
        throw new StoreError('not-a-repository', `${dir} keeps the copy in ${where(note)}, but copyS3 names ${where(s3)}: set copyS3 back, or move ${dir} away to make a new copy there`, { dir });
      }
      const clock = opts.clock ?? systemClock;
      const backend = await openBackend(dir, { clock, ...(opts.s3Credentials ? { s3Credentials: opts.s3Credentials } : {}) }, signal);
      if (!(await backend.stat(CONFIG_KEY, signal))) {
        for await (const o of backend.list('', signal)) {
          if (!o.key.startsWith(KEYS_PREFIX)) {
            throw new StoreError('not-a-repository', `${backend.location} holds ${o.key} but no config: it is not a copy Lifeline was making; empty it, or name another bucket or prefix in copyS3 and move ${dir} away`, { dir });
          }
        }
        await finishSetup(dir, source, opts, signal);
        opts.logger?.warn('finished setting up the copy on object storage, which an earlier run left half done', { dir, location: where(s3) });
      }
    }
    return await openObjectCopy(dir, source, opts, signal);
  } catch (err) {
    return what(err);
  }
}

/** Opens the copy of `source` in `dir` with the source's key (no passphrase needed while the store is open). */
export async function openObjectCopy(
  dir: string,
  source: Repository,
  opts: Pick<ObjectCopyOptions, 's3Credentials' | 'clock' | 'logger'> & { reserveBytes?: number },
  signal: AbortSignal,
): Promise<Repository> {
  const copy = await Repository.open(
    dir,
    {
      keyExport: source.exportKey(),
      clock: opts.clock ?? source.clock,
      ...(opts.s3Credentials ? { s3Credentials: opts.s3Credentials } : {}),
      ...(opts.logger ? { logger: opts.logger } : {}),
    },
    signal,
  );
  if (copy.id !== source.id) {
    await copy.close();
    throw new StoreError('not-a-repository', `${dir} holds repository ${copy.id}, not a copy of the store ${source.id}`, { dir });
  }
  return copy;
}

export interface PointCopyOptions {
  signal: AbortSignal;
  /** The copy's least retention, in days from the point's creation (the point's own applies when later). */
  minRetainDays: number;
  /** Chunks in flight at once (default 8). */
  concurrency?: number;
  /** After each chunk stored in the copy, with its stored size. */
  onChunk?: (storedBytes: number) => void;
}

export interface PointCopyReport {
  pointId: string;
  /** The copy held the point already (its lock raised to the copy's retention when that is later). */
  present: boolean;
  /** Distinct chunks the point references. */
  chunks: number;
  /** Chunks the copy lacked, all of them uploaded. */
  chunksSent: number;
  /** Stored bytes of those chunks. */
  bytesSent: number;
  /** Until when the copy keeps the point locked. */
  retainUntil: number;
}

/** Copies one restore point of `source` into its copy `target`, uploading only the chunks the copy lacks. */
export async function copyPoint(source: Repository, target: Repository, pointId: string, opts: PointCopyOptions): Promise<PointCopyReport> {
  const { signal } = opts;
  if (source.id !== target.id) throw new StoreError('not-a-repository', `repository ${target.id} is not a copy of the store ${source.id}`);
  const parcel = await readPointParcel(source, pointId, signal);
  const imp = await PointImport.begin(target, parcel, { minRetainDays: opts.minRetainDays }, signal);
  if (imp.present) return { pointId, present: true, chunks: imp.chunkCount, chunksSent: 0, bytesSent: 0, retainUntil: imp.present.retainUntil };
  let chunksSent = 0;
  let bytesSent = 0;
  await forEachBounded(imp.missing, opts.concurrency ?? 8, signal, async (hex, sig) => {
    const stored = await readStoredChunk(source, hex, sig);
    await imp.putChunk(hex, stored, sig);
    chunksSent++;
    bytesSent += stored.byteLength;
    opts.onChunk?.(stored.byteLength);
  });
  const row = await imp.commit(signal);
  return { pointId, present: false, chunks: imp.chunkCount, chunksSent, bytesSent, retainUntil: row.retainUntil };
}

export interface CopyPruneOptions {
  signal: AbortSignal;
  /** Only this VM's points (catalog vm id); all when absent. */
  vmId?: string;
  /** Collect the copy's garbage after deleting points (default: only when some were deleted). */
  gc?: boolean;
  gcGraceMs?: number;
}

export interface CopyPruneReport {
  /** Points deleted from the copy, their lock there having run out. */
  pointsDeleted: string[];
  /** Points the copy keeps, still locked. */
  pointsKept: number;
  /** The garbage collection that followed, or null when none ran. */
  gc: GcReport | null;
}

/**
 * Applies the copy's own retention: a point stays in the copy as long as its lock there (the
 * policy's immutableDays from the point's creation, or the point's own retain-until when later)
 * and is deleted from the copy once that has passed, whatever the local store still holds. Then
 * its chunks go with the copy's garbage collection (maintenance/gc.ts): only chunks no point of
 * the copy references, and only once their own lock has passed — the storage server refuses the
 * delete of a version still under retention, and GC counts it as kept. A chunk's hidden older
 * versions (two puts of the same content, content-addressed) go with its key: the backend's
 * delete removes every version, and a version still locked stays until a later GC finds it
 * unlocked.
 */
export async function pruneCopy(copy: Repository, opts: CopyPruneOptions): Promise<CopyPruneReport> {
  const { signal } = opts;
  const now = copy.guardClock('prune the copy on object storage');
  const points = copy.listPoints(opts.vmId === undefined ? {} : { vmId: opts.vmId });
  const deleted: string[] = [];
  let kept = 0;
  for (const p of points) {
    if (p.state !== 'committed') continue;
    if (p.retainUntil > now) {
      kept++;
      continue;
    }
    try {
      await copy.deletePoint(p.id, signal);
      deleted.push(p.id);
    } catch (err) {
      // The storage server's clock may run behind ours: the point stays until the next prune.
      if (!isStoreError(err, 'retention-locked')) throw err;
      kept++;
    }
  }
  const gc = (opts.gc ?? deleted.length > 0) ? await collectGarbage(copy, { signal, ...(opts.gcGraceMs !== undefined ? { graceMs: opts.gcGraceMs } : {}) }) : null;
  return { pointsDeleted: deleted, pointsKept: kept, gc };
}
