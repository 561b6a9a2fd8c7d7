/**
 * The stored form of a chunk. All integers little-endian.
 *
 *   offset size
 *        0    4  magic "LLC1"
 *        4    1  flags: bit 0 = payload is a zstd frame, bit 1 = payload is AES-256-GCM encrypted
 *        5    3  reserved, zero
 *        8    4  plaintext length
 *       12   12  GCM nonce, fresh and random per chunk (encrypted chunks only)
 *        …       payload: the zstd frame, or the plaintext when compression did not shrink it
 *        …   16  GCM tag (encrypted chunks only)
 *
 * The GCM additional data is the header (bytes 0..24) followed by the chunk's digest, so a chunk
 * file moved under another id, or a header with a flipped flag, fails authentication. Decoding
 * always ends by recomputing the digest of the plaintext; a chunk that fails any step is reported
 * corrupt by id and its bytes are never returned.
 *
 * Random 96-bit nonces are safe for far more chunks than a repository holds (2^32 chunks of
 * 4 MiB = 16 PiB under one key).
 */
import { createCipheriv, createDecipheriv, createHash, createHmac } from 'node:crypto';
import type { RandomBytes } from '../../domain/index.js';
import { KeyedBlake3 } from './blake3.js';
import { CorruptChunkError } from '../store-error.js';
import { digestHex, isKeyedChunkId, type ChunkIdAlgorithm } from './digest.js';
import { compressBound, type Zstd } from './zstd.js';

const MAGIC = 0x3143_4c4c; // "LLC1" read as little-endian u32
const FLAG_ZSTD = 1;
const FLAG_GCM = 2;
const HEADER = 12;
const NONCE = 12;
const TAG = 16;
export const MAX_CHUNK_BYTES = 64 * 1024 * 1024;
/**
 * Node's cipher returns a fresh buffer per call. Pieces of 16 KiB stay within the allocator's
 * reused memory; at 64 KiB every call faulted in new pages and AES-GCM ran at 0.85 GB/s instead of
 * 2.1 GB/s on the benchmark machine.
 */
const CIPHER_PIECE = 16 * 1024;

export interface ChunkKeys {
  /** How chunk ids are computed; `idKey` is set exactly when the algorithm is keyed. */
  chunkId: ChunkIdAlgorithm;
  idKey: Uint8Array | undefined;
  chunkKey: Uint8Array | undefined;
}

/** Room an encoded chunk of `plainBytes` may need. */
export function encodedBound(plainBytes: number): number {
  return HEADER + NONCE + compressBound(plainBytes) + TAG;
}

/** The id of a chunk's plaintext (all-zero chunks included); ChunkHasher is the fast path. */
export function chunkDigest(plain: Uint8Array, algorithm: ChunkIdAlgorithm, idKey: Uint8Array | undefined): Buffer {
  switch (algorithm) {
    case 'sha256':
      return createHash('sha256').update(plain).digest();
    case 'hmac-sha256':
      return createHmac('sha256', requireKey(algorithm, idKey)).update(plain).digest();
    case 'blake3-keyed':
      return new KeyedBlake3(requireKey(algorithm, idKey)).digest(plain);
  }
}

function requireKey(algorithm: ChunkIdAlgorithm, idKey: Uint8Array | undefined): Uint8Array {
  if (!idKey) throw new RangeError(`${algorithm} chunk ids need the repository's chunk-id key`);
  return idKey;
}

/** Granularity of the zero runs ChunkHasher skips. */
const ZERO_STEP = 256 * 1024;
const SHA256_BLOCK = 64;

/**
 * Computes chunk digests (chunkDigest) for one thread, and tells all-zero chunks apart. For the
 * SHA-256 based ids it does not hash a leading run of zeros: disk chunks often begin with
 * unwritten space, and SHA-256 of a zero prefix is the same every time, so the hash state after
 * 256 KiB, 512 KiB, … of zeros is computed once and copied; the HMAC is spelled out (RFC 2104) so
 * that its inner hash can be resumed the same way. BLAKE3 is a tree hash whose leaves depend on
 * their position, so nothing is skipped there; it is fast enough not to need it.
 */
export class ChunkHasher {
  /** Inner hash states after the key block and k·ZERO_STEP zero bytes. */
  private readonly states: Array<ReturnType<typeof createHash>> = [];
  private readonly outer: ReturnType<typeof createHash> | undefined;
  private readonly blake3: KeyedBlake3 | undefined;

