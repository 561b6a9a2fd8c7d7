/**
 * Link behaviour between a source site and its DR site: a bandwidth limit (a token bucket paced in
 * MB/s — 10^6 bytes — with an optional lower limit during daily hours), and replication that
 * survives a cut link: on a transient fault it waits (exponential backoff with jitter) and offers
 * the point again, and the DR site asks only for what it still lacks (every acknowledged chunk is
 * durable there), so nothing acknowledged is sent twice.
 */
import { isTransientError } from '../jobs/retry.js';
import { LifelineError } from '../errors/index.js';
import type { Repository } from '../store/index.js';
import type { CommittedReplica, OfferAnswer, PointOffer, ReplicaReceiver } from './protocol.js';
import { replicatePoint, type ReplicationReport } from './sender.js';

/** The pairing's bandwidth settings. */
export interface BandwidthSettings {
  /** null = unlimited. */
  bandwidthMBps: number | null;
  /** A lower limit during these local hours ("HH:MM"; `to` before `from` spans midnight). */
  window: { from: string; to: string; bandwidthMBps: number } | null;
}

function minutesOf(hhmm: string): number {
  const m = /^([01]\d|2[0-3]):([0-5]\d)$/.exec(hhmm);
  if (!m) throw new LifelineError('validation', `"${hhmm}" is not a time of day HH:MM`, { field: 'window' });
  return Number(m[1]) * 60 + Number(m[2]);
}

/** The limit in bytes per second at local time `at`, or null for none. */
export function rateAt(s: BandwidthSettings, at: Date): number | null {
  let mbps = s.bandwidthMBps;
  if (s.window) {
    const from = minutesOf(s.window.from);
    const to = minutesOf(s.window.to);
    const now = at.getHours() * 60 + at.getMinutes();
    const inside = from <= to ? now >= from && now < to : now >= from || now < to;
    if (inside) mbps = mbps === null ? s.window.bandwidthMBps : Math.min(mbps, s.window.bandwidthMBps);
  }
  if (mbps === null) return null;
  if (!Number.isFinite(mbps) || mbps <= 0) throw new LifelineError('validation', `a bandwidth limit must be a positive number of MB/s, not ${String(mbps)}`, { field: 'bandwidthMBps' });
  return mbps * 1_000_000;
}

export interface LimiterClock {
  now(): number;
  sleep(ms: number, signal: AbortSignal): Promise<void>;
}

const realClock: LimiterClock = {
  now: () => Date.now(),
  sleep: (ms, signal) =>
    new Promise<void>((resolve, reject) => {
      signal.throwIfAborted();
      const t = setTimeout(() => {
        signal.removeEventListener('abort', onAbort);
        resolve();
      }, ms);
      const onAbort = () => {
        clearTimeout(t);
        reject(signal.reason as Error);
      };
      signal.addEventListener('abort', onAbort, { once: true });
    }),
};

/**
 * Paces the bytes of one link, shared by every replication to that peer. Each take reserves the
 * next slot of the link's time (bytes / rate) and resolves when that slot ends, so that over any
 * stretch of a run the bytes sent stay within the limit plus one chunk; an idle link builds up no
 * credit beyond that.
 */
export class BandwidthLimiter {
  private next = 0;

  constructor(
    private readonly settings: () => BandwidthSettings,
    private readonly clock: LimiterClock = realClock,
  ) {}

  async take(bytes: number, signal: AbortSignal): Promise<void> {
    const now = this.clock.now();
    const rate = rateAt(this.settings(), new Date(now));
    if (rate === null) return;
    const start = Math.max(now, this.next);
    this.next = start + (bytes / rate) * 1000;
    const wait = this.next - now;
    if (wait > 0) await this.clock.sleep(wait, signal);
  }
}

