/**
 * A fixed set of equal buffers in shared memory, handed out and taken back. The ingest and
 * restore pipelines fill and drain chunks through these instead of allocating 4 MiB per chunk: the
 * codec workers read and write the same memory (no copy, no transfer), the kernel is not asked for
 * fresh pages for every chunk, and the pool's size is the pipeline's memory bound.
 */
import { Semaphore } from '../bounded.js';

export class BufferPool {
  private readonly free: Uint8Array[] = [];
  private readonly gate: Semaphore;

  /** Distance between buffers: their size rounded up so that every one starts aligned for direct I/O. */
  private readonly stride: number;

  constructor(
    readonly count: number,
    readonly size: number,
  ) {
    this.stride = roundUp(size, DIRECT_IO_ALIGN);
    const slab = alignedSharedMemory(count * this.stride);
    for (let i = 0; i < count; i++) this.free.push(new Uint8Array(slab, i * this.stride, size));
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
    const whole = new Uint8Array(buf.buffer, buf.byteOffset - (buf.byteOffset % this.stride), this.size);
    this.free.push(whole);
    this.gate.release();
  }
}

/** Alignment of memory, file offsets and lengths for direct I/O (O_DIRECT). */
export const DIRECT_IO_ALIGN = 4096;

export function roundUp(n: number, to: number): number {
  return Math.ceil(n / to) * to;
}

/** The one piece of the WebAssembly API used here (the compiler's library has no declarations of it). */
interface WasmMemoryApi {
  Memory: new (d: { initial: number; maximum: number; shared: boolean }) => { buffer: SharedArrayBuffer };
}
const wasm = (globalThis as unknown as { WebAssembly?: WasmMemoryApi }).WebAssembly;

/** Shared memory known to start on a page boundary. */
const aligned = new WeakSet<SharedArrayBuffer>();

/**
 * Shared memory starting on a page boundary, so that its views can be written with direct I/O.
 * A WebAssembly memory is mapped whole pages at a time; where one cannot be had, ordinary shared
 * memory (which direct I/O then simply does not use).
 */
export function alignedSharedMemory(bytes: number): SharedArrayBuffer {
  const pages = Math.max(1, Math.ceil(bytes / 65536));
  try {
    if (!wasm) throw new Error('no WebAssembly');
    const buffer = new wasm.Memory({ initial: pages, maximum: pages, shared: true }).buffer;
    aligned.add(buffer);
    return buffer;
  } catch {
    return new SharedArrayBuffer(bytes);
  }
}

/**
 * Whether `length` bytes from the start of a view, rounded up to DIRECT_IO_ALIGN, lie in aligned
 * memory with the view starting on an aligned address: what a direct write of it needs. Bytes
 * past `length` up to the rounded end are written too and must be cut off by the caller.
 */
export function directIoReady(u8: Uint8Array, length: number): boolean {
  const b = u8.buffer;
  return (
    b instanceof SharedArrayBuffer &&
    aligned.has(b) &&
    u8.byteOffset % DIRECT_IO_ALIGN === 0 &&
    u8.byteOffset + roundUp(length, DIRECT_IO_ALIGN) <= b.byteLength
  );
}

/** Whether a view lives in shared memory, so it can be given to a worker as it is. */
export function isShared(u8: Uint8Array): boolean {
  return typeof SharedArrayBuffer !== 'undefined' && u8.buffer instanceof SharedArrayBuffer;
}
