/**
 * A fixed pool of codec worker threads (chunk-worker.ts). Node's hashing, AES and zstd calls run
 * on the calling thread, so the ingest, restore and verify pipelines hand them to these workers
 * and keep the main thread for I/O. Callers bound how many chunks they have in flight; the pool
 * gives each request to the least busy worker. Chunk data and outputs are in shared memory, so a
 * request carries only views; workers hold the repository's chunk keys and nothing else.
 */
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import { LifelineError } from '../../errors/index.js';
import { abortError, throwIfAborted } from '../bounded.js';
import { isShared } from './buffer-pool.js';
import type { ChunkIdAlgorithm } from './digest.js';
import { CorruptChunkError, StoreError } from '../store-error.js';

export interface CodecWorkerData {
  chunkId: ChunkIdAlgorithm;
  idKey: Uint8Array | undefined;
  chunkKey: Uint8Array | undefined;
  level: number;
  /** Largest chunk the pool will see (the repository's chunk size). */
  maxChunk: number;
}

export type CodecRequest =
  | { id: number; op: 'hash'; data: Uint8Array }
  | { id: number; op: 'encode'; data: Uint8Array; digest: Uint8Array; out: Uint8Array }
  | { id: number; op: 'decode'; stored: Uint8Array; digest: Uint8Array; out: Uint8Array }
  | { id: number; op: 'verify'; stored: Uint8Array; digest: Uint8Array; length: number };

export type CodecResponse =
  | { id: number; ok: true; op: 'hash'; digest: Uint8Array | null }
  | { id: number; ok: true; op: 'encode'; size: number; compressed: boolean }
  | { id: number; ok: true; op: 'decode'; length: number }
  | { id: number; ok: true; op: 'verify'; length: number }
  | { id: number; ok: false; error: { code: string; message: string; digest: string | undefined } };

interface Pending {
  resolve: (r: CodecResponse) => void;
  reject: (e: Error) => void;
}

interface Slot {
  worker: Worker;
  pending: Map<number, Pending>;
  /** Set once the worker failed or exited: it takes no more requests. */
  dead: Error | undefined;
}

interface Queued {
  req: CodecRequest;
  transfer: ArrayBuffer[];
  pending: Pending;
  signal: AbortSignal;
}

/**
 * Requests one worker holds at once: the one it works on and the next, so it never waits for the
 * main thread between two. Everything else waits in the pool's queue and goes to whichever worker
 * finishes first — requests differ tenfold in cost (hashing a chunk, compressing text), so
 * counting them per worker would leave one idle while the other has a backlog.
 */
const WORKER_DEPTH = 2;

export interface CodecPoolOptions extends CodecWorkerData {
  /** Worker threads; default: the machine's available parallelism. */
  threads?: number;
}

/** Worker threads a pool starts when not told: one per core the process may use. */
export function defaultCodecThreads(): number {
  return availableParallelism();
}

/**
 * The heap each codec worker may use, in MiB: a worker holds its keys, one hasher and one zstd
 * context (the chunk data is in shared memory, its scratch buffers outside the heap), about 6 MiB
 * of heap in all. Capped, a worker's heap is part of the server's memory bound instead of growing
 * with the garbage of every chunk until V8 of its own accord collects it; a worker that outgrows
 * it ends, and its requests fail with `codec-failed`.
 */
export const CODEC_WORKER_HEAP_MIB = { old: 16, young: 4 } as const;

export class CodecPool {
  private readonly slots: Slot[] = [];
  private readonly queue: Queued[] = [];
  private nextId = 1;
  private closed = false;

  constructor(opts: CodecPoolOptions) {
    const n = Math.max(1, opts.threads ?? defaultCodecThreads());
    const data: CodecWorkerData = { chunkId: opts.chunkId, idKey: opts.idKey, chunkKey: opts.chunkKey, level: opts.level, maxChunk: opts.maxChunk };
    for (let i = 0; i < n; i++) {
      const worker = new Worker(new URL('./chunk-worker.js', import.meta.url), {
        workerData: data,
        resourceLimits: { maxOldGenerationSizeMb: CODEC_WORKER_HEAP_MIB.old, maxYoungGenerationSizeMb: CODEC_WORKER_HEAP_MIB.young },
      });
      const slot: Slot = { worker, pending: new Map(), dead: undefined };
      worker.unref();
      worker.on('message', (res: CodecResponse) => this.settle(slot, res));
      worker.on('error', (err) => this.fail(slot, err));
      worker.on('exit', (code) => {
        if (!this.closed) this.fail(slot, new LifelineError('codec-failed', `codec worker exited with code ${code}`));
      });
      this.slots.push(slot);
    }
  }

  get threads(): number {
    return this.slots.length;
  }

  /** Digest of a chunk, or null when it is all zeros. */
  async hash(data: Uint8Array, signal: AbortSignal): Promise<Uint8Array | null> {
    const r = await this.call({ id: 0, op: 'hash', data: shared(data) }, signal);
    if (r.ok && r.op === 'hash') return r.digest;
    throw unexpected(r);
  }

