/**
 * Keyed BLAKE3 through @napi-rs/blake-hash, whose npm package for each platform carries the
 * compiled BLAKE3 library (with its AVX-512/AVX2/SSE4.1 code chosen at run time), so it installs
 * from the npm registry alone. Loaded on first use: a repository that does not use BLAKE3 chunk
 * ids opens without it.
 */
import { createRequire } from 'node:module';
import { StoreError } from '../store-error.js';

interface Blake3Hasher {
  reset(): void;
  update(input: Uint8Array): Blake3Hasher;
  digestBuffer(): Buffer;
}

interface Blake3Binding {
  Blake3Hasher: { newKeyed(key: Buffer): Blake3Hasher };
}

let binding: Blake3Binding | undefined;

/** The binding, or a StoreError saying what is missing and how to get it. */
export function blake3Binding(): Blake3Binding {
  if (binding) return binding;
  try {
    binding = createRequire(import.meta.url)('@napi-rs/blake-hash') as Blake3Binding;
  } catch (err) {
    throw new StoreError(
      'unsupported-format',
      `this repository names its chunks with keyed BLAKE3, but the BLAKE3 library for ${process.platform}-${process.arch} is not installed (${err instanceof Error ? err.message.split('\n')[0] : String(err)}); run npm ci where Lifeline is installed`,
    );
  }
  return binding;
}

/** BLAKE3's keyed_hash mode (as the BLAKE3 specification defines it) under a 32-byte key. */
export class KeyedBlake3 {
  private readonly hasher: Blake3Hasher;

  constructor(key: Uint8Array) {
    if (key.byteLength !== 32) throw new RangeError('a BLAKE3 key is 32 bytes');
    this.hasher = blake3Binding().Blake3Hasher.newKeyed(Buffer.from(key));
  }

  /** The 32-byte keyed hash of `data`. The hasher is reused: one call at a time. */
  digest(data: Uint8Array): Buffer {
    this.hasher.reset();
    return this.hasher.update(data).digestBuffer();
  }
}
