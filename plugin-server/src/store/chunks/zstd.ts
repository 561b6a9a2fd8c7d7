/**
 * zstd through zstd-napi, a Node-API binding that builds the bundled zstd sources with node-gyp
 * when no prebuilt binary can be fetched, so it installs from the npm registry alone. One
 * compression context per thread, reused for every chunk.
 */
import { createRequire } from 'node:module';
import type * as Binding from 'zstd-napi/binding.js';

const require = createRequire(import.meta.url);
const binding = require('zstd-napi/binding') as typeof Binding;

export class Zstd {
  private readonly cctx = new binding.CCtx();
  private readonly dctx = new binding.DCtx();

  /**
   * Compresses into `dst` (which must hold compressBound(src) bytes); returns the compressed
   * length, or undefined when the result would not be smaller than the input.
   */
  compressInto(dst: Uint8Array, src: Uint8Array, level: number): number | undefined {
    const n = this.cctx.compress(dst, src, level);
    return n < src.byteLength ? n : undefined;
  }

  /** Decompresses a frame that must expand to exactly `length` bytes, into `dst`. */
  decompressInto(dst: Uint8Array, src: Uint8Array, length: number): void {
    const declared = binding.getFrameContentSize(src);
    if (declared !== null && declared !== length) throw new Error(`zstd frame declares ${declared} bytes, expected ${length}`);
    if (dst.byteLength < length) throw new Error(`no room for ${length} bytes`);
    const n = this.dctx.decompress(dst.subarray(0, length), src);
    if (n !== length) throw new Error(`zstd frame expanded to ${n} bytes, expected ${length}`);
  }
}

export function compressBound(n: number): number {
  return binding.compressBound(n);
}