  /** Writes the stored form of a chunk into `out` (shared memory of encodedBound bytes). */
  async encode(data: Uint8Array, digest: Uint8Array, out: Uint8Array, signal: AbortSignal): Promise<{ size: number; compressed: boolean }> {
    if (!isShared(out)) throw new RangeError('encode needs an output buffer in shared memory');
    const r = await this.call({ id: 0, op: 'encode', data: shared(data), digest: Uint8Array.from(digest), out }, signal);
    if (r.ok && r.op === 'encode') return { size: r.size, compressed: r.compressed };
    throw unexpected(r);
  }

  /** Decodes a stored chunk into `out` (shared memory) and verifies it; CorruptChunkError when it fails. */
  async decode(stored: Uint8Array, digest: Uint8Array, out: Uint8Array, signal: AbortSignal): Promise<number> {
    if (!isShared(out)) throw new RangeError('decode needs an output buffer in shared memory');
    const r = await this.call({ id: 0, op: 'decode', stored, digest: Uint8Array.from(digest), out }, signal);
    if (r.ok && r.op === 'decode') return r.length;
    throw unexpected(r);
  }

  /** Decodes and verifies without returning the plaintext; resolves its length. */
  async verify(stored: Uint8Array, digest: Uint8Array, maxLength: number, signal: AbortSignal): Promise<number> {
    const r = await this.call({ id: 0, op: 'verify', stored, digest: Uint8Array.from(digest), length: maxLength }, signal);
    if (r.ok && r.op === 'verify') return r.length;
    throw unexpected(r);
  }

  async close(): Promise<void> {
    this.closed = true;
    await Promise.all(this.slots.map((s) => s.worker.terminate()));
    const err = new LifelineError('codec-failed', 'codec pool closed');
    for (const s of this.slots) this.fail(s, err);
    for (const q of this.queue.splice(0)) q.pending.reject(err);
  }

  private call(req: CodecRequest, signal: AbortSignal): Promise<CodecResponse> {
    throwIfAborted(signal);
    if (this.closed) return Promise.reject(new LifelineError('codec-failed', 'codec pool closed'));
    req.id = this.nextId++;
    // A stored chunk read from the backend is the caller's to give away: it moves, not copies.
    const transfer: ArrayBuffer[] = [];
    if (req.op === 'decode' || req.op === 'verify') {
      const s = req.stored;
      if (s.byteOffset === 0 && s.byteLength === s.buffer.byteLength && s.buffer instanceof ArrayBuffer) transfer.push(s.buffer);
    }
    // No abort listener per request: a request takes milliseconds, and the answer of an aborted
    // caller is simply checked below (listeners on a shared signal would pile up by the hundred).
    return new Promise<CodecResponse>((resolve, reject) => {
      const pending: Pending = { resolve: (r) => (signal.aborted ? reject(abortError(signal)) : resolve(r)), reject };
      this.queue.push({ req, transfer, pending, signal });
      this.dispatch();
    });
  }

  /** Hands queued requests to workers with room, the least loaded first. */
  private dispatch(): void {
    // A closing pool sends nothing more; close() answers what is still queued.
    if (this.closed) return;
    for (;;) {
      const q = this.queue[0];
      if (!q) return;
      let slot: Slot | undefined;
      for (const s of this.slots) if (!s.dead && s.pending.size < WORKER_DEPTH && (!slot || s.pending.size < slot.pending.size)) slot = s;
      if (!slot) {
        if (this.slots.every((s) => s.dead)) {
          for (const d of this.queue.splice(0)) d.pending.reject(this.slots[0]?.dead ?? new LifelineError('codec-failed', 'no codec worker left'));
        }
        return;
      }
      this.queue.shift();
      if (q.signal.aborted) {
        q.pending.reject(abortError(q.signal));
        continue;
      }
      slot.pending.set(q.req.id, q.pending);
      this.refresh(slot);
      slot.worker.postMessage(q.req, q.transfer);
    }
  }

  /** A busy worker keeps the process alive (a pending answer must arrive); an idle one does not. */
  private refresh(slot: Slot): void {
    if (slot.pending.size > 0) slot.worker.ref();
    else slot.worker.unref();
  }

  private settle(slot: Slot, res: CodecResponse): void {
    const p = slot.pending.get(res.id);
    if (!p) return;
    slot.pending.delete(res.id);
    this.refresh(slot);
    this.dispatch();
    if (res.ok) p.resolve(res);
    else if (res.error.code === 'chunk-corrupt' && res.error.digest) p.reject(new CorruptChunkError(res.error.digest, res.error.message.replace(/^chunk \S+ is corrupt: /, '')));
    else p.reject(new StoreError('codec-failed', res.error.message, { code: res.error.code }));
  }

  /** A worker that failed takes its requests down with it; the others carry on with the queue. */
  private fail(slot: Slot, err: Error): void {
    slot.dead ??= err;
    for (const p of slot.pending.values()) p.reject(err);
    slot.pending.clear();
    this.refresh(slot);
    this.dispatch();
  }
}

/** Chunk data in shared memory as it is; anything else copied there once (callers without a pool). */
function shared(data: Uint8Array): Uint8Array {
  if (isShared(data)) return data;
  const copy = new Uint8Array(new SharedArrayBuffer(data.byteLength));
  copy.set(data);
  return copy;
}

function unexpected(r: CodecResponse): Error {
  return new LifelineError('codec-failed', `unexpected codec answer ${JSON.stringify(r).slice(0, 200)}`);
}
