/**
 * Where an export writes its bytes: an HTTP response, a file. Writes come strictly in order and
 * one at a time; a write resolves only once the sink no longer needs the bytes, which is what lets
 * the exporters reuse their buffers and what carries a slow client's backpressure back to the
 * chunk reads.
 */
export interface ByteSink {
  /** Writes `data` after everything written before; resolves once `data` may be reused. */
  write(data: Uint8Array, signal: AbortSignal): Promise<void>;
}

export const DEFAULT_BLOCK_BYTES = 1024 * 1024;

/**
 * Gathers small writes (VMDK markers and grains) into blocks, so the sink below sees few large
 * writes; a write of half a block or more passes straight through after what was gathered.
 * Call flush() at the end.
 */
export class CoalescingSink implements ByteSink {
  private readonly block: Buffer;
  private used = 0;
  /** Bytes accepted so far. */
  written = 0;

  constructor(
    private readonly target: ByteSink,
    blockBytes = DEFAULT_BLOCK_BYTES,
  ) {
    this.block = Buffer.allocUnsafe(blockBytes);
  }

  async write(data: Uint8Array, signal: AbortSignal): Promise<void> {
    this.written += data.byteLength;
    if (data.byteLength >= this.block.byteLength / 2) {
      await this.flush(signal);
      await this.target.write(data, signal);
      return;
    }
    if (this.used + data.byteLength > this.block.byteLength) await this.flush(signal);
    this.block.set(data, this.used);
    this.used += data.byteLength;
  }

  async flush(signal: AbortSignal): Promise<void> {
    if (this.used === 0) return;
    const n = this.used;
    this.used = 0;
    await this.target.write(this.block.subarray(0, n), signal);
  }
}
