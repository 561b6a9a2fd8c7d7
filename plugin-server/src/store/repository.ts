/**
 * A backup repository: a directory holding the objects (through the Backend) and the catalog.
 * This file opens and creates repositories, holds their keys, and owns the life of restore
 * points after they are written (reading, retention, deletion, recovery after a crash). Writing a
 * point is point-writer.ts; maintenance is prune.ts, gc.ts and verify.ts.
 */
import { createHash } from 'node:crypto';
import { chmod, mkdir, readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { openCatalog, type Catalog, type DiskRow, type PointQuery, type PointRow } from '../catalog/index.js';
import { silentLogger, type Logger } from '../log/index.js';
import type { Backend, SpaceInfo } from './backend/backend.js';
import { openBackend, readBackendNote, writeBackendNote, type BackendStackOptions } from './backend/backend-stack.js';
import { bucketObjectLock, prepareBucket, S3Backend, s3Client, type S3Credentials, type S3Location } from './backend/s3-backend.js';
import { forEachBounded } from './bounded.js';
import { ChunkStore } from './chunks/chunk-store.js';
import { blake3Binding } from './chunks/blake3.js';
import { systemClock, systemRandomBytes, type TimeSource, type RandomBytes } from '../domain/index.js';
import { rebuildCatalog, type CatalogRebuildReport } from './maintenance/catalog-rebuild.js';
import { CodecPool, defaultCodecThreads } from './chunks/codec-pool.js';
import { CHUNK_ID_ALGORITHMS, chunkKey, digestHex, isKeyedChunkId, type ChunkIdAlgorithm } from './chunks/digest.js';
import { FixedIndex } from './engine/fixed-index.js';
import {
  deriveKeys,
  exportMasterKey,
  importMasterKey,
  MASTER_KEY_BYTES,
  parseKeyFile,
  unwrapMasterKey,
  wrapMasterKey,
  type KeyExport,
  type RepositoryKeys,
  type ScryptParams,
} from './keys.js';
import { indexKey, manifestKey, openManifest, type PointManifest } from './engine/manifest.js';
import { identityAlive, processIdentity } from './process-identity.js';
import type { ChunkSource } from './engine/restore.js';
import { openDocument, sealDocument, unsealedText } from './sealed-document.js';
import { StoreError, isStoreError } from './store-error.js';

export const DEFAULT_CHUNK_SIZE = 4 * 1024 * 1024;
/** Bytes written between two looks at the free room (a statfs each) while a reserve is kept. */
const ROOM_LOOK_BYTES = 256 * 1024 * 1024;
export const DEFAULT_ZSTD_LEVEL = 2;
export const DAY_MS = 86_400_000;
export const DEFAULT_RETAIN_DAYS = 7;
const CONFIG_KEY = 'config';
const KEYS_PREFIX = 'keys/';
const CATALOG_FILE = 'catalog.db';

export interface RepositoryConfig {
  format: 'lifeline-repo/1';
  id: string;
  createdAt: string;
  chunkSize: number;
  encrypted: boolean;
  /** How chunks are named; absent in repositories made before the field (see chunkIdOf). */
  chunkId?: ChunkIdAlgorithm;
  compression: { algorithm: 'zstd'; level: number };
}

/**
 * The chunk id algorithm of a repository: the config's, or for a config without the field what
 * Lifeline used then (HMAC-SHA256 when encrypted, SHA-256 otherwise). A config that names an
 * unknown algorithm, or one that does not match its encryption, is refused.
 */
export function chunkIdOf(config: Pick<RepositoryConfig, 'chunkId' | 'encrypted'>): ChunkIdAlgorithm {
  const a = config.chunkId ?? (config.encrypted ? 'hmac-sha256' : 'sha256');
  if (!CHUNK_ID_ALGORITHMS.includes(a)) {
    throw new StoreError('unsupported-format', `the repository names its chunks with ${String(a)}, which this Lifeline does not know`);
  }
  if (isKeyedChunkId(a) !== config.encrypted) {
    throw new StoreError('unsupported-format', `the repository config pairs ${a} chunk ids with ${config.encrypted ? 'encryption' : 'no encryption'}, which Lifeline never writes`);
  }
  return a;
}

export interface RepositoryContext {
  clock?: TimeSource;
  random?: RandomBytes;
  logger?: Logger;
  /** Codec worker threads (default: available parallelism). */
  codecThreads?: number;
  /**
   * Room new restore points must leave free on the storage (bytes; default 0). Below it a new
   * point is refused and one being written stops, with 'store-full', so that pruning, garbage
   * collection and the catalog always have room to work and free space again.
   */
  reserveBytes?: number;
  /** Outermost Backend wrapper, for tests (fault injection). */
  wrapBackend?: (b: Backend) => Backend;
  /** Credentials for a repository on S3 whose location names no credentials file (else the AWS chain). */
  s3Credentials?: S3Credentials;
}

export interface InitOptions extends RepositoryContext {
  encrypt: boolean;
  passphrase?: string;
  scrypt?: ScryptParams;
  chunkSize?: number;
  zstdLevel?: number;
  /** Default: keyed BLAKE3 when encrypted, SHA-256 otherwise. */
  chunkId?: ChunkIdAlgorithm;
  /**
   * Keep the objects in this S3 bucket and prefix instead of the directory (which then holds the
   * catalog and a note of the location). The bucket is created with Object Lock if missing.
   */
  s3?: S3Location;
  /** For S3: refuse a bucket without Object Lock (default true). */
  requireObjectLock?: boolean;
}

export interface OpenOptions extends RepositoryContext {
  passphrase?: string;
  /** Opens with an exported master key instead of a passphrase. */
  keyExport?: KeyExport;
  /** Skip crash recovery (for read-only inspection). */
  skipRecovery?: boolean;
  /**
   * Leave a new, empty catalog beside existing restore points as it is (rebuild-catalog reports
   * on its own); by default such a catalog is rebuilt from the repository while opening.
   */
  skipCatalogRebuild?: boolean;
}

/**
 * Chunk locks are rounded up to the next whole day: a chunk shared by hourly points then needs
 * its lock raised once a day, not at every commit, at the price of living at most a day longer
 * than the points that need it.
 */
export function chunkLockUntil(retainUntil: number): number {
  return Math.ceil(retainUntil / DAY_MS) * DAY_MS;
}

export async function initRepository(dir: string, opts: InitOptions, signal: AbortSignal): Promise<RepositoryConfig> {
  const clock = opts.clock ?? systemClock;
  const random = opts.random ?? systemRandomBytes;
  // Only Lifeline's own user may enter the store: the catalog in it names VMs in clear.
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const existing = (await readdir(dir)).filter((n) => !n.startsWith('.'));
  if (existing.length > 0) {
    const isRepo = existing.includes(CONFIG_KEY);
    throw new StoreError(
      isRepo ? 'repository-exists' : 'not-a-repository',
      isRepo ? `${dir} already holds a Lifeline repository` : `${dir} is not empty; a repository needs an empty directory`,
      { dir },
    );
  }
  if (opts.encrypt && opts.passphrase === undefined) {
    throw new StoreError('passphrase-required', 'an encrypted repository needs a passphrase: give --passphrase-file or set LIFELINE_PASSPHRASE');
  }
  const now = clock.now();
  const config: RepositoryConfig = {
    format: 'lifeline-repo/1',
    id: Buffer.from(random(16)).toString('hex'),
    createdAt: new Date(now).toISOString(),
    chunkSize: opts.chunkSize ?? DEFAULT_CHUNK_SIZE,
    encrypted: opts.encrypt,
    chunkId: opts.chunkId ?? (opts.encrypt ? 'blake3-keyed' : 'sha256'),
    compression: { algorithm: 'zstd', level: opts.zstdLevel ?? DEFAULT_ZSTD_LEVEL },
  };
  if (chunkIdOf(config) === 'blake3-keyed') blake3Binding();
  await chmod(dir, 0o700);
  if (opts.s3) await prepareS3Location(dir, opts.s3, opts, signal);
  const master = Uint8Array.from(random(MASTER_KEY_BYTES));
  const keys = deriveKeys(master, config.id, config.encrypted);
  const backend = await openBackend(dir, backendStackOptions(clock, opts), signal);
  const keyId = Buffer.from(random(8)).toString('hex');
  const keyFile = await wrapMasterKey({
    master,
    passphrase: opts.encrypt ? opts.passphrase : undefined,
    repositoryId: config.id,
    keyId,
    createdAt: config.createdAt,
    random,
    scrypt: opts.scrypt,
    signal,
  });
  master.fill(0);
  await backend.put(`${KEYS_PREFIX}${keyId}`, Buffer.from(JSON.stringify(keyFile)), { signal });
  const catalog = openCatalog(join(dir, CATALOG_FILE));
  try {
    catalog.setMeta('repository_id', config.id);
    catalog.recordTime(now);
  } finally {
    catalog.close();
  }
  // The config is written last: a directory without it is not (yet) a repository.
  await backend.put(CONFIG_KEY, sealDocument(config, keys.macKey, undefined), { signal });
  return config;
}

function backendStackOptions(clock: TimeSource, opts: RepositoryContext): BackendStackOptions {
  return { clock, wrap: opts.wrapBackend, ...(opts.logger ? { log: opts.logger } : {}), ...(opts.s3Credentials ? { s3Credentials: opts.s3Credentials } : {}) };
}

/**
 * Makes (or checks) the bucket, with Object Lock unless the caller waived it, and refuses a prefix
 * that already holds objects: the config is written once, into an empty location. Then notes the
 * location in the directory.
 */
export async function prepareS3Location(dir: string, location: S3Location, opts: InitOptions, signal: AbortSignal): Promise<void> {
  let loc = location;
  const client = await s3Client(loc, opts.s3Credentials ? { credentials: opts.s3Credentials } : {});
  try {
    const { objectLock } = await prepareBucket(client, loc.bucket, opts.requireObjectLock ?? true, signal);
    loc = { ...loc, objectLock };
    const probe = new S3Backend(client, loc, { clock: opts.clock ?? systemClock });
    for await (const o of probe.list('', signal)) {
      throw new StoreError(
        o.key === CONFIG_KEY ? 'repository-exists' : 'not-a-repository',
        o.key === CONFIG_KEY ? `${probe.location} already holds a Lifeline repository` : `${probe.location} is not empty; a repository needs an empty bucket or prefix`,
        { location: probe.location },
      );
    }
  } finally {
    client.destroy();
  }
  await writeBackendNote(dir, loc);
}

export type RepositoryStorage =
  | { kind: 'directory'; location: string }
  | { kind: 'object-storage'; location: string; lockMode: 'compliance' | 'none' };

/** The first field in which a catalog row and its disks disagree with the point's manifest, or null. */
export function catalogDifference(point: PointRow, disks: readonly DiskRow[], m: PointManifest): string | null {
  if (point.vmId !== m.vm.id) return 'vm_id';
  if (point.vmName !== m.vm.name) return 'vm_name';
  if (point.createdAt !== Date.parse(m.createdAt)) return 'created_at';
  if (point.parentId !== m.parentId) return 'parent_id';
  if (point.consistency !== m.consistency) return 'consistency';
  if (disks.length !== m.disks.length) return 'disks';
  const sorted = [...m.disks].sort((a, b) => a.disk - b.disk);
  for (const [i, d] of [...disks].sort((a, b) => a.disk - b.disk).entries()) {
    const md = sorted[i];
    if (!md || md.disk !== d.disk || md.indexKey !== d.indexKey || md.indexSha256 !== d.indexSha256 || md.capacity !== d.capacity || md.chunkSize !== d.chunkSize) {
      return `disk ${d.disk}`;
    }
  }
  return null;
}

export class Repository {
  private codecPool: CodecPool | undefined;
  private chunkStore: ChunkStore | undefined;
  /** What opening put back into a new catalog from the repository's manifests, if anything. */
  rebuiltOnOpen: CatalogRebuildReport | undefined;
  readonly clock: TimeSource;
  readonly random: RandomBytes;
  readonly log: Logger;

  private constructor(
    readonly dir: string,
    readonly config: RepositoryConfig,
    readonly backend: Backend,
    readonly catalog: Catalog,
    /** Derived keys; the master key itself is kept only for passphrase changes and export. */
    readonly keys: RepositoryKeys,
    private readonly master: Uint8Array,
    private readonly keyFileId: string | undefined,
    private readonly ctx: RepositoryContext,
  ) {
    this.clock = ctx.clock ?? systemClock;
    this.random = ctx.random ?? systemRandomBytes;
    this.log = ctx.logger ?? silentLogger;
  }

  static async open(dir: string, opts: OpenOptions, signal: AbortSignal): Promise<Repository> {
    const clock = opts.clock ?? systemClock;
    const isDir = await stat(dir).then((s) => s.isDirectory(), () => false);
    if (!isDir) throw new StoreError('not-a-repository', `${dir} does not exist or is not a directory`, { dir });
    const backend = await openBackend(dir, backendStackOptions(clock, opts), signal);
    let configBytes: Uint8Array;
    try {
      configBytes = await backend.get(CONFIG_KEY, signal);
    } catch (err) {
      if (isStoreError(err, 'object-not-found')) throw new StoreError('not-a-repository', `${dir} is not a Lifeline repository (no config)`, { dir });
      throw err;
    }
    let claimed: RepositoryConfig;
    try {
      claimed = JSON.parse(unsealedText(configBytes, 'repository config')) as RepositoryConfig;
    } catch {
      throw new StoreError('not-a-repository', `${dir} has an unreadable repository config`, { dir });
    }
    if (claimed.format !== 'lifeline-repo/1') {
      throw new StoreError('unsupported-format', `${dir} holds a repository of format ${String(claimed.format)}, which this Lifeline cannot read`, { dir });
    }
    const { master, keyFileId } = await Repository.unlock(backend, claimed, opts, signal);
    // The config is trusted only once its MAC checks out under the unlocked key.
    const keys0 = deriveKeys(master, claimed.id, claimed.encrypted);
    const config = openDocument(configBytes, keys0.macKey, undefined, 'repository config') as RepositoryConfig;
    const keys = deriveKeys(master, config.id, config.encrypted);
    if (chunkIdOf(config) === 'blake3-keyed') blake3Binding();
    const catalogPath = join(dir, CATALOG_FILE);
    let catalog: Catalog;
    try {
      catalog = openCatalog(catalogPath);
    } catch (err) {
      throw new StoreError(
        'catalog-unreadable',
        `the catalog ${catalogPath} cannot be opened (${err instanceof Error ? err.message : String(err)}); the restore points are safe in the repository: move the file aside and open the repository again to rebuild the catalog from them`,
        { path: catalogPath },
      );
    }
    const repo = new Repository(dir, config, backend, catalog, keys, master, keyFileId, opts);
    try {
      const known = catalog.getMeta('repository_id');
      if (known !== undefined && known !== config.id) throw new StoreError('not-a-repository', `the catalog in ${dir} belongs to repository ${known}, not ${config.id}`);
      if (!opts.skipRecovery) await repo.recover(signal);
      // A new catalog beside existing points (lost, deleted or never copied): put them back first.
      // The catalog is claimed for this repository only once it holds them, so an open that
      // stops half-way rebuilds again next time.
      if (known === undefined && !opts.skipRecovery) {
        if (!opts.skipCatalogRebuild) {
          const rebuilt = await rebuildCatalog(repo, { signal });
          if (rebuilt.added.length + rebuilt.invalid.length > 0) {
            repo.rebuiltOnOpen = rebuilt;
            repo.log.warn('catalog rebuilt from the repository', {
              added: rebuilt.added.length,
              damaged: rebuilt.damaged,
              invalid: rebuilt.invalid,
            });
          }
        }
        catalog.setMeta('repository_id', config.id);
      }
    } catch (err) {
      await repo.close();
      throw err;
    }
    return repo;
  }

  private static async unlock(
    backend: Backend,
    config: RepositoryConfig,
    opts: OpenOptions,
    signal: AbortSignal,
  ): Promise<{ master: Uint8Array; keyFileId: string | undefined }> {
    if (opts.keyExport) return { master: importMasterKey(opts.keyExport, config.id), keyFileId: undefined };
    const files = [];
    for await (const o of backend.list(KEYS_PREFIX, signal)) files.push(parseKeyFile(await backend.get(o.key, signal), o.key));
    if (files.length === 0) throw new StoreError('not-a-repository', 'the repository has no key files');
    let lastError: unknown;
    for (const f of files) {
      if (config.encrypted && f.kdf.name === 'none') continue;
      try {
        return { master: await unwrapMasterKey(f, config.encrypted ? opts.passphrase : undefined, config.id, signal), keyFileId: f.id };
      } catch (err) {
        if (!isStoreError(err, 'wrong-passphrase')) throw err;
        lastError = err;
      }
    }
    if (lastError && files.length > 1) throw new StoreError('wrong-passphrase', 'the passphrase does not unlock any key of this repository');
    throw lastError ?? new StoreError('not-a-repository', 'the repository has no usable key file');
  }

  get id(): string {
    return this.config.id;
  }

  get encrypted(): boolean {
    return this.config.encrypted;
  }

  /** Codec worker threads the repository runs (or will, once started). */
  get codecThreads(): number {
    return this.codecPool?.threads ?? Math.max(1, this.ctx.codecThreads ?? defaultCodecThreads());
  }

  /** The codec workers, started on first use. */
  codec(): CodecPool {
    this.codecPool ??= new CodecPool({
      chunkId: chunkIdOf(this.config),
      idKey: this.keys.idKey,
      chunkKey: this.keys.chunkKey,
      level: this.config.compression.level,
      maxChunk: this.config.chunkSize,
      threads: this.ctx.codecThreads,
    });
    return this.codecPool;
  }

  chunks(): ChunkStore {
    this.chunkStore ??= new ChunkStore(this.backend, this.codec(), { chunkSize: this.config.chunkSize });
    return this.chunkStore;
  }

  /**
   * The verifying chunk reader for restoring or exporting one restore point. A chunk found corrupt
   * or missing on the way is recorded as damage of that point (which is marked damaged, as verify
   * would mark it) before the error goes on: the next backup of its VM then writes the chunk again,
   * and the next verify clears the mark — or confirms the damage and moves a corrupt chunk aside.
   */
  pointChunks(pointId: string): ChunkSource {
    const store = this.chunks();
    return {
      read: async (digest, length, signal, into) => {
        try {
          return await store.read(digest, length, signal, into);
        } catch (err) {
          const problem = isStoreError(err, 'chunk-corrupt') ? 'corrupt' : isStoreError(err, 'object-not-found') ? 'missing' : undefined;
          if (problem) this.recordFoundDamage(pointId, digestHex(digest), problem, (err as Error).message);
          throw err;
        }
      },
    };
  }

  private recordFoundDamage(pointId: string, hex: string, problem: 'corrupt' | 'missing', detail: string): void {
    try {
      this.catalog.recordDamage([{ digest: hex, problem, detail: `${detail} (found reading restore point ${pointId})`, foundAt: this.now() }], null, new Map([[hex, [pointId]]]));
      this.log.warn('damaged chunk found while reading a restore point: the point is marked damaged', { pointId, digest: hex, problem });
    } catch (err) {
      // The read error itself is what the caller needs; failing to note it must not hide it.
      this.log.error('could not record damage found while reading a restore point', { pointId, digest: hex, err: err instanceof Error ? err.message : String(err) });
    }
  }

  async close(): Promise<void> {
    await this.codecPool?.close();
    this.codecPool = undefined;
    this.chunkStore = undefined;
    this.master.fill(0);
    this.catalog.close();
  }

  now(): number {
    return this.clock.now();
  }

  /** The room reserved for maintenance (RepositoryContext.reserveBytes). */
  get reserveBytes(): number {
    return this.ctx.reserveBytes ?? 0;
  }

  /**
   * What the objects are stored on: the repository's directory (retention = file times), or an
   * S3 bucket, with whether its Object Lock (COMPLIANCE-mode retention, enforced by the server)
   * is enabled. Object storage has no fixed capacity.
   */
  async storage(signal: AbortSignal): Promise<RepositoryStorage> {
    const s3 = await readBackendNote(this.dir);
    if (!s3) return { kind: 'directory', location: this.dir };
    const client = await s3Client(s3, this.ctx.s3Credentials ? { credentials: this.ctx.s3Credentials } : {});
    try {
      const objectLock = await bucketObjectLock(client, s3.bucket, signal);
      return { kind: 'object-storage', location: this.backend.location, lockMode: objectLock ? 'compliance' : 'none' };
    } finally {
      client.destroy();
    }
  }

  /** The storage's size and free room, or null when it has no fixed bound. */
  space(signal: AbortSignal): Promise<SpaceInfo | null> {
    return this.backend.space(signal);
  }

  /**
   * Throws 'store-full' when the storage has less free room than the reserve: called before a new
   * restore point is begun (and before a backup touches its VM), and while one is written.
   */
  async checkRoom(signal: AbortSignal): Promise<void> {
    const reserve = this.reserveBytes;
    if (reserve <= 0) return;
    const space = await this.space(signal);
    if (space === null || space.freeBytes >= reserve) return;
    throw this.belowReserve(space.freeBytes, space.totalBytes);
  }

  /** 'store-full' for a store below its reserve, or that the writes under way (`leftBytes`: what they would leave) would take below it. */
  private belowReserve(freeBytes: number, totalBytes: number, leftBytes?: number): StoreError {
    const reserve = this.reserveBytes;
    const left = leftBytes === undefined ? '' : `, and the writes under way would leave ${formatBytes(Math.max(0, leftBytes))}`;
    return new StoreError(
      'store-full',
      `the backup store ${this.dir} has ${formatBytes(freeBytes)} free of ${formatBytes(totalBytes)}${left}, less than the ${formatBytes(reserve)} kept free for maintenance; ` +
        'no restore point is written until space is freed (lower retention or delete restore points, then run maintenance) or the file system is enlarged',
      { freeBytes, totalBytes, reserveBytes: reserve },
    );
  }

  /** The free room at the last look (roomFor), less what was written since; null before it. */
  private roomSeen: { freeBytes: number; totalBytes: number; writtenSince: number } | null = null;
  /** Room held by writes under way (roomFor), each its bound until it is written. */
  private roomHeld = 0;

  /**
   * Holds room for a write of at most `bound` bytes about to start, so that the writes under way
   * together (every writer of this repository, each with several chunks in flight) never take the
   * storage below the reserve: throws 'store-full' when it would, before a byte is written. The
   * free room is looked at again when the held writes might not fit, and at least every
   * ROOM_LOOK_BYTES written. Call the returned function with the bytes written (0 when none) once
   * the write ended. Without a reserve, or on storage with no fixed bound, it holds nothing.
   */
  async roomFor(bound: number, signal: AbortSignal): Promise<(written: number) => void> {
    const reserve = this.reserveBytes;
    if (reserve <= 0) return () => undefined;
    const fits = (): boolean => this.roomSeen !== null && this.roomSeen.freeBytes - this.roomSeen.writtenSince - this.roomHeld - bound >= reserve;
    if (!fits() || (this.roomSeen?.writtenSince ?? 0) >= ROOM_LOOK_BYTES) {
      const space = await this.space(signal);
      if (space === null) return () => undefined;
      // Writes under way have put part of their bytes already, which the new figure counts while
      // they still hold their whole bound: an error on the safe side, gone once they end.
      this.roomSeen = { freeBytes: space.freeBytes, totalBytes: space.totalBytes, writtenSince: 0 };
    }
    if (!fits()) {
      const seen = this.roomSeen!;
      const free = Math.max(0, seen.freeBytes - seen.writtenSince);
      throw this.belowReserve(free, seen.totalBytes, free - this.roomHeld - bound);
    }
    this.roomHeld += bound;
    let ended = false;
    return (written) => {
      if (ended) return;
      ended = true;
      this.roomHeld -= bound;
      if (this.roomSeen) this.roomSeen.writtenSince += written;
    };
  }

  /**
   * Refuses destructive work when the clock reads earlier than a time the repository already
   * recorded: a clock set back would otherwise be harmless, but one that was wrong before and got
   * corrected backwards means earlier retention decisions were taken on a bad clock.
   */
  guardClock(action: string): number {
    const now = this.now();
    const high = this.catalog.highWater();
    if (now < high) {
      throw new StoreError(
        'clock-went-backwards',
        `refusing to ${action}: the clock reads ${new Date(now).toISOString()}, earlier than ${new Date(high).toISOString()} already recorded by this repository; fix the system clock (or wait until then)`,
        { now: new Date(now).toISOString(), recorded: new Date(high).toISOString() },
      );
    }
    return now;
  }

  // --- restore points ---------------------------------------------------------------------

  listPoints(q?: PointQuery): PointRow[] {
    return this.catalog.listPoints(q);
  }

  latestPoint(vmId: string): PointRow | undefined {
    return this.catalog.latestPoint(vmId);
  }

  /** A committed restore point, or 'point-not-found'. */
  getPoint(id: string): PointRow {
    const p = this.catalog.getPoint(id);
    if (!p || p.state !== 'committed') throw new StoreError('point-not-found', `restore point ${id} does not exist`, { pointId: id });
    return p;
  }

  pointDisks(id: string): DiskRow[] {
    return this.catalog.pointDisks(this.getPoint(id).id);
  }

  async readManifest(pointId: string, signal: AbortSignal): Promise<PointManifest> {
    const bytes = await this.backend.get(manifestKey(pointId), signal);
    return openManifest(bytes, this.keys, pointId, this.id);
  }

  /**
   * A committed point's catalog row, once its sealed manifest has vouched for it: the row must
   * name the same VM, time, parent, consistency and disks (index objects and their checksums) as
   * the manifest. The catalog sits in the store unsigned, so whoever can write the file could
   * otherwise make one VM's point pass for another's; anything that decides who may read a point,
   * or what it serves, asks here. A row that disagrees is refused with 'catalog-integrity'.
   */
  async authenticPoint(pointId: string, signal: AbortSignal): Promise<{ point: PointRow; manifest: PointManifest }> {
    const point = this.getPoint(pointId);
    const manifest = await this.readManifest(pointId, signal);
    const disks = this.catalog.pointDisks(pointId);
    const differs = catalogDifference(point, disks, manifest);
    if (differs !== null) {
      this.log.error('catalog row disagrees with the sealed manifest; the point is refused', { pointId, field: differs });
      throw new StoreError(
        'catalog-integrity',
        `the catalog's entry for restore point ${pointId} does not match its sealed manifest (${differs}); the catalog was altered: the point is not served. Move catalog.db aside and open the repository again to rebuild it from the manifests`,
        { pointId, field: differs },
      );
    }
    return { point, manifest };
  }

  /**
   * The fixed index of one disk of a committed point, as its sealed manifest names it (the
   * catalog's row must agree), checked against the manifest's checksum.
   */
  async openIndex(pointId: string, disk: number, signal: AbortSignal): Promise<FixedIndex> {
    const { manifest } = await this.authenticPoint(pointId, signal);
    const entry = manifest.disks.find((d) => d.disk === disk);
    if (!entry) {
      throw new StoreError('point-not-found', `restore point ${pointId} has no disk ${disk}`, { pointId, disk });
    }
    return this.loadIndex(entry.indexKey, entry.indexSha256, signal);
  }

  async loadIndex(key: string, sha256: string, signal: AbortSignal): Promise<FixedIndex> {
    const bytes = await this.backend.get(key, signal);
    const sum = createHash('sha256').update(bytes).digest('hex');
    if (sum !== sha256) throw new StoreError('index-invalid', `index ${key} does not match the checksum its restore point recorded`, { key });
    return FixedIndex.parse(bytes, key);
  }

  /**
   * Extends a point's retention: its manifest, indexes and every chunk it references get locks at
   * least that long, then the catalog records it. Shortening is refused.
   */
  async extendRetention(pointId: string, until: number, reason: string, signal: AbortSignal): Promise<PointRow> {
    const p = this.getPoint(pointId);
    if (until < p.retainUntil) {
      throw new StoreError(
        'retention-shorten-refused',
        `restore point ${pointId} is retained until ${new Date(p.retainUntil).toISOString()}; retention can be extended, never shortened`,
        { pointId, retainUntil: new Date(p.retainUntil).toISOString() },
      );
    }
    await this.lockPointObjects(pointId, this.catalog.pointDisks(pointId), until, signal);
    const now = this.now();
    this.catalog.recordRetention(pointId, until, now, reason);
    this.catalog.recordTime(now);
    return this.getPoint(pointId);
  }

  /**
   * Locks a point's manifest, indexes and chunks until `until` (chunks to the day after). A chunk
   * that is missing fails the call, unless `missing` is given: it is then collected there and the
   * rest is locked all the same.
   */
  async lockPointObjects(
    pointId: string,
    disks: readonly DiskRow[],
    until: number,
    signal: AbortSignal,
    skip?: ReadonlySet<string>,
    missing?: string[],
  ): Promise<void> {
    const digests = new Set<string>();
    for (const d of disks) {
      const idx = await this.loadIndex(d.indexKey, d.indexSha256, signal);
      for (const hex of idx.distinctDigests()) if (!skip?.has(hex)) digests.add(hex);
    }
    const chunkUntil = chunkLockUntil(until);
    await forEachBounded(digests, 16, signal, async (hex, sig) => {
      try {
        await this.backend.lock(chunkKey(hex), chunkUntil, sig);
      } catch (err) {
        if (!isStoreError(err, 'object-not-found')) throw err;
        if (missing) missing.push(hex);
        else throw new StoreError('object-not-found', `chunk ${hex} referenced by restore point ${pointId} is missing`, { pointId, digest: hex });
      }
    });
    for (const d of disks) await this.backend.lock(d.indexKey, until, signal);
    await this.backend.lock(manifestKey(pointId), until, signal);
  }

  /** Points that backups in flight build upon; they must not disappear under them. */
  pointsInUse(): Set<string> {
    const used = new Set<string>();
    for (const w of this.catalog.listWriters()) if (w.baseId && identityAlive(w.owner)) used.add(w.baseId);
    return used;
  }

  /**
   * Deletes a restore point's manifest, indexes and catalog entry; its chunks are left for GC.
   * Refused before the point's retain-until — for everyone, there is no override — and while a
   * backup in flight uses it as its base.
   */
  async deletePoint(pointId: string, signal: AbortSignal): Promise<void> {
    const p = this.getPoint(pointId);
    const now = this.guardClock(`delete restore point ${pointId}`);
    if (now < p.retainUntil) {
      const at = new Date(p.retainUntil).toISOString();
      throw new StoreError('retention-locked', `restore point ${pointId} is retained until ${at}; it can be deleted from then on`, {
        pointId,
        allowedAt: at,
      });
    }
    if (this.pointsInUse().has(pointId)) {
      throw new StoreError('repository-busy', `restore point ${pointId} is the base of a backup in progress`, { pointId });
    }
    this.catalog.setPointState(pointId, 'deleting');
    this.catalog.recordTime(now);
    await this.removePointObjects(pointId, signal);
  }

  /** Objects first (the manifest before the indexes, so no half point can be rebuilt), then the row. */
  private async removePointObjects(pointId: string, signal: AbortSignal): Promise<void> {
    await this.backend.delete(manifestKey(pointId), signal);
    for await (const o of this.backend.list(`points/${pointId}/`, signal)) await this.backend.delete(o.key, signal);
    this.catalog.deletePoint(pointId);
  }

  /** Deletes an object unless a retention lock keeps it; says whether it is gone. */
  async deleteUnlessLocked(key: string, signal: AbortSignal): Promise<boolean> {
    try {
      await this.backend.delete(key, signal);
      return true;
    } catch (err) {
      if (isStoreError(err, 'retention-locked')) return false;
      throw err;
    }
  }

  // --- keys ---------------------------------------------------------------------------------

  /** Wraps the master key under a new passphrase, then removes the key file used to open. */
  async changePassphrase(newPassphrase: string, signal: AbortSignal): Promise<void> {
    if (!this.encrypted) throw new StoreError('unsupported-format', 'this repository is not encrypted; it has no passphrase');
    const keyId = Buffer.from(this.random(8)).toString('hex');
    const file = await wrapMasterKey({
      master: this.master,
      passphrase: newPassphrase,
      repositoryId: this.id,
      keyId,
      createdAt: new Date(this.now()).toISOString(),
      random: this.random,
      signal,
    });
    await this.backend.put(`${KEYS_PREFIX}${keyId}`, Buffer.from(JSON.stringify(file)), { signal });
    if (this.keyFileId) await this.backend.delete(`${KEYS_PREFIX}${this.keyFileId}`, signal);
  }

  /** The master key, for the administrator to keep somewhere safe. */
  exportKey(): KeyExport {
    return exportMasterKey(this.master, this.id);
  }

  // --- crash recovery -----------------------------------------------------------------------

  /**
   * Finishes what crashed processes left: a pending point whose writer is gone becomes committed
   * if its sealed manifest was written (everything it references was durable before that), and
   * is removed otherwise; a deletion that was interrupted is completed. Another process's work in
   * progress is left alone.
   */
  async recover(signal: AbortSignal): Promise<{ committed: string[]; discarded: string[]; deleted: string[] }> {
    const out = { committed: [] as string[], discarded: [] as string[], deleted: [] as string[] };
    const me = processIdentity();
    const took = this.catalog.tryTakeMaintenance('recovery', me, this.now(), identityAlive);
    if (!took.taken) return out;
    try {
      const liveWriters = new Set<string>();
      for (const w of this.catalog.listWriters()) {
        if (identityAlive(w.owner)) liveWriters.add(w.pointId);
        else this.catalog.removeWriter(w.id);
      }
      for (const p of this.catalog.listPoints({ states: ['pending'] })) {
        if (liveWriters.has(p.id)) continue;
        if (await this.adoptPending(p, signal)) out.committed.push(p.id);
        else out.discarded.push(p.id);
      }
      for (const p of this.catalog.listPoints({ states: ['deleting'] })) {
        await this.removePointObjects(p.id, signal);
        out.deleted.push(p.id);
      }
    } finally {
      this.catalog.releaseMaintenance('recovery', me);
    }
    if (out.committed.length + out.discarded.length + out.deleted.length > 0) this.log.info('repository recovered', out);
    return out;
  }

  private async adoptPending(p: PointRow, signal: AbortSignal): Promise<boolean> {
    let manifest: PointManifest | undefined;
    try {
      manifest = await this.readManifest(p.id, signal);
    } catch (err) {
      if (!isStoreError(err, 'object-not-found') && !isStoreError(err, 'manifest-invalid')) throw err;
    }
    if (!manifest) {
      // An index already locked stays until its lock passes; GC removes it then as an orphan.
      for await (const o of this.backend.list(`points/${p.id}/`, signal)) await this.deleteUnlessLocked(o.key, signal);
      this.catalog.deletePoint(p.id);
      return false;
    }
    const disks: DiskRow[] = manifest.disks.map((d) => ({ pointId: p.id, ...d }));
    const until = Date.parse(manifest.retainUntil);
    // A chunk gone since the manifest was written (it was durable then) is damage to report, not
    // a reason to refuse opening the repository: the point is committed and marked damaged.
    const missing: string[] = [];
    await this.lockPointObjects(p.id, disks, until, signal, undefined, missing);
    const now = this.now();
    this.catalog.transaction(() => {
      this.catalog.replaceDisks(p.id, disks);
      this.catalog.recordRetention(p.id, until, now, 'recovered after a crash');
      this.catalog.setPointState(p.id, 'committed');
      if (missing.length > 0) {
        const detail = (hex: string) => `chunk ${hex} is missing (found when restore point ${p.id} was recovered after a crash)`;
        this.catalog.recordDamage(
          missing.map((hex) => ({ digest: hex, problem: 'missing', detail: detail(hex), foundAt: now })),
          null,
          new Map(missing.map((hex) => [hex, [p.id]])),
        );
      }
    });
    if (missing.length > 0) this.log.warn('restore point recovered with missing chunks: marked damaged', { pointId: p.id, missing: missing.length });
    return true;
  }
}

export { indexKey, manifestKey };

/** Bytes for a message: GiB with one decimal from 1 GiB up, else MiB. */
export function formatBytes(n: number): string {
  const GiB = 1024 ** 3;
  return n >= GiB ? `${(n / GiB).toFixed(1)} GiB` : `${(n / 1024 ** 2).toFixed(1)} MiB`;
}
