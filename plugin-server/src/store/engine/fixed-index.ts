/**
 * The fixed index of one disk in one restore point (Proxmox Backup Server's .fidx): a header and
 * one digest per chunk slot. Slot i covers disk bytes [i·chunkSize, min((i+1)·chunkSize,
 * capacity)); the last slot may be shorter. All integers little-endian.
 *
 *   offset size
 *        0    8  magic "LLFIDX01"
 *        8    4  chunk size in bytes
 *       12    4  reserved, zero
 *       16    8  capacity in bytes
 *       24    8  creation time, ms since the epoch
 *       32   32  SHA-256 of the digest array, written on close
 *       64   64  reserved, zero
 *      128    …  ceil(capacity / chunkSize) digests of 32 bytes; 32 zero bytes = all-zero chunk
 *
 * An incremental index starts as a copy of the previous point's digest array and only the slots
 * that changed are rewritten. The whole array is held in memory while it is built: 8 MiB per TiB
 * of disk, what PBS maps for the same index.
 */
import { createHash } from 'node:crypto';
import { DIGEST_BYTES, ZERO_DIGEST, digestHex, isZeroDigest } from '../chunks/digest.js';
import { StoreError } from '../store-error.js';

const MAGIC = Buffer.from('LLFIDX01', 'latin1');
export const INDEX_HEADER_BYTES = 128;

export function slotCount(capacity: number, chunkSize: number): number {
  return Math.ceil(capacity / chunkSize);
}

/** Read access to an index's slots; what restore, verify and GC need. */
export interface IndexView {
  readonly capacity: number;
  readonly chunkSize: number;
  readonly slots: number;
  /** A view of slot i's digest (do not keep it past the index's life). */
  digest(slot: number): Uint8Array;
  /** Bytes covered by slot i. */
  slotLength(slot: number): number;
}

abstract class DigestArray implements IndexView {
  readonly slots: number;

  protected constructor(
    readonly capacity: number,
    readonly chunkSize: number,
    protected readonly array: Buffer,
  ) {
    this.slots = slotCount(capacity, chunkSize);
  }

  digest(slot: number): Uint8Array {
    if (!Number.isInteger(slot) || slot < 0 || slot >= this.slots) throw new RangeError(`slot ${slot} outside 0..${this.slots - 1}`);
    return this.array.subarray(slot * DIGEST_BYTES, (slot + 1) * DIGEST_BYTES);
  }

  slotLength(slot: number): number {
    return Math.min(this.chunkSize, this.capacity - slot * this.chunkSize);
  }

  /** Every distinct non-zero digest, as hex. */
  distinctDigests(): Set<string> {
    const out = new Set<string>();
    for (let i = 0; i < this.slots; i++) {
      const d = this.digest(i);
      if (!isZeroDigest(d)) out.add(digestHex(d));
    }
    return out;
  }
}

export class FixedIndex extends DigestArray {
  private constructor(
    capacity: number,
    chunkSize: number,
    array: Buffer,
    readonly createdAt: number,
    readonly checksum: string,
  ) {
    super(capacity, chunkSize, array);
  }

  /** Parses and checks an index object; any inconsistency is 'index-invalid' naming `key`. */
  static parse(bytes: Uint8Array, key: string): FixedIndex {
    const b = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    const bad = (why: string) => new StoreError('index-invalid', `index ${key} is invalid: ${why}`, { key });
    if (b.byteLength < INDEX_HEADER_BYTES || !b.subarray(0, 8).equals(MAGIC)) throw bad('bad header');
    const chunkSize = b.readUInt32LE(8);
    const capacity = Number(b.readBigUInt64LE(16));
    const createdAt = Number(b.readBigUInt64LE(24));
    if (chunkSize === 0 || !Number.isSafeInteger(capacity)) throw bad('bad geometry');
    const slots = slotCount(capacity, chunkSize);
    if (b.byteLength !== INDEX_HEADER_BYTES + slots * DIGEST_BYTES) throw bad(`size ${b.byteLength} does not match ${slots} slots`);
    const array = b.subarray(INDEX_HEADER_BYTES);
    const sum = createHash('sha256').update(array).digest();
    if (!sum.equals(b.subarray(32, 64))) throw bad('checksum mismatch');
    return new FixedIndex(capacity, chunkSize, array, createdAt, sum.toString('hex'));
  }
}

/** Builds an index: a copy of a base index (or all zero slots), then the changed slots. */
export class FixedIndexBuilder extends DigestArray {
  private constructor(capacity: number, chunkSize: number, array: Buffer) {
    super(capacity, chunkSize, array);
  }

  static empty(capacity: number, chunkSize: number): FixedIndexBuilder {
    if (!Number.isSafeInteger(capacity) || capacity < 0) throw new RangeError(`bad disk capacity ${capacity}`);
    return new FixedIndexBuilder(capacity, chunkSize, Buffer.alloc(slotCount(capacity, chunkSize) * DIGEST_BYTES));
  }

  /**
   * Starts from a base index. Slots beyond the base (the disk grew) start as zero chunks; a base
   * whose last slot was short (the disk grew past it) has that slot re-read by the caller.
   */
  static fromBase(base: IndexView, capacity: number): FixedIndexBuilder {
    const b = FixedIndexBuilder.empty(capacity, base.chunkSize);
    const n = Math.min(base.slots, b.slots);
    for (let i = 0; i < n; i++) {
      if (base.slotLength(i) === b.slotLength(i)) b.array.set(base.digest(i), i * DIGEST_BYTES);
    }
    return b;
  }

  set(slot: number, digest: Uint8Array): void {
    this.digest(slot).set(digest.byteLength === DIGEST_BYTES ? digest : ZERO_DIGEST);
  }

  /** The index object, with its checksum; the builder may keep changing afterwards. */
  finish(createdAt: number): Uint8Array {
    const head = Buffer.alloc(INDEX_HEADER_BYTES);
    MAGIC.copy(head, 0);
    head.writeUInt32LE(this.chunkSize, 8);
    head.writeBigUInt64LE(BigInt(this.capacity), 16);
    head.writeBigUInt64LE(BigInt(createdAt), 24);
    createHash('sha256').update(this.array).digest().copy(head, 32);
    return Buffer.concat([head, this.array]);
  }
}
