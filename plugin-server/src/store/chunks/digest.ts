/**
 * Chunk ids. A digest is 32 bytes: SHA-256 of the plaintext in an unencrypted repository, or a
 * keyed digest under the repository's chunk-id key in an encrypted one (so digests reveal nothing
 * about the data to whoever reads the storage). 32 zero bytes stand for an all-zero chunk, which
 * is never stored.
 */
export const DIGEST_BYTES = 32;

/**
 * How a repository names its chunks, fixed when it is created (its config says which):
 * - `sha256`: SHA-256 of the plaintext (unencrypted repositories);
 * - `blake3-keyed`: BLAKE3 in keyed mode under the chunk-id key (encrypted repositories since
 *   keyed BLAKE3 was adopted: about three times the speed of HMAC-SHA256 on the same core, which
 *   every backup, restore and verify pays per byte);
 * - `hmac-sha256`: HMAC-SHA256 under the chunk-id key (encrypted repositories made before; their
 *   config has no `chunkId` field and they keep it).
 */
export type ChunkIdAlgorithm = 'sha256' | 'hmac-sha256' | 'blake3-keyed';

export const CHUNK_ID_ALGORITHMS: readonly ChunkIdAlgorithm[] = ['sha256', 'hmac-sha256', 'blake3-keyed'];

/** Whether the algorithm needs the repository's chunk-id key. */
export function isKeyedChunkId(a: ChunkIdAlgorithm): boolean {
  return a !== 'sha256';
}

export const ZERO_DIGEST: Readonly<Uint8Array> = new Uint8Array(DIGEST_BYTES);
export const ZERO_DIGEST_HEX = '0'.repeat(DIGEST_BYTES * 2);

export function isZeroDigest(d: Uint8Array): boolean {
  for (let i = 0; i < DIGEST_BYTES; i++) if (d[i] !== 0) return false;
  return true;
}

export function digestHex(d: Uint8Array): string {
  return Buffer.from(d.buffer, d.byteOffset, DIGEST_BYTES).toString('hex');
}

export function digestFromHex(hex: string): Uint8Array {
  if (!/^[0-9a-f]{64}$/.test(hex)) throw new RangeError(`not a chunk digest: ${hex.slice(0, 80)}`);
  return Uint8Array.from(Buffer.from(hex, 'hex'));
}

/** The backend key of a chunk: one directory per first byte, as in Proxmox Backup Server. */
export function chunkKey(hex: string): string {
  return `chunks/${hex.slice(0, 2)}/${hex}`;
}

export const CHUNK_PREFIX = 'chunks/';

/** The digest a chunk key names, or undefined for anything else under chunks/. */
export function digestOfChunkKey(key: string): string | undefined {
  const m = /^chunks\/([0-9a-f]{2})\/([0-9a-f]{64})$/.exec(key);
  return m && m[2]?.startsWith(m[1] ?? '') ? m[2] : undefined;
}
