/**
 * The restore engine of recovery: writes one disk of a restore point to a datastore as a flat VMDK
 * (data file, then descriptor) by a single streaming upload through vCenter's datastore file
 * access. The store's restoreDisk fetches and verifies chunks ahead of the upload, a bounded number
 * at a time, and hands them over in ascending order; all-zero slots are never fetched, they are
 * sent from one shared zero buffer. Memory stays bounded: the store's chunk window plus the
 * upload stream's buffer.
 *
 * A chunk that fails verification (or is missing) stops the restore with an error naming the
 * chunk and the restore point; the upload is then aborted and whatever reached the datastore is
 * deleted, so no half-written disk is ever left there. Nothing unverified is ever sent.
 */
import { PassThrough } from 'node:stream';
import { LifelineError, describeError } from '../errors/index.js';
import { isStoreError, restoreDisk, type DiskAreaWriter, type Repository, type RestoreStats } from '../store/index.js';
import { isVimFault, parseDatastorePath } from '../vsphere/index.js';
import { RecoveryError } from './recovery-error.js';
import type { RecoveryVcenter } from './recovery-vcenter.js';
import { flatDescriptor, flatFileOf } from './vmdk.js';

export interface DiskTarget {
  /** The datacenter's moref (deletes) and inventory path (uploads). */
  readonly datacenter: { readonly moref: string; readonly path: string };
  /** "[datastore] folder/name.vmdk": the descriptor; the data goes to "name-flat.vmdk" beside it. */
  readonly descriptor: string;
}

export interface RestoreToDatastoreArgs {
  readonly repository: Repository;
  readonly vcenter: Pick<RecoveryVcenter, 'uploadFile' | 'deleteFile'>;
  readonly pointId: string;
  /** The disk's number in the point (its device key when it was backed up). */
  readonly disk: number;
  readonly target: DiskTarget;
  readonly signal: AbortSignal;
  /** Chunks fetched and verified ahead of the upload. Default 8. */
  readonly concurrency?: number;
  readonly onProgress?: (p: { bytesDone: number; bytesTotal: number }) => void;
}

export interface RestoredDisk {
  readonly descriptor: string;
  readonly flat: string;
  readonly capacity: number;
  readonly stats: RestoreStats;
}

/** Bytes the upload stream holds before the restore waits for it: a few chunks. */
const STREAM_BUFFER = 16 * 1024 * 1024;

/**
 * The disk areas of a restore, fed into the body of an upload. restoreDisk reuses its chunk
 * buffers as soon as a write returns, so data is copied into the stream; zero areas come from a
 * shared zero buffer that nobody writes to.
 */
class UploadStreamWriter implements DiskAreaWriter {
  readonly stream = new PassThrough({ highWaterMark: STREAM_BUFFER });
  private at = 0;
  private ended: unknown = null;
  private readonly zeros: Buffer;

  constructor(chunkSize: number) {
    this.zeros = Buffer.alloc(chunkSize);
    this.stream.once('close', () => {
      this.ended ??= new LifelineError('restore-upload-failed', 'the upload stream closed before the disk was complete');
    });
  }

  async write(offset: number, data: Uint8Array, signal: AbortSignal): Promise<void> {
    signal.throwIfAborted();
    if (this.ended !== null) throw this.ended;
    if (offset !== this.at) throw new Error(`restore wrote at ${offset}, expected ${this.at}: a stream target needs every byte in order`);
    this.at += data.byteLength;
    const zero = data.byteLength <= this.zeros.byteLength && isAllZero(data, this.zeros);
    const piece = zero ? this.zeros.subarray(0, data.byteLength) : Buffer.from(data);
    if (this.stream.write(piece)) return;
    await new Promise<void>((resolve, reject) => {
      const done = (err?: unknown): void => {
        this.stream.off('drain', onDrain);
        this.stream.off('close', onClose);
        signal.removeEventListener('abort', onAbort);
        if (err === undefined) resolve();
        else reject(err);
      };
      const onDrain = (): void => done();
      const onClose = (): void => done(this.ended);
      const onAbort = (): void => done(signal.reason);
      this.stream.on('drain', onDrain);
      this.stream.on('close', onClose);
      signal.addEventListener('abort', onAbort, { once: true });
    });
  }

  get written(): number {
    return this.at;
  }

  fail(err: unknown): void {
    this.ended ??= err;
    this.stream.destroy(err instanceof Error ? err : new Error(describeError(err)));
  }
}

function isAllZero(data: Uint8Array, zeros: Buffer): boolean {
  // restoreDisk in 'write' mode hands zero slots over as zero-filled views; most data chunks are
  // told apart by their first or last byte, the rest by a comparison that stops at the first
  // difference.
  if (data.byteLength === 0) return true;
  if (data[0] !== 0 || data[data.byteLength - 1] !== 0) return false;
  return Buffer.from(data.buffer, data.byteOffset, data.byteLength).equals(zeros.subarray(0, data.byteLength));
}

