/**
 * A fixed set of equal buffers in shared memory, handed out and taken back. The ingest and
 * restore pipelines fill and drain chunks through these instead of allocating 4 MiB per chunk: the
 * codec workers read and write the same memory (no copy, no transfer), the kernel is not asked for
 * fresh pages for every chunk, and the pool's size is the pipeline's memory bound.
 */
import { Semaphore } from './bounded.js';

export class BufferPool {
  private readonly free: Uint8Array[] = [];
  private readonly gate: Semaphore;

  constructor(
    readonly count: number,
    readonly size: number,
  ) {
    const slab = new SharedArrayBuffer(count * size);
    for (let i = 0; i < count; i++) this.free.push(new Uint8Array(slab, i * size, size));
    this.gate = new Semaphore(count);
  }

  /** A whole buffer, once one is free. */
  async acquire(signal: AbortSignal): Promise<Uint8Array> {
    await this.gate.acquire(signal);
    const b = this.free.pop();
    if (!b) throw new Error('buffer pool out of step with its semaphore');
    return b;
  }

  /** Gives back a buffer from acquire() (any view of it). */
  release(buf: Uint8Array): void {
    const whole = new Uint8Array(buf.buffer, buf.byteOffset - (buf.byteOffset % this.size), this.size);
    this.free.push(whole);
    this.gate.release();
  }
}

/** Whether a view lives in shared memory, so it can be given to a worker as it is. */
export function isShared(u8: Uint8Array): boolean {
  return typeof SharedArrayBuffer !== 'undefined' && u8.buffer instanceof SharedArrayBuffer;
}
