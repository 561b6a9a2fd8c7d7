/**
 * The sending end of replication: offers a restore point of the local repository to a receiver
 * (protocol.ts), sends the chunks it lacks in their stored form, a few at a time, and commits.
 * Run again after any failure, it sends only what the receiver still lacks.
 *
 * Reading a chunk here is kept off the link's critical path: while the offer is in flight the
 * first chunks the receiver will most likely ask for are read already (those of the point that
 * its parent here does not reference, in the order the receiver lists them; every chunk for a
 * point without one), and during the transfer a few chunks are read ahead of the requests in
 * flight. A guess costs only a read: nothing crosses the wire that the receiver did not ask for.
 */
import { setMaxListeners } from 'node:events';
import { FixedIndex, forEachBounded, readPointParcel, readStoredChunk, type PointParcel, type Repository } from '../store/index.js';
import type { ReplicaReceiver } from './protocol.js';

export interface ReplicateOptions {
  signal: AbortSignal;
  /** Chunks in flight at once (default 8: reading at the source and the durable put at the receiver overlap the receiver's verification). */
  concurrency?: number;
  /** Chunks read ahead of those in flight, and read while the offer is (default: half the concurrency). */
  readAhead?: number;
  /** Called after each chunk the receiver acknowledged. */
  onChunk?: (hex: string, storedBytes: number) => void;
}

export interface ReplicationReport {
  pointId: string;
  /** Whether the receiver held the point already. */
  present: boolean;
  /** Distinct chunks the point references. */
  chunks: number;
  /** Chunks the receiver lacked, all of them sent. */
  chunksSent: number;
  /** Stored bytes of those chunks. */
  bytesSent: number;
  /** Until when the receiver keeps the point locked. */
  retainUntil: number;
  /** Where the time went, in milliseconds of wall time at this end. */
  timings: ReplicationTimings;
}

/**
 * The phases of one replication of a point as the sender sees them (ms). The chunks' phase starts
 * when the receiver's answer arrives; `firstChunkMs` is how long until the first chunk was
 * acknowledged (the pipeline's start), null when none was sent.
 */
export interface ReplicationTimings {
  /** Reading the point's manifest and indexes here. */
  parcelMs: number;
  /** The offer, until the receiver answered. */
  offerMs: number;
  firstChunkMs: number | null;
  /** From the answer to the last chunk acknowledged. */
  chunksMs: number;
  /** The commit, until the receiver answered. */
  commitMs: number;
  totalMs: number;
}

const since = (t: number): number => Math.round((performance.now() - t) * 10) / 10;

export async function replicatePoint(source: Repository, pointId: string, receiver: ReplicaReceiver, opts: ReplicateOptions): Promise<ReplicationReport> {
  const { signal } = opts;
  const concurrency = opts.concurrency ?? 8;
  const ahead = opts.readAhead ?? Math.ceil(concurrency / 2);
  const start = performance.now();
  const parcel = await readPointParcel(source, pointId, signal);
  const parcelMs = since(start);
  const reads = new ChunkReads(source, signal, concurrency + ahead);
  try {
    reads.guess(likelyLacking(source, parcel, signal), concurrency + ahead);
    const offered = performance.now();
    const answer = await receiver.offer({ repositoryId: source.id, ...parcel }, signal);
    const offerMs = since(offered);
    await reads.guessed;
    if (answer.kind === 'present') {
      const timings = { parcelMs, offerMs, firstChunkMs: null, chunksMs: 0, commitMs: 0, totalMs: since(start) };
      return { pointId, present: true, chunks: 0, chunksSent: 0, bytesSent: 0, retainUntil: answer.retainUntil, timings };
    }
    const answered = performance.now();
    let firstChunkMs: number | null = null;
    let chunksSent = 0;
    let bytesSent = 0;
    // Exactly the chunks the receiver lacks, those read already first; each read `ahead` chunks
    // before its turn.
    const order = reads.ordered(answer.missing);
    let next = 0;
    const take = (): { hex: string; stored: Promise<Uint8Array> } | undefined => {
      const hex = order[next];
      if (hex === undefined) return undefined;
      for (let i = next; i <= next + ahead && i < order.length; i++) reads.start(order[i] as string);
      next++;
      return { hex, stored: reads.take(hex) };
    };
    await forEachBounded(pulled(take), concurrency, signal, async ({ hex, stored }, sig) => {
      const bytes = await stored;
      await receiver.putChunk(answer.session, hex, bytes, sig);
      firstChunkMs ??= since(answered);
      chunksSent++;
      bytesSent += bytes.byteLength;
      opts.onChunk?.(hex, bytes.byteLength);
    });
    const chunksMs = since(answered);
    const committing = performance.now();
    const done = await receiver.commit(answer.session, signal);
    const timings = { parcelMs, offerMs, firstChunkMs, chunksMs, commitMs: since(committing), totalMs: since(start) };
    return { pointId, present: false, chunks: answer.chunks, chunksSent, bytesSent, retainUntil: done.retainUntil, timings };
  } finally {
    await reads.drop();
  }
}

