/**
 * The chunk store (PBS's insertChunk): adds a chunk unless the repository already holds it, and
 * reads chunks back verified. Chunk objects live under chunks/<first byte in hex>/<digest>.
 *
 * Adding a chunk that already exists extends its retention lock to the writer's; the lock makes it
 * untouchable by garbage collection from that moment on, which is what lets GC run while backups
 * re-use old chunks (see the locking table in docs/repository.md).
 *
 * A chunk the catalog lists as damaged is never taken on trust — neither from the base index nor
 * from an existing object: the object is verified, moved aside if it is still corrupt, and the
 * chunk written again from the data in hand. That is how damage heals (verify.ts).
 */
import type { Backend } from '../backend/backend.js';
import type { CodecPool } from './codec-pool.js';
import { CorruptChunkError, isStoreError } from '../store-error.js';
import { chunkKey, digestHex, ZERO_DIGEST } from './digest.js';
import { BufferPool, isShared } from './buffer-pool.js';
import { encodedBound } from './chunk-format.js';

export type AddOutcome =
  /** All zeros: nothing stored, the index holds the zero sentinel. */
  | 'zero'
  /** Same digest as the base index's slot: present and protected by the base point. */
  | 'known'
  /** Already in the repository (added earlier, by anyone); its lock was extended. */
  | 'existing'
  /** Written now (for a damaged chunk: written again, healing it). */
  | 'new';

export interface AddedChunk {
  digest: Uint8Array;
  outcome: AddOutcome;
  /** Bytes written to the backend (0 unless new). */
  storedBytes: number;
}

export interface AddChunkOptions {
  /** The digest the slot held in the base point, when there is one. */
  known: Uint8Array | undefined;
  /** Lock for a new chunk, and the least lock an existing chunk is raised to. */
  lockUntil: number;
  /** Digests (hex) the catalog lists as damaged: written again unless a sound object holds them. */
  damaged?: ReadonlySet<string>;
  signal: AbortSignal;
}

export interface ChunkStoreOptions {
  /** Largest plaintext chunk (the repository's chunk size). */
  chunkSize: number;
  /** Chunks being encoded and written at once; each holds one output buffer. */
  writeSlots?: number;
  /** Chunks being read and decoded at once; each holds one input buffer. */
  readSlots?: number;
}

/** Chunks a chunk store encodes and writes at once by default: one output buffer each. */
export const CHUNK_WRITE_SLOTS = 8;
/** Stored chunks a chunk store reads and decodes at once by default: one input buffer each. */
export const CHUNK_READ_SLOTS = 12;

export class ChunkStore {
  /** Chunks added or being added by this process, so concurrent adds of one chunk write it once. */
  private readonly inflight = new Map<string, Promise<AddedChunk>>();
  private readonly outputs: BufferPool;
  /** Stored chunks on their way to be decoded. */
  private readonly inputs: BufferPool;

  constructor(
    private readonly backend: Backend,
    private readonly codec: CodecPool,
    private readonly opts: ChunkStoreOptions,
  ) {
    this.outputs = new BufferPool(opts.writeSlots ?? CHUNK_WRITE_SLOTS, encodedBound(opts.chunkSize));
    this.inputs = new BufferPool(opts.readSlots ?? CHUNK_READ_SLOTS, encodedBound(opts.chunkSize));
  }

  /**
   * Adds a chunk unless the repository holds it. `data` is read until the promise settles and
   * not kept after; pass a view of shared memory (a BufferPool) to spare a copy.
   */
  async add(data: Uint8Array, opts: AddChunkOptions): Promise<AddedChunk> {
    const { signal } = opts;
    const digest = await this.codec.hash(data, signal);
    if (!digest) return { digest: ZERO_DIGEST as Uint8Array, outcome: 'zero', storedBytes: 0 };
    const hex = digestHex(digest);
    const damaged = opts.damaged?.has(hex) ?? false;
    if (!damaged && opts.known && Buffer.compare(opts.known, digest) === 0) return { digest, outcome: 'known', storedBytes: 0 };
    const running = this.inflight.get(hex);
    if (running) {
      await running;
      // The first add's lock may be shorter than ours.
      await this.backend.lock(chunkKey(hex), opts.lockUntil, signal);
      return { digest, outcome: 'existing', storedBytes: 0 };
    }
    const work = damaged ? this.rewrite(data, digest, hex, opts) : this.store(data, digest, hex, opts);
    this.inflight.set(hex, work);
    try {
      return await work;
    } finally {
      this.inflight.delete(hex);
    }
  }

