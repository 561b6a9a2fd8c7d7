/**
 * A replication link within one process: it hands every message to a receiver as a copy, as a
 * network would (neither side ever holds the other's memory), and counts what crosses. The specs
 * use it between two repositories on one machine; sites use the HTTPS link.
 */
import type { CommittedReplica, OfferAnswer, PointOffer, ReplicaReceiver } from './protocol.js';

export interface LinkCounters {
  offers: number;
  chunks: number;
  /** Chunk bytes carried (the stored form). */
  chunkBytes: number;
  /** Manifest and index bytes carried by offers. */
  offerBytes: number;
  commits: number;
}

export class InProcessLink implements ReplicaReceiver {
  readonly counters: LinkCounters = { offers: 0, chunks: 0, chunkBytes: 0, offerBytes: 0, commits: 0 };

  constructor(private readonly receiver: ReplicaReceiver) {}

  async offer(offer: PointOffer, signal: AbortSignal): Promise<OfferAnswer> {
    signal.throwIfAborted();
    this.counters.offers++;
    const indexes = offer.indexes.map((i) => ({ disk: i.disk, bytes: Uint8Array.from(i.bytes) }));
    this.counters.offerBytes += offer.manifest.byteLength + indexes.reduce((n, i) => n + i.bytes.byteLength, 0);
    const answer = await this.receiver.offer({ repositoryId: offer.repositoryId, pointId: offer.pointId, manifest: Uint8Array.from(offer.manifest), indexes }, signal);
    return answer.kind === 'send' ? { ...answer, missing: [...answer.missing] } : { ...answer };
  }

  async putChunk(session: string, hex: string, stored: Uint8Array, signal: AbortSignal): Promise<void> {
    signal.throwIfAborted();
    this.counters.chunks++;
    this.counters.chunkBytes += stored.byteLength;
    await this.receiver.putChunk(session, hex, Uint8Array.from(stored), signal);
  }

  async commit(session: string, signal: AbortSignal): Promise<CommittedReplica> {
    signal.throwIfAborted();
    this.counters.commits++;
    return { ...(await this.receiver.commit(session, signal)) };
  }
}