/** A receiver whose offers and chunks wait for the limiter first. */
export function throttled(inner: ReplicaReceiver, limiter: BandwidthLimiter): ReplicaReceiver {
  return {
    offer: async (offer: PointOffer, signal: AbortSignal): Promise<OfferAnswer> => {
      await limiter.take(offer.manifest.byteLength + offer.indexes.reduce((n, i) => n + i.bytes.byteLength, 0), signal);
      return inner.offer(offer, signal);
    },
    putChunk: async (session: string, hex: string, stored: Uint8Array, signal: AbortSignal): Promise<void> => {
      await limiter.take(stored.byteLength, signal);
      await inner.putChunk(session, hex, stored, signal);
    },
    commit: (session: string, signal: AbortSignal): Promise<CommittedReplica> => inner.commit(session, signal),
  };
}

export interface RetryingOptions {
  signal: AbortSignal;
  /** Consecutive failed attempts that made no progress before giving up (default 6). */
  maxFailures?: number;
  /** Backoff before the first retry, doubled for each further one (default 500 ms, at most 30 s). */
  baseDelayMs?: number;
  maxDelayMs?: number;
  concurrency?: number;
  random?: () => number;
  clock?: LimiterClock;
  onChunk?: (hex: string, storedBytes: number) => void;
  onRetry?: (err: unknown, failures: number, delayMs: number) => void;
}

export interface RetryingReport extends ReplicationReport {
  /** Attempts made, the first included. */
  attempts: number;
}

/**
 * replicatePoint until it succeeds: a transient fault (a cut link, the DR site restarting or busy)
 * is followed by a backoff and a new offer. An attempt that got chunks acknowledged resets the
 * count of failures; `maxFailures` in a row without progress give up with the last error.
 */
export async function replicateWithRetry(source: Repository, pointId: string, receiver: ReplicaReceiver, opts: RetryingOptions): Promise<RetryingReport> {
  const clock = opts.clock ?? realClock;
  const random = opts.random ?? Math.random;
  const maxFailures = opts.maxFailures ?? 6;
  const base = opts.baseDelayMs ?? 500;
  const cap = opts.maxDelayMs ?? 30_000;
  let chunksSent = 0;
  let bytesSent = 0;
  let chunks = 0;
  let failures = 0;
  // Progress is what the DR site holds, not what this side heard back: an acknowledgement lost
  // with the link still leaves the chunk at the DR site, and the next offer lacks it.
  let lacking = Infinity;
  let progressed = false;
  const watching: ReplicaReceiver = {
    offer: async (offer, signal) => {
      const answer = await receiver.offer(offer, signal);
      const now = answer.kind === 'send' ? answer.missing.length : 0;
      if (now < lacking) {
        if (lacking !== Infinity) progressed = true;
        lacking = now;
      }
      return answer;
    },
    putChunk: (session, hex, stored, signal) => receiver.putChunk(session, hex, stored, signal),
    commit: (session, signal) => receiver.commit(session, signal),
  };
  for (let attempt = 1; ; attempt++) {
    progressed = false;
    try {
      const r = await replicatePoint(source, pointId, watching, {
        signal: opts.signal,
        ...(opts.concurrency !== undefined ? { concurrency: opts.concurrency } : {}),
        onChunk: (hex, n) => {
          progressed = true;
          chunksSent++;
          bytesSent += n;
          opts.onChunk?.(hex, n);
        },
      });
      chunks = Math.max(chunks, r.chunks);
      return { ...r, chunks, chunksSent, bytesSent, present: r.present && chunksSent === 0, attempts: attempt };
    } catch (err) {
      if (opts.signal.aborted || !isTransientError(err)) throw err;
      // The offer that starts the next attempt tells whether this one moved anything across.
      failures = progressed ? 1 : failures + 1;
      if (failures >= maxFailures) throw err;
      const exp = Math.min(cap, base * 2 ** (failures - 1));
      const delay = Math.round(exp / 2 + random() * (exp / 2));
      opts.onRetry?.(err, failures, delay);
      await clock.sleep(delay, opts.signal);
    }
  }
}
