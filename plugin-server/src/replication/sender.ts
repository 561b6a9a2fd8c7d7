/**
 * The sending end of replication: offers a restore point of the local repository to a receiver
 * (protocol.ts), sends the chunks it lacks in their stored form, a few at a time, and commits.
 * Run again after any failure, it sends only what the receiver still lacks.
 */
import { forEachBounded, readPointParcel, readStoredChunk, type Repository } from '../store/index.js';
import type { ReplicaReceiver } from './protocol.js';

export interface ReplicateOptions {
  signal: AbortSignal;
  /** Chunks in flight at once (default 8: reading at the source and the durable put at the receiver overlap the receiver's verification). */
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
}

export async function replicatePoint(source: Repository, pointId: string, receiver: ReplicaReceiver, opts: ReplicateOptions): Promise<ReplicationReport> {
  const { signal } = opts;
  const parcel = await readPointParcel(source, pointId, signal);
  const answer = await receiver.offer({ repositoryId: source.id, ...parcel }, signal);
  if (answer.kind === 'present') {
    return { pointId, present: true, chunks: 0, chunksSent: 0, bytesSent: 0, retainUntil: answer.retainUntil };
  }
  let chunksSent = 0;
  let bytesSent = 0;
  await forEachBounded(answer.missing, opts.concurrency ?? 8, signal, async (hex, sig) => {
    const stored = await readStoredChunk(source, hex, sig);
    await receiver.putChunk(answer.session, hex, stored, sig);
    chunksSent++;
    bytesSent += stored.byteLength;
    opts.onChunk?.(hex, stored.byteLength);
  });
  const done = await receiver.commit(answer.session, signal);
  return { pointId, present: false, chunks: answer.chunks, chunksSent, bytesSent, retainUntil: done.retainUntil };
}