  constructor(algorithm: ChunkIdAlgorithm, idKey: Uint8Array | undefined, maxChunk: number) {
    if (isKeyedChunkId(algorithm) !== (idKey !== undefined)) {
      throw new RangeError(`${algorithm} chunk ids ${idKey ? 'take no key' : "need the repository's chunk-id key"}`);
    }
    if (algorithm === 'blake3-keyed') {
      this.blake3 = new KeyedBlake3(requireKey(algorithm, idKey));
      return;
    }
    let start = createHash('sha256');
    if (idKey) {
      const key = idKey.byteLength > SHA256_BLOCK ? createHash('sha256').update(idKey).digest() : Buffer.from(idKey);
      const block = Buffer.alloc(SHA256_BLOCK);
      key.copy(block);
      start = createHash('sha256').update(block.map((b) => b ^ 0x36));
      this.outer = createHash('sha256').update(block.map((b) => b ^ 0x5c));
    }
    const zeros = Buffer.alloc(ZERO_STEP);
    let h = start;
    this.states.push(h.copy());
    for (let k = 1; k * ZERO_STEP <= maxChunk; k++) {
      h = h.copy().update(zeros);
      this.states.push(h);
    }
  }

  /** The chunk's digest, or null when the chunk is all zeros. */
  digest(plain: Uint8Array): Buffer | null {
    const lead = leadingZeros(plain);
    if (lead === plain.byteLength) return null;
    if (this.blake3) return this.blake3.digest(plain);
    const k = Math.min(Math.floor(lead / ZERO_STEP), this.states.length - 1);
    const inner = (this.states[k] as ReturnType<typeof createHash>).copy().update(plain.subarray(k * ZERO_STEP)).digest();
    return this.outer ? this.outer.copy().update(inner).digest() : inner;
  }
}

const ZERO_PIECE = 64 * 1024;
const ZEROS = Buffer.alloc(ZERO_PIECE);

/** How many bytes at the start are zero; compares 64 KiB pieces with memcmp, then bytes. */
export function leadingZeros(b: Uint8Array): number {
  const n = b.byteLength;
  const v = view(b);
  let i = 0;
  while (i + ZERO_PIECE <= n && v.compare(ZEROS, 0, ZERO_PIECE, i, i + ZERO_PIECE) === 0) i += ZERO_PIECE;
  while (i < n && b[i] === 0) i++;
  return i;
}

function view(u8: Uint8Array): Buffer {
  return Buffer.from(u8.buffer, u8.byteOffset, u8.byteLength);
}

/** Runs a cipher over `src` in pieces, writing its output to `dst` from `at`; returns the new end. */
function cipherInto(c: { update(b: Uint8Array): Buffer }, src: Uint8Array, dst: Uint8Array, at: number): number {
  for (let i = 0; i < src.byteLength; i += CIPHER_PIECE) {
    const out = c.update(src.subarray(i, Math.min(src.byteLength, i + CIPHER_PIECE)));
    dst.set(out, at);
    at += out.byteLength;
  }
  return at;
}

const PROBES = 8;
const PROBE_BYTES = 16 * 1024;

/**
 * Whether a chunk looks incompressible: none of a few samples spread over it shrinks at zstd's
 * fastest level. Random-looking chunks (already compressed or encrypted guest data) are then
 * stored raw without running the full compressor over them, which would only confirm it; a chunk
 * with any compressible part is compressed whole.
 */
export function looksIncompressible(plain: Uint8Array, zstd: Zstd, scratch: Uint8Array): boolean {
  if (plain.byteLength < PROBES * PROBE_BYTES * 4) return false;
  const stride = Math.floor((plain.byteLength - PROBE_BYTES) / (PROBES - 1));
  for (let i = 0; i < PROBES; i++) {
    const n = zstd.compressInto(scratch, plain.subarray(i * stride, i * stride + PROBE_BYTES), 1);
    if (n !== undefined && n < PROBE_BYTES * 0.97) return false;
  }
  return true;
}

export interface EncodedSize {
  size: number;
  compressed: boolean;
}

/**
 * Encodes a chunk into `out` (at least encodedBound(plain) bytes); `scratch` holds the
 * compressed form of an encrypted chunk on the way.
 */
