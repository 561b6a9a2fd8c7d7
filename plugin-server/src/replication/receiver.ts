/**
 * The receiving end of replication at a DR site: one replica repository per source site
 * (store/replica.ts), each point imported through store/engine/point-import.ts, which verifies
 * everything the source sends. This file adds the sessions between offer and commit and the DR
 * site's own retention rule.
 *
 * Sessions live in memory: a receiver that restarts forgets them, and the sender starts again
 * with a new offer — which asks only for the chunks that did not arrive, since every acknowledged
 * chunk is durable. A new offer of a point replaces an earlier session of the same point, and
 * beyond MAX_SESSIONS the oldest session is forgotten (a sender that went away leaves one behind).
 */
import { randomUUID } from 'node:crypto';
import { LifelineError } from '../errors/index.js';
import type { Logger } from '../log/index.js';
import { PointImport, type Repository } from '../store/index.js';
import type { CommittedReplica, OfferAnswer, PointOffer, ReplicaReceiver } from './protocol.js';

export interface ReceiverOptions {
  /** The replica repository of a source repository id, or undefined when this site holds none. */
  replicaOf: (repositoryId: string) => Repository | undefined;
  /**
   * The DR site's immutability period for replicas (days): every replicated point is locked here
   * until at least that long after it was created, whatever the source's retain-until says. A
   * function is asked at every offer (the pairing's setting may change).
   */
  immutableDays: number | (() => number);
  /** Each point's phases at this end go to its debug log (see `ReceiverTimings`). */
  logger?: Logger;
}

/**
 * The phases of one point at the receiving end (ms of wall time), logged at debug level when the
 * point is committed: the offer's work here; from the answer to the first chunk arriving and to
 * the last one stored; the time the chunks' verification and durable put took, added up over
 * chunks in flight at once; from the last chunk stored to the commit's request; and the commit.
 */
export interface ReceiverTimings {
  offerMs: number;
  firstChunkAfterMs: number | null;
  chunksMs: number;
  chunkWorkMs: number;
  commitAfterMs: number;
  commitMs: number;
}

/** Sessions kept at once; each may hold a few stored chunks' worth of buffers while it runs. */
export const MAX_SESSIONS = 16;

interface Session {
  pointId: string;
  import: PointImport;
  /** Chunks being verified and stored now. */
  inflight: Set<Promise<unknown>>;
  /** performance.now() marks: when the answer went back, the first chunk came, the last was stored. */
  answeredAt: number;
  firstChunkAt: number | null;
  lastChunkAt: number;
  offerMs: number;
  chunkWorkMs: number;
}

/** Work that must not be cut short with the request that started it (it is short). */
const UNTIL_DONE = new AbortController().signal;

const ms = (from: number, to: number): number => Math.round((to - from) * 10) / 10;

export class ReplicaSiteReceiver implements ReplicaReceiver {
  private readonly sessions = new Map<string, Session>();
  private readonly byPoint = new Map<string, string>();

  constructor(private readonly opts: ReceiverOptions) {
    this.immutableDays();
  }

  private immutableDays(): number {
    const days = typeof this.opts.immutableDays === 'function' ? this.opts.immutableDays() : this.opts.immutableDays;
    if (!Number.isFinite(days) || days < 0) {
      throw new LifelineError('validation', `the replica immutability period must be a number of days from 0, not ${String(days)}`);
    }
    return days;
  }

  async offer(offer: PointOffer, signal: AbortSignal): Promise<OfferAnswer> {
    const repo = this.opts.replicaOf(String(offer.repositoryId));
    if (!repo) throw new LifelineError('not-found', `this site holds no replica of repository ${String(offer.repositoryId).slice(0, 80)}`);
    // A new offer after a cut link waits for the chunks of the earlier session still being stored:
    // they arrived whole, and once durable they are not asked for again.
    const before = this.sessions.get(this.byPoint.get(String(offer.pointId)) ?? '');
    if (before) await Promise.allSettled([...before.inflight]);
    const begun = performance.now();
    const imp = await PointImport.begin(repo, { pointId: offer.pointId, manifest: offer.manifest, indexes: offer.indexes }, { minRetainDays: this.immutableDays() }, signal);
    const answeredAt = performance.now();
    if (imp.present) {
      this.opts.logger?.debug('replicated point offered again: held here already', { pointId: imp.pointId, offerMs: ms(begun, answeredAt) });
      return { kind: 'present', pointId: imp.pointId, retainUntil: imp.present.retainUntil };
    }
    const earlier = this.byPoint.get(imp.pointId);
    if (earlier) this.sessions.delete(earlier);
    const session = randomUUID();
    while (this.sessions.size >= MAX_SESSIONS) {
      const [oldest, s] = this.sessions.entries().next().value as [string, Session];
      this.sessions.delete(oldest);
      if (this.byPoint.get(s.pointId) === oldest) this.byPoint.delete(s.pointId);
    }
    this.sessions.set(session, { pointId: imp.pointId, import: imp, inflight: new Set(), answeredAt, firstChunkAt: null, lastChunkAt: answeredAt, offerMs: ms(begun, answeredAt), chunkWorkMs: 0 });
    this.byPoint.set(imp.pointId, session);
    // The indexes are written while the chunks arrive: the commit then writes only the manifest.
    imp.stageIndexes(UNTIL_DONE);
    return { kind: 'send', pointId: imp.pointId, session, chunks: imp.chunkCount, missing: imp.missing };
  }

  async putChunk(session: string, hex: string, stored: Uint8Array, signal: AbortSignal): Promise<void> {
    const s = this.session(session);
    const arrived = performance.now();
    s.firstChunkAt ??= arrived;
    const put = s.import.putChunk(hex, stored, signal);
    s.inflight.add(put);
    try {
      await put;
    } finally {
      s.inflight.delete(put);
      const now = performance.now();
      s.chunkWorkMs += now - arrived;
      s.lastChunkAt = Math.max(s.lastChunkAt, now);
    }
  }

  async commit(session: string, signal: AbortSignal): Promise<CommittedReplica> {
    const s = this.session(session);
    const asked = performance.now();
    const row = await s.import.commit(signal);
    this.sessions.delete(session);
    if (this.byPoint.get(s.pointId) === session) this.byPoint.delete(s.pointId);
    if (this.opts.logger) {
      const timings: ReceiverTimings = {
        offerMs: s.offerMs,
        firstChunkAfterMs: s.firstChunkAt === null ? null : ms(s.answeredAt, s.firstChunkAt),
        chunksMs: ms(s.answeredAt, s.lastChunkAt),
        chunkWorkMs: Math.round(s.chunkWorkMs),
        commitAfterMs: ms(s.lastChunkAt, asked),
        commitMs: ms(asked, performance.now()),
      };
      this.opts.logger.debug('replicated point committed', { pointId: row.id, chunks: s.import.chunkCount, ...timings });
    }
    return { pointId: row.id, retainUntil: row.retainUntil };
  }

  private session(id: string): Session {
    const s = this.sessions.get(id);
    if (!s) throw new LifelineError('not-found', `no replication session ${String(id).slice(0, 80)} here (it ended, was replaced by a new offer, or this site restarted): offer the point again`);
    return s;
  }
}
