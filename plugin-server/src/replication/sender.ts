/**
 * The sending end of replication: offers a restore point of the local repository to a receiver
 * (protocol.ts), sends the chunks it lacks in their stored form, a few at a time, and commits.
 * Run again after any failure, it sends only what the receiver still lacks.
 *
 * Chunks are read from disk ahead of their turn, so that the reads overlap the receiver's work:
 * while the offer is under way the sender reads the chunks the receiver likely lacks (those the
 * point's parent does not reference), and then keeps as many reads going ahead of the chunks in
 * flight as there are chunks in flight.
 */
import { forEachBounded, likelyLackedChunks, readPointParcel, readStoredChunk, type PointParcel, type Repository } from '../store/index.js';
import type { ReplicaReceiver } from './protocol.js';

export interface ReplicateOptions {
  signal: AbortSignal;
  /** Chunks in flight at once (default 8: reading at the source and the durable put at the receiver overlap the receiver's verification), and as many read ahead of them. */
  concurrency?: number;
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
  const start = performance.now();
  const parcel = await readPointParcel(source, pointId, signal);
  const parcelMs = since(start);
  const offered = performance.now();
  const concurrency = opts.concurrency ?? 8;
  const offering = receiver.offer({ repositoryId: source.id, ...parcel }, signal);
  // Settled below; this keeps a refusal from being reported unhandled while the reads start.
  offering.catch(() => undefined);
  const ahead = await readAhead(source, parcel, concurrency, signal);
  const answer = await offering.catch((err: unknown) => {
    ahead.clear();
    throw err;
  });
  const offerMs = since(offered);
  if (answer.kind === 'present') {
    ahead.clear();
    const timings = { parcelMs, offerMs, firstChunkMs: null, chunksMs: 0, commitMs: 0, totalMs: since(start) };
    return { pointId, present: true, chunks: 0, chunksSent: 0, bytesSent: 0, retainUntil: answer.retainUntil, timings };
  }
  // Reads of chunks the receiver holds after all are dropped now, not at the end of the run.
  const wanted = new Set(answer.missing);
  for (const hex of ahead.keys()) if (!wanted.has(hex)) ahead.delete(hex);
  const answered = performance.now();
  let firstChunkMs: number | null = null;
  let chunksSent = 0;
  let bytesSent = 0;
  const missing = answer.missing;
  let readTo = 0;
  // Reads run `concurrency` chunks ahead of the chunks in flight, so that a chunk's read from
  // this site's disk overlaps the receiver's work on the ones before it instead of adding to it.
  const readAheadTo = (end: number): void => {
    for (; readTo < Math.min(end, missing.length); readTo++) {
      const hex = missing[readTo] as string;
      if (ahead.has(hex)) continue;
      const read = readStoredChunk(source, hex, signal);
      read.catch(() => undefined);
      ahead.set(hex, read);
    }
  };
  await forEachBounded(missing.keys(), concurrency, signal, async (i, sig) => {
    const hex = missing[i] as string;
    readAheadTo(i + 1 + concurrency);
    const early = ahead.get(hex);
    ahead.delete(hex);
    const stored = await (early ?? readStoredChunk(source, hex, sig));
    await receiver.putChunk(answer.session, hex, stored, sig);
    firstChunkMs ??= since(answered);
    chunksSent++;
    bytesSent += stored.byteLength;
    opts.onChunk?.(hex, stored.byteLength);
  }).finally(() => ahead.clear());
  const chunksMs = since(answered);
  const committing = performance.now();
  const done = await receiver.commit(answer.session, signal);
  const timings = { parcelMs, offerMs, firstChunkMs, chunksMs, commitMs: since(committing), totalMs: since(start) };
  return { pointId, present: false, chunks: answer.chunks, chunksSent, bytesSent, retainUntil: done.retainUntil, timings };
}

/**
 * Starts reading the chunks the receiver likely lacks (likelyLackedChunks), at most `max`; each
 * read settles in the map, a failed one failing only where its chunk is sent. A guess that cannot
 * be made (an index unreadable here) reads nothing ahead: the chunks are read when asked for.
 */
async function readAhead(source: Repository, parcel: PointParcel, max: number, signal: AbortSignal): Promise<Map<string, Promise<Uint8Array>>> {
  const ahead = new Map<string, Promise<Uint8Array>>();
  const guess = await likelyLackedChunks(source, parcel, max, signal).catch(() => []);
  for (const hex of guess) {
    const read = readStoredChunk(source, hex, signal);
    read.catch(() => undefined);
    ahead.set(hex, read);
  }
  return ahead;
}