export function encodeChunk(
  plain: Uint8Array,
  digest: Uint8Array,
  keys: ChunkKeys,
  zstd: Zstd,
  level: number,
  random: RandomBytes,
  out: Uint8Array,
  scratch: Uint8Array,
): EncodedSize {
  const o = view(out);
  const enc = keys.chunkKey !== undefined;
  const headLen = HEADER + (enc ? NONCE : 0);
  o.writeUInt32LE(MAGIC, 0);
  o.writeUInt32LE(0, 4);
  o.writeUInt32LE(plain.byteLength, 8);
  const incompressible = looksIncompressible(plain, zstd, scratch);
  if (!keys.chunkKey) {
    const n = incompressible ? undefined : zstd.compressInto(out.subarray(headLen), plain, level);
    if (n === undefined) out.set(plain, headLen);
    o.writeUInt8(n !== undefined ? FLAG_ZSTD : 0, 4);
    return { size: headLen + (n ?? plain.byteLength), compressed: n !== undefined };
  }
  const n = incompressible ? undefined : zstd.compressInto(scratch, plain, level);
  o.writeUInt8((n !== undefined ? FLAG_ZSTD : 0) | FLAG_GCM, 4);
  out.set(random(NONCE), HEADER);
  const c = createCipheriv('aes-256-gcm', keys.chunkKey, out.subarray(HEADER, headLen));
  c.setAAD(Buffer.concat([out.subarray(0, headLen), digest]));
  let at = cipherInto(c, n !== undefined ? scratch.subarray(0, n) : plain, out, headLen);
  const fin = c.final();
  out.set(fin, at);
  at += fin.byteLength;
  out.set(c.getAuthTag(), at);
  return { size: at + TAG, compressed: n !== undefined };
}

export interface ChunkHeader {
  compressed: boolean;
  encrypted: boolean;
  plainLength: number;
}

export function readChunkHeader(stored: Uint8Array, digest: Uint8Array): ChunkHeader {
  const hex = digestHex(digest);
  if (stored.byteLength < HEADER) throw new CorruptChunkError(hex, 'shorter than its header');
  const v = view(stored);
  if (v.readUInt32LE(0) !== MAGIC) throw new CorruptChunkError(hex, 'bad magic');
  const flags = v.readUInt8(4);
  if ((flags & ~(FLAG_ZSTD | FLAG_GCM)) !== 0 || v.readUInt8(5) !== 0 || v.readUInt16LE(6) !== 0) {
    throw new CorruptChunkError(hex, 'unknown header flags');
  }
  const plainLength = v.readUInt32LE(8);
  if (plainLength > MAX_CHUNK_BYTES) throw new CorruptChunkError(hex, 'implausible length');
  return { compressed: (flags & FLAG_ZSTD) !== 0, encrypted: (flags & FLAG_GCM) !== 0, plainLength };
}

/**
 * Decodes and verifies a stored chunk into `out`; returns the plaintext length. `scratch` holds
 * the decrypted compressed payload on the way. Throws CorruptChunkError naming the chunk on any
 * failure — `out` may then hold garbage and must not be used.
 */
export function decodeChunk(
  stored: Uint8Array,
  digest: Uint8Array,
  keys: ChunkKeys,
  zstd: Zstd,
  out: Uint8Array,
  scratch: Uint8Array,
  hash: (plain: Uint8Array) => Uint8Array | null = (plain) => chunkDigest(plain, keys.chunkId, keys.idKey),
): number {
  const hex = digestHex(digest);
  const h = readChunkHeader(stored, digest);
  if (h.encrypted !== !!keys.chunkKey) {
    throw new CorruptChunkError(hex, h.encrypted ? 'encrypted chunk in an unencrypted repository' : 'unencrypted chunk in an encrypted repository');
  }
  if (out.byteLength < h.plainLength) throw new CorruptChunkError(hex, 'longer than the room given for it');
  let payload: Uint8Array;
  if (keys.chunkKey) {
    if (stored.byteLength < HEADER + NONCE + TAG) throw new CorruptChunkError(hex, 'truncated');
    const head = stored.subarray(0, HEADER + NONCE);
    const body = stored.subarray(HEADER + NONCE, stored.byteLength - TAG);
    const target = h.compressed ? scratch : out;
    if (target.byteLength < body.byteLength) throw new CorruptChunkError(hex, 'payload longer than possible');
    const d = createDecipheriv('aes-256-gcm', keys.chunkKey, head.subarray(HEADER));
    d.setAAD(Buffer.concat([head, digest]));
    d.setAuthTag(stored.subarray(stored.byteLength - TAG));
    try {
      let at = cipherInto(d, body, target, 0);
      const fin = d.final();
      target.set(fin, at);
      at += fin.byteLength;
      payload = target.subarray(0, at);
    } catch {
      throw new CorruptChunkError(hex, 'authentication failed');
    }
  } else {
    payload = stored.subarray(HEADER);
  }
  if (h.compressed) {
    try {
      zstd.decompressInto(out, payload, h.plainLength);
    } catch (err) {
      throw new CorruptChunkError(hex, `does not decompress (${err instanceof Error ? err.message : String(err)})`);
    }
  } else {
    if (payload.byteLength !== h.plainLength) throw new CorruptChunkError(hex, 'length mismatch');
    if (payload.buffer !== out.buffer || payload.byteOffset !== out.byteOffset) out.set(payload);
  }
  const actual = hash(out.subarray(0, h.plainLength));
  if (!actual || Buffer.compare(actual, digest) !== 0) throw new CorruptChunkError(hex, 'digest does not match its content');
  return h.plainLength;
}