/** The chunk id named by a store error about a chunk object ("chunks/ab/<64 hex>"). */
function chunkIdOf(err: unknown): string | undefined {
  if (!isStoreError(err)) return undefined;
  const d = err.details as Record<string, unknown>;
  if (typeof d['digest'] === 'string') return d['digest'];
  const key = typeof d['key'] === 'string' ? d['key'] : '';
  return /^chunks\/[0-9a-f]{2}\/([0-9a-f]{64})$/.exec(key)?.[1];
}

/** Turns a failure of the restore into an error that names what is damaged or what failed. */
function restoreFailure(err: unknown, pointId: string, disk: number, target: string): unknown {
  if (err instanceof RecoveryError) return err;
  const chunk = chunkIdOf(err);
  if (isStoreError(err, 'chunk-corrupt')) {
    return new RecoveryError(
      'restore-chunk-corrupt',
      `restore point ${pointId}, disk ${disk}: chunk ${chunk ?? '(unknown)'} is damaged (${describeError(err)}); the restore stopped and nothing was left on the datastore`,
      { pointId, disk, chunk: chunk ?? null },
      { cause: err },
    );
  }
  if (isStoreError(err, 'object-not-found') && chunk !== undefined) {
    return new RecoveryError(
      'restore-chunk-missing',
      `restore point ${pointId}, disk ${disk}: chunk ${chunk} is missing from the repository; the restore stopped and nothing was left on the datastore`,
      { pointId, disk, chunk },
      { cause: err },
    );
  }
  if (err instanceof LifelineError && err.code.startsWith('vsphere')) {
    return new RecoveryError('restore-upload-failed', `upload of ${target} failed: ${describeError(err)}`, { pointId, disk, file: target }, { cause: err });
  }
  return err;
}

/** Deletes datastore files, each if it exists; a file already gone is fine. */
export async function deleteIfPresent(vc: Pick<RecoveryVcenter, 'deleteFile'>, datacenter: string, paths: readonly string[], signal: AbortSignal): Promise<void> {
  for (const p of paths) {
    try {
      await vc.deleteFile(datacenter, p, { signal });
    } catch (err) {
      if (!isVimFault(err, 'FileNotFound', 'NotFound')) throw err;
    }
  }
}

/** Restores one disk of a point to the datastore; on failure leaves neither of its files there. */
export async function restoreDiskToDatastore(args: RestoreToDatastoreArgs): Promise<RestoredDisk> {
  const { repository: repo, vcenter: vc, pointId, disk, target, signal } = args;
  const descriptor = target.descriptor;
  const flat = flatFileOf(descriptor);
  const flatName = parseDatastorePath(flat).path.split('/').pop() ?? '';
  const index = await repo.openIndex(pointId, disk, signal);
  const capacity = index.capacity;
  const writer = new UploadStreamWriter(index.chunkSize);
  // Cancelling the restore must also end the upload, which may be waiting for the stream.
  const inner = new AbortController();
  const onAbort = (): void => inner.abort(signal.reason);
  signal.addEventListener('abort', onAbort, { once: true });
  const upload = vc.uploadFile({ datacenterPath: target.datacenter.path, datastorePath: flat }, writer.stream, capacity, inner.signal);
  // If the upload fails first, the restore must stop writing into a stream nobody reads.
  upload.catch((err: unknown) => writer.fail(err));
  try {
    let stats: RestoreStats;
    try {
      stats = await restoreDisk({
        index,
        source: repo.chunks(),
        writer,
        signal: inner.signal,
        zeroSlots: 'write',
        concurrency: args.concurrency ?? 8,
        ...(args.onProgress ? { onProgress: args.onProgress } : {}),
      });
      if (writer.written !== capacity) throw new Error(`restore of disk ${disk} wrote ${writer.written} of ${capacity} bytes`);
      writer.stream.end();
      await upload;
    } catch (err) {
      writer.fail(err);
      inner.abort(err);
      await upload.catch(() => undefined);
      throw err;
    }
    const text = Buffer.from(flatDescriptor(flatName, capacity, `${pointId}/${disk}/${descriptor}`));
    await vc.uploadFile({ datacenterPath: target.datacenter.path, datastorePath: descriptor }, text, text.length, signal);
    return { descriptor, flat, capacity, stats };
  } catch (err) {
    const failure = restoreFailure(err, pointId, disk, flat);
    // Deleting runs even after a cancel, bounded in time.
    const cleanup = AbortSignal.timeout(120_000);
    try {
      await deleteIfPresent(vc, target.datacenter.moref, [flat, descriptor], cleanup);
    } catch (cleanupErr) {
      throw new RecoveryError(
        'restore-rollback-failed',
        `${describeError(failure)}; deleting the partial files ${flat} and ${descriptor} failed too (${describeError(cleanupErr)}): delete them by hand`,
        { pointId, disk, files: [flat, descriptor] },
        { cause: failure },
      );
    }
    throw failure;
  } finally {
    signal.removeEventListener('abort', onAbort);
  }
}
