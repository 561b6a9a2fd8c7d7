/**
 * Live job events with sequence numbers, for the API's server-sent events. Every event gets a
 * number higher than any given before, also across restarts (numbers are reserved in the catalog
 * in blocks), so a client reconnecting with Last-Event-ID either gets exactly what it missed from
 * the recent-events buffer or, when that is no longer possible (buffer overrun, server restarted),
 * a `snapshot` of the job (per-job stream) or a `resync` (global stream) telling it to reload.
 */
import type { Clock } from '../domain/index.js';
import type { JobLogLine, JobProgress, JobRecord } from './job.js';

export type JobEventBody =
  | { type: 'state'; job: JobRecord }
  | { type: 'phase'; phase: string }
  | { type: 'progress'; progress: JobProgress }
  | { type: 'log'; line: JobLogLine };

export type JobEvent =
  | ({ seq: number; at: string; jobId: string } & JobEventBody)
  | { seq: number; at: string; jobId: string; type: 'snapshot'; job: JobRecord }
  | { seq: number; at: string; jobId: null; type: 'resync' };

export type JobEventListener = (event: JobEvent) => void;

export interface SubscribeOptions {
  /** The last sequence number the client saw (Last-Event-ID); events after it are replayed first. */
  after?: number;
  /** Ends the subscription, e.g. when the SSE connection closes. */
  signal?: AbortSignal;
}

export type Unsubscribe = () => void;

export interface JobEventHubOptions {
  clock: Clock;
  /** Reserves `count` numbers beyond all earlier ones, persistently; returns the first. */
  reserveSeqs: (count: number) => number;
  /** Recent events kept for replay. */
  capacity: number;
  onListenerError: (err: unknown) => void;
}

const SEQ_BLOCK = 1000;

export class JobEventHub {
  private readonly ring: (JobEvent | undefined)[];
  private ringStart = 0;
  private ringSize = 0;
  private nextSeq: number;
  private reservedEnd: number;
  /** Every event with seq ≥ horizon is still in the ring. */
  private horizon: number;
  private readonly listeners = new Set<{ jobId: string | null; fn: JobEventListener }>();

  constructor(private readonly opts: JobEventHubOptions) {
    this.ring = new Array<JobEvent | undefined>(Math.max(1, opts.capacity));
    this.nextSeq = opts.reserveSeqs(SEQ_BLOCK);
    this.reservedEnd = this.nextSeq + SEQ_BLOCK;
    this.horizon = this.nextSeq;
  }

  /** The highest number given out so far (or just below the first this process will give). */
  lastSeq(): number {
    return this.nextSeq - 1;
  }

  publish(jobId: string, body: JobEventBody): JobEvent {
    const event = { seq: this.allocate(), at: new Date(this.opts.clock.now()).toISOString(), jobId, ...body } as JobEvent;
    this.remember(event);
    for (const l of [...this.listeners]) {
      if (l.jobId === null || l.jobId === jobId) this.deliver(l.fn, event);
    }
    return event;
  }

  /** All jobs' events. With `after`, replays what was missed, or sends `resync` when it cannot. */
  subscribe(listener: JobEventListener, opts: SubscribeOptions = {}): Unsubscribe {
    if (opts.after !== undefined) {
      if (this.canReplayAfter(opts.after)) {
        for (const e of this.buffered(opts.after, null)) this.deliver(listener, e);
      } else {
        this.deliver(listener, { seq: this.lastSeq(), at: this.nowIso(), jobId: null, type: 'resync' });
      }
    }
    return this.add(null, listener, opts.signal);
  }

  /**
   * One job's events. A new client (no `after`) or one whose gap cannot be filled first gets a
   * `snapshot` with the whole record, so it never has to merge a stream into a stale view.
   */
  subscribeJob(job: JobRecord, listener: JobEventListener, opts: SubscribeOptions = {}): Unsubscribe {
    if (opts.after !== undefined && this.canReplayAfter(opts.after)) {
      for (const e of this.buffered(opts.after, job.id)) this.deliver(listener, e);
    } else {
      this.deliver(listener, { seq: this.lastSeq(), at: this.nowIso(), jobId: job.id, type: 'snapshot', job });
    }
    return this.add(job.id, listener, opts.signal);
  }

  private canReplayAfter(after: number): boolean {
    return Number.isInteger(after) && after + 1 >= this.horizon && after <= this.lastSeq();
  }

  private buffered(after: number, jobId: string | null): JobEvent[] {
    const out: JobEvent[] = [];
    for (let i = 0; i < this.ringSize; i++) {
      const e = this.ring[(this.ringStart + i) % this.ring.length];
      if (e && e.seq > after && (jobId === null || e.jobId === jobId)) out.push(e);
    }
    return out;
  }

  private add(jobId: string | null, fn: JobEventListener, signal?: AbortSignal): Unsubscribe {
    const entry = { jobId, fn };
    const off = () => {
      this.listeners.delete(entry);
      signal?.removeEventListener('abort', off);
    };
    if (signal?.aborted) return off;
    this.listeners.add(entry);
    signal?.addEventListener('abort', off, { once: true });
    return off;
  }

  private remember(e: JobEvent): void {
    if (this.ringSize < this.ring.length) {
      this.ring[(this.ringStart + this.ringSize) % this.ring.length] = e;
      this.ringSize++;
      return;
    }
    this.ring[this.ringStart] = e;
    this.ringStart = (this.ringStart + 1) % this.ring.length;
    this.horizon = this.ring[this.ringStart]?.seq ?? e.seq;
  }

  private allocate(): number {
    if (this.nextSeq >= this.reservedEnd) {
      const first = this.opts.reserveSeqs(SEQ_BLOCK);
      // Reserved blocks never overlap, so a jump only leaves unused numbers, never reuses one.
      this.nextSeq = Math.max(this.nextSeq, first);
      this.reservedEnd = first + SEQ_BLOCK;
    }
    return this.nextSeq++;
  }

  private deliver(fn: JobEventListener, e: JobEvent): void {
    try {
      fn(e);
    } catch (err) {
      this.opts.onListenerError(err);
    }
  }

  private nowIso(): string {
    return new Date(this.opts.clock.now()).toISOString();
  }
}
