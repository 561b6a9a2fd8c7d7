import { blake3 } from '@noble/hashes/blake3';
import { createHash, createHmac, randomBytes } from 'node:crypto';
import { ChunkHasher, chunkDigest, decodeChunk, encodedBound, encodeChunk, leadingZeros } from './chunk-format.js';
import { isStoreError } from '../store-error.js';
import { Zstd } from './zstd.js';

const MiB = 1024 * 1024;

function chunk(leadZeros: number, size: number, fill: 'random' | 'text' = 'random'): Uint8Array {
  const b = new Uint8Array(size);
  const body = fill === 'random' ? randomBytes(size - leadZeros) : Buffer.from('lifeline '.repeat(size).slice(0, size - leadZeros));
  // The zero run ends where the body begins, also when the random body begins with a zero byte.
  if (body.length > 0 && body[0] === 0) body[0] = 1;
  b.set(body, leadZeros);
  return b;
}

describe('chunk format', () => {
  const zstd = new Zstd();
  const keys = { chunkId: 'blake3-keyed', idKey: randomBytes(32), chunkKey: randomBytes(32) } as const;
  const plainKeys = { chunkId: 'sha256', idKey: undefined, chunkKey: undefined } as const;
  /** What each algorithm must give, from independent implementations (Node's OpenSSL, noble's BLAKE3). */
  const reference = {
    sha256: (c: Uint8Array) => createHash('sha256').update(c).digest(),
    'hmac-sha256': (c: Uint8Array) => createHmac('sha256', keys.idKey).update(c).digest(),
    // noble zeroes the key it is given once done: it gets a copy.
    'blake3-keyed': (c: Uint8Array) => Buffer.from(blake3(c, { key: Uint8Array.from(keys.idKey) })),
  } as const;

  it('digests equal SHA-256, HMAC-SHA256 or keyed BLAKE3 of the plaintext, whatever zero run the chunk starts with', () => {
    for (const algorithm of ['sha256', 'hmac-sha256', 'blake3-keyed'] as const) {
      const idKey = algorithm === 'sha256' ? undefined : keys.idKey;
      const hasher = new ChunkHasher(algorithm, idKey, 4 * MiB);
      for (const lead of [0, 1, 255 * 1024, 256 * 1024, 256 * 1024 + 3, 3 * MiB, 4 * MiB - 1]) {
        const c = chunk(lead, 4 * MiB);
        const expected = reference[algorithm](c);
        expect(hasher.digest(c)?.toString('hex')).withContext(`${algorithm} lead ${lead}`).toBe(expected.toString('hex'));
        expect(chunkDigest(c, algorithm, idKey).equals(expected)).toBe(true);
      }
      expect(hasher.digest(new Uint8Array(4 * MiB))).toBeNull();
      // Odd lengths around BLAKE3's 1 KiB chunks and 64-byte blocks, as views into shared memory
      // at odd offsets (how the codec workers see chunk data).
      const shared = new Uint8Array(new SharedArrayBuffer(2 * MiB));
      shared.set(randomBytes(shared.byteLength));
      // No view may be all zeros (that is the zero chunk, which has no digest): no zero bytes at all.
      for (let i = 0; i < shared.byteLength; i++) shared[i] = (shared[i] ?? 0) | 1;
      for (const [at, n] of [[1, 1], [3, 63], [5, 1023], [7, 1024], [9, 1025], [11, 64 * 1024 + 1], [13, 777 * 1024]] as const) {
        const view = shared.subarray(at, at + n);
        expect(hasher.digest(view)?.toString('hex')).withContext(`${algorithm} ${n} bytes`).toBe(reference[algorithm](view.slice()).toString('hex'));
      }
      const short = chunk(300 * 1024, 777 * 1024);
      expect(hasher.digest(short)?.equals(chunkDigest(short, algorithm, idKey))).toBe(true);
    }
    // The BLAKE3 specification's own vector: keyed_hash of the empty input.
    expect(chunkDigest(new Uint8Array(0), 'blake3-keyed', Buffer.from('whats the Elvish word for friend')).toString('hex')).toBe(
      '92b2b75604ed3c761f9d6f62392c8a9227ad0ea3f09573e783f1498a4ed60d26',
    );
    expect(() => new ChunkHasher('blake3-keyed', undefined, MiB)).toThrowError(/chunk-id key/);
    expect(() => new ChunkHasher('sha256', keys.idKey, MiB)).toThrowError(/take no key/);
    expect(leadingZeros(new Uint8Array([0, 0, 0, 1]))).toBe(3);
    expect(leadingZeros(new Uint8Array(17).subarray(1))).toBe(16);
  });

  for (const [label, k] of [['encrypted', keys], ['unencrypted', plainKeys]] as const) {
    it(`round-trips compressible and incompressible chunks (${label}) and keeps compression only when it shrinks`, () => {
      for (const plain of [chunk(0, 4 * MiB, 'text'), chunk(0, 4 * MiB), chunk(1000, 12345)]) {
        const digest = chunkDigest(plain, k.chunkId, k.idKey);
        const out = new Uint8Array(encodedBound(plain.byteLength));
        const enc = encodeChunk(plain, digest, k, zstd, 3, randomBytes, out, Buffer.alloc(encodedBound(plain.byteLength)));
        expect(enc.size).toBeLessThanOrEqual(plain.byteLength + 40);
        const back = new Uint8Array(plain.byteLength);
        expect(decodeChunk(out.subarray(0, enc.size), digest, k, zstd, back, Buffer.alloc(enc.size))).toBe(plain.byteLength);
        expect(Buffer.compare(back, plain)).toBe(0);
      }
    });
  }

  it('reports any damage as corrupt, naming the chunk', () => {
    const plain = chunk(0, 256 * 1024, 'text');
    const digest = chunkDigest(plain, keys.chunkId, keys.idKey);
    const out = new Uint8Array(encodedBound(plain.byteLength));
    const { size } = encodeChunk(plain, digest, keys, zstd, 3, randomBytes, out, Buffer.alloc(out.byteLength));
    const stored = out.slice(0, size);
    const decode = (bytes: Uint8Array, d = digest) => {
      try {
        decodeChunk(bytes, d, keys, zstd, new Uint8Array(plain.byteLength), Buffer.alloc(bytes.byteLength));
        return 'decoded';
      } catch (err) {
        return isStoreError(err, 'chunk-corrupt') && err.message.includes(Buffer.from(d).toString('hex')) ? 'corrupt' : String(err);
      }
    };
    for (const at of [0, 4, 9, 13, 30, size - 20, size - 1]) {
      const bad = stored.slice();
      bad[at] = (bad[at] ?? 0) ^ 0x01;
      expect(decode(bad)).withContext(`byte ${at}`).toBe('corrupt');
    }
    expect(decode(stored.subarray(0, size - 1))).toBe('corrupt');
    // The same bytes under another id fail too: the id is authenticated.
    expect(decode(stored, chunkDigest(chunk(0, 100), keys.chunkId, keys.idKey))).toBe('corrupt');
    expect(decode(stored)).toBe('decoded');
  });
});