/** The items `next` gives, one per pull, until it gives none. */
function* pulled<T>(next: () => T | undefined): Generator<T> {
  for (let item = next(); item !== undefined; item = next()) yield item;
}

/**
 * Reads of stored chunks started ahead of their use. Each is taken at most once; those never
 * taken (a guess the receiver did not confirm, or a transfer cut short) are cancelled and awaited
 * by drop(), so no read outlives the replication.
 */
class ChunkReads {
  private readonly started = new Map<string, Promise<Uint8Array>>();
  /** Reads of guesses the receiver did not confirm: awaited by drop(), their bytes not kept. */
  private readonly unused: Array<Promise<unknown>> = [];
  private readonly stop = new AbortController();
  private readonly signal: AbortSignal;

  constructor(
    private readonly source: Repository,
    signal: AbortSignal,
    inFlight: number,
  ) {
    this.signal = AbortSignal.any([signal, this.stop.signal]);
    setMaxListeners(Math.max(10, inFlight * 4), this.signal);
  }

  /** Settles once the reads of guess() started; never rejects. */
  guessed: Promise<void> = Promise.resolve();

  /** Starts reading the first `count` chunks of a guess, once it is made. */
  guess(hexes: Promise<readonly string[]>, count: number): void {
    this.guessed = hexes.then(
      (list) => {
        if (!this.signal.aborted) for (const hex of list.slice(0, count)) this.start(hex);
      },
      () => undefined,
    );
  }

  start(hex: string): void {
    if (this.started.has(hex)) return;
    const read = (async () => readStoredChunk(this.source, hex, this.signal))();
    // Met by whoever takes it; one nobody takes is dropped.
    read.catch(() => undefined);
    this.started.set(hex, read);
  }

  /**
   * `hexes` with those already being read first, the others after them in their order; reads of
   * chunks not among them are let go.
   */
  ordered(hexes: readonly string[]): string[] {
    const wanted = new Set(hexes);
    for (const [hex, read] of this.started) {
      if (wanted.has(hex)) continue;
      this.started.delete(hex);
      this.unused.push(read.then(() => undefined, () => undefined));
    }
    const ready = hexes.filter((h) => this.started.has(h));
    return ready.length === 0 ? [...hexes] : [...ready, ...hexes.filter((h) => !this.started.has(h))];
  }

  take(hex: string): Promise<Uint8Array> {
    this.start(hex);
    const read = this.started.get(hex) as Promise<Uint8Array>;
    this.started.delete(hex);
    return read;
  }

  async drop(): Promise<void> {
    this.stop.abort();
    await this.guessed;
    await Promise.allSettled([...this.started.values(), ...this.unused]);
    this.started.clear();
  }
}

/**
 * The point's chunks its parent here does not reference (all of them without a parent), in the
 * order a receiver lists the chunks it lacks: a guess at what the receiver will ask for, made
 * while the offer is in flight.
 */
async function likelyLacking(source: Repository, parcel: PointParcel, signal: AbortSignal): Promise<string[]> {
  const chunks = new Set<string>();
  for (const i of parcel.indexes) for (const hex of FixedIndex.parse(i.bytes, `point ${parcel.pointId} disk ${i.disk}`).distinctDigests()) chunks.add(hex);
  const parentId = source.catalog.getPoint(parcel.pointId)?.parentId ?? null;
  const parent = parentId === null ? undefined : source.catalog.getPoint(parentId);
  if (parent?.state !== 'committed') return [...chunks];
  for (const d of source.catalog.pointDisks(parent.id)) {
    for (const hex of FixedIndex.parse(await source.backend.get(d.indexKey, signal), d.indexKey).distinctDigests()) chunks.delete(hex);
  }
  return [...chunks];
}
