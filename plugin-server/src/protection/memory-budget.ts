/**
 * The server's memory bound: what its resident set can reach at most, summed from the limits it
 * runs with rather than measured after the fact. Every part that grows with work is capped:
 *
 * - the main thread's V8 heap, by its heap limit (`lifeline serve` starts node with
 *   `--max-old-space-size` and `--max-semi-space-size`, bin/lifeline.js); garbage of any number of
 *   jobs is collected before the heap passes it;
 * - the codec worker threads, each by its heap limit (CODEC_WORKER_HEAP_MIB) plus its two scratch
 *   buffers of one encoded chunk (chunk-worker.ts) and its zstd contexts;
 * - chunk data, by the fixed buffer sets every backup shares: the ingest buffers (INGEST_BUFFERS
 *   chunks) and the chunk store's output and input buffers (CHUNK_WRITE_SLOTS, CHUNK_READ_SLOTS
 *   encoded chunks);
 * - SQLite, by the page caches of its two connections: the catalog's (CATALOG_CACHE_KIB) and the
 *   state database's (SQLite's default of 2,000 KiB);
 * - and the rest, which does not grow with VMs, jobs or data: node's code and libraries, the
 *   native state of a few TLS connections and the thread stacks (FIXED_MIB, measured).
 *
 * What it does not cover, said in the README: each restore running reads through chunk buffers of
 * its own (restore.ts, 8 chunks), and a DR site opens one more catalog per replicated site.
 */
import { CATALOG_CACHE_KIB } from '../catalog/index.js';
import { CHUNK_READ_SLOTS, CHUNK_WRITE_SLOTS } from '../store/chunks/chunk-store.js';
import { encodedBound } from '../store/chunks/chunk-format.js';
import { CODEC_WORKER_HEAP_MIB } from '../store/chunks/codec-pool.js';
import { INGEST_BUFFERS } from '../store/engine/ingest.js';

const MiB = 1024 * 1024;

/**
 * The server's resident memory apart from everything capped below: node's code and libraries
 * mapped from disk (about 50 MiB), the native state of the process, its TLS connections and its
 * threads' stacks. Measured: about 80 MiB at rest (the resident set before the first backup less
 * the heap); counted with room for the connections and allocator state of busy threads.
 */
export const FIXED_MIB = 96;

/** A codec worker's own memory besides its heap: its zstd contexts and the isolate's native state. */
const WORKER_NATIVE_MIB = 8;

/** SQLite's default page cache (cache_size -2000), which the state database keeps. */
const STATE_DB_CACHE_MIB = 2000 / 1024;

export interface MemoryBudgetInput {
  /** The main thread's V8 heap limit in bytes (v8.getHeapStatistics().heap_size_limit). */
  readonly heapLimitBytes: number;
  /** Codec worker threads the repository runs. */
  readonly codecThreads: number;
  /** The repository's chunk size in bytes. */
  readonly chunkSize: number;
}

export interface MemoryBudget {
  readonly heapMiB: number;
  readonly codecThreads: number;
  /** Per codec worker thread: heap limit, two scratch buffers, native state. */
  readonly codecThreadMiB: number;
  /** The shared chunk buffers: ingest, chunk store outputs and inputs. */
  readonly chunkBuffersMiB: number;
  readonly sqliteCacheMiB: number;
  readonly fixedMiB: number;
  /** The bound on the server's resident set, the sum of the parts. */
  readonly totalMiB: number;
}

export function memoryBudget(input: MemoryBudgetInput): MemoryBudget {
  const encodedMiB = encodedBound(input.chunkSize) / MiB;
  const heapMiB = input.heapLimitBytes / MiB;
  const codecThreadMiB = CODEC_WORKER_HEAP_MIB.old + CODEC_WORKER_HEAP_MIB.young + 2 * encodedMiB + WORKER_NATIVE_MIB;
  const chunkBuffersMiB = (INGEST_BUFFERS * input.chunkSize) / MiB + (CHUNK_WRITE_SLOTS + CHUNK_READ_SLOTS) * encodedMiB;
  const sqliteCacheMiB = CATALOG_CACHE_KIB / 1024 + STATE_DB_CACHE_MIB;
  const round = (n: number) => Math.ceil(n);
  const parts = {
    heapMiB: round(heapMiB),
    codecThreads: input.codecThreads,
    codecThreadMiB: round(codecThreadMiB),
    chunkBuffersMiB: round(chunkBuffersMiB),
    sqliteCacheMiB: round(sqliteCacheMiB),
    fixedMiB: FIXED_MIB,
  };
  return { ...parts, totalMiB: parts.heapMiB + parts.codecThreads * parts.codecThreadMiB + parts.chunkBuffersMiB + parts.sqliteCacheMiB + parts.fixedMiB };
}

/** One line for the log: the bound and its parts. */
export function describeMemoryBudget(b: MemoryBudget): string {
  return (
    `memory bound: RSS at most ${b.totalMiB} MiB (V8 heap ${b.heapMiB}, ${b.codecThreads} codec threads × ${b.codecThreadMiB}, ` +
    `chunk buffers ${b.chunkBuffersMiB}, SQLite caches ${b.sqliteCacheMiB}, code and native state ${b.fixedMiB})`
  );
}
