/**
 * The replication protocol between a source site and its DR site, as the interfaces both ends
 * implement whatever carries them (an in-process link in the specs, HTTPS with mutual TLS between
 * sites). One restore point at a time:
 *
 *   1. offer   — the sender offers a point: its sealed manifest and its disk indexes, the stored
 *                bytes. The receiver checks them under the keys it holds and answers with the
 *                chunk ids it lacks (or that it holds the point already).
 *   2. chunk   — the sender sends exactly those chunks, in their stored form (compressed and
 *                encrypted as the source stores them). The receiver decodes each and checks its
 *                id, refuses one that fails ('chunk-corrupt', nothing stored), and acknowledges
 *                one only once it is durable.
 *   3. commit  — when every chunk has arrived, the receiver writes the indexes and the manifest
 *                and makes the point visible. Nothing is visible before that, and an acknowledged
 *                chunk is never asked for again: a re-run after any failure starts at 1 and sends
 *                only what is still missing.
 *
 * The receiver has no operation that deletes a point, shortens a lock or overwrites an object:
 * the source cannot ask for that, whatever it sends. Its retention is the receiving site's own
 * (docs/replication.md).
 */

/** A restore point offered to a DR site. Byte arrays are the source repository's stored objects. */
export interface PointOffer {
  /** The source repository's id: the receiver keeps one replica repository per source. */
  repositoryId: string;
  pointId: string;
  /** The point's sealed manifest. */
  manifest: Uint8Array;
  /** Each disk's fixed index. */
  indexes: ReadonlyArray<{ disk: number; bytes: Uint8Array }>;
}

export type OfferAnswer =
  /** The receiver holds the point committed already; nothing to send. */
  | { kind: 'present'; pointId: string; retainUntil: number }
  /** Send these chunks (hex ids), then commit, naming the session. */
  | { kind: 'send'; pointId: string; session: string; chunks: number; missing: readonly string[] };

/** A point the receiver made visible. */
export interface CommittedReplica {
  pointId: string;
  /** Until when the DR site keeps it locked: the later of the source's retain-until and its own rule. */
  retainUntil: number;
}

export interface ReplicaReceiver {
  offer(offer: PointOffer, signal: AbortSignal): Promise<OfferAnswer>;
  /** Resolves once the chunk is verified and durable at the receiver (its acknowledgement). */
  putChunk(session: string, hex: string, stored: Uint8Array, signal: AbortSignal): Promise<void>;
  commit(session: string, signal: AbortSignal): Promise<CommittedReplica>;
}