  private async store(data: Uint8Array, digest: Uint8Array, hex: string, opts: AddChunkOptions): Promise<AddedChunk> {
    const { signal } = opts;
    const key = chunkKey(hex);
    try {
      await this.backend.lock(key, opts.lockUntil, signal);
      return { digest, outcome: 'existing', storedBytes: 0 };
    } catch (err) {
      if (!isStoreError(err, 'object-not-found')) throw err;
    }
    return this.write(data, digest, key, opts);
  }

  /**
   * A damaged chunk: the object under its key is kept only if it verifies (a backup may have
   * written it again already); a corrupt one is quarantined, and the chunk is written from `data`.
   */
  private async rewrite(data: Uint8Array, digest: Uint8Array, hex: string, opts: AddChunkOptions): Promise<AddedChunk> {
    const { signal } = opts;
    const key = chunkKey(hex);
    try {
      await this.verify(hex, digest, signal);
      await this.backend.lock(key, opts.lockUntil, signal);
      return { digest, outcome: 'existing', storedBytes: 0 };
    } catch (err) {
      if (isStoreError(err, 'chunk-corrupt')) {
        await this.backend.quarantine(key, signal).catch((e: unknown) => {
          if (!isStoreError(e, 'object-not-found')) throw e;
        });
      } else if (!isStoreError(err, 'object-not-found')) throw err;
    }
    return this.write(data, digest, key, opts);
  }

  /** Encodes and puts a chunk; an object that appeared meanwhile is re-used. */
  private async write(data: Uint8Array, digest: Uint8Array, key: string, opts: AddChunkOptions): Promise<AddedChunk> {
    const { signal } = opts;
    const out = await this.outputs.acquire(signal);
    try {
      const { size } = await this.codec.encode(data, digest, out, signal);
      const put = await this.backend.put(key, out.subarray(0, size), { signal, retainUntil: opts.lockUntil, contentAddressed: true });
      if (!put.created) {
        await this.backend.lock(key, opts.lockUntil, signal);
        return { digest, outcome: 'existing', storedBytes: 0 };
      }
      return { digest, outcome: 'new', storedBytes: size };
    } finally {
      this.outputs.release(out);
    }
  }

  /**
   * The plaintext of a chunk, verified against its digest, in `into` (shared memory of at least
   * `length` bytes) or in a new buffer; `length` is what the index slot says it covers. A missing
   * chunk is 'object-not-found', a damaged one CorruptChunkError.
   */
  async read(digest: Uint8Array, length: number, signal: AbortSignal, into?: Uint8Array): Promise<Uint8Array> {
    const hex = digestHex(digest);
    const out = into && isShared(into) && into.byteLength >= length ? into : new Uint8Array(new SharedArrayBuffer(Math.max(length, 1)));
    const input = await this.inputs.acquire(signal);
    try {
      const stored = await this.backend.get(chunkKey(hex), signal, undefined, input);
      const n = await this.codec.decode(stored, digest, out, signal);
      if (n !== length) throw new CorruptChunkError(hex, `holds ${n} bytes where the index expects ${length}`);
      return out.subarray(0, n);
    } finally {
      this.inputs.release(input);
    }
  }

  /** Re-reads, decrypts and re-hashes one chunk; resolves its plaintext length. */
  async verify(hex: string, digest: Uint8Array, signal: AbortSignal): Promise<number> {
    const input = await this.inputs.acquire(signal);
    try {
      const stored = await this.backend.get(chunkKey(hex), signal, undefined, input);
      return await this.codec.verify(stored, digest, this.opts.chunkSize, signal);
    } finally {
      this.inputs.release(input);
    }
  }
}
