/**
 * A Backend wrapper that repeats an operation which failed with 'backend-io', the one failure
 * the Backend contract (backend.ts) allows to be transient — an I/O error, a network file system
 * or object store gone for a moment. Each retry waits longer (exponential backoff with jitter,
 * as the job runner does), and a cancelled signal ends the waiting at once. Every other error is
 * permanent or lasts until someone acts ('store-full', 'retention-locked', 'backend-refused', …)
 * and is passed on untouched, as is the last 'backend-io' when the attempts run out.
 *
 * Operations are safe to repeat: put is idempotent (a second put of a key that the first one did
 * create answers { created: false } and changes nothing), get, stat, space and list only read,
 * delete and lock have the same effect twice. A listing is repeated only while it has yielded
 * nothing yet. Quarantine is not repeated: a first attempt that moved the object but failed to
 * answer would make the second move another copy, so its failure goes to the caller.
 */
import { systemClock, systemRandom, type Clock, type Random } from '../../domain/index.js';
import { backoffDelay, sleep } from '../../jobs/index.js';
import type { Logger } from '../../log/index.js';
import type { Backend, ByteRange, ListedObject, ObjectInfo, PutOptions, PutResult, SpaceInfo } from './backend.js';
import { isStoreError } from '../store-error.js';

export interface RetryingBackendOptions {
  /** Attempts in all, the first included (default 4). */
  readonly attempts?: number;
  /** Wait before the first retry, doubled for each further one (default 100 ms). */
  readonly baseDelayMs?: number;
  readonly maxDelayMs?: number;
  /** The clock the waits run on (default the wall clock). */
  readonly clock?: Clock;
  readonly random?: Random;
  readonly log?: Logger;
}

export const DEFAULT_BACKEND_ATTEMPTS = 4;

export class RetryingBackend implements Backend {
  private readonly attempts: number;
  private readonly delays: { baseDelayMs: number; maxDelayMs: number };
  private readonly clock: Clock;
  private readonly random: Random;
  /** Retries made so far, for tests and statistics. */
  retries = 0;

  constructor(
    private readonly inner: Backend,
    private readonly opts: RetryingBackendOptions = {},
  ) {
    this.attempts = Math.max(1, opts.attempts ?? DEFAULT_BACKEND_ATTEMPTS);
    this.delays = { baseDelayMs: opts.baseDelayMs ?? 100, maxDelayMs: opts.maxDelayMs ?? 2_000 };
    this.clock = opts.clock ?? systemClock;
    this.random = opts.random ?? systemRandom;
  }

  get location(): string {
    return this.inner.location;
  }

  put(key: string, data: Uint8Array | readonly Uint8Array[], options: PutOptions): Promise<PutResult> {
    return this.retry('put', key, options.signal, () => this.inner.put(key, data, options));
  }

  get(key: string, signal: AbortSignal, range?: ByteRange, into?: Uint8Array): Promise<Uint8Array> {
    return this.retry('get', key, signal, () => this.inner.get(key, signal, range, into));
  }

  stat(key: string, signal: AbortSignal): Promise<ObjectInfo | null> {
    return this.retry('stat', key, signal, () => this.inner.stat(key, signal));
  }

  async *list(prefix: string, signal: AbortSignal): AsyncIterable<ListedObject> {
    for (let attempt = 1; ; attempt++) {
      let yielded = false;
      try {
        for await (const o of this.inner.list(prefix, signal)) {
          yielded = true;
          yield o;
        }
        return;
      } catch (err) {
        if (yielded || !this.mayRetry(err, attempt)) throw err;
        await this.pause('list', prefix, err, attempt, signal);
      }
    }
  }

  delete(key: string, signal: AbortSignal): Promise<boolean> {
    return this.retry('delete', key, signal, () => this.inner.delete(key, signal));
  }

  lock(key: string, until: number, signal: AbortSignal): Promise<number> {
    return this.retry('lock', key, signal, () => this.inner.lock(key, until, signal));
  }

  quarantine(key: string, signal: AbortSignal): Promise<string> {
    return this.inner.quarantine(key, signal);
  }

  space(signal: AbortSignal): Promise<SpaceInfo | null> {
    return this.retry('space', '', signal, () => this.inner.space(signal));
  }

  private async retry<T>(op: string, key: string, signal: AbortSignal, call: () => Promise<T>): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await call();
      } catch (err) {
        if (!this.mayRetry(err, attempt) || signal.aborted) throw err;
        await this.pause(op, key, err, attempt, signal);
      }
    }
  }

  private mayRetry(err: unknown, attempt: number): boolean {
    return attempt < this.attempts && isStoreError(err, 'backend-io');
  }

  private async pause(op: string, key: string, err: unknown, attempt: number, signal: AbortSignal): Promise<void> {
    const ms = backoffDelay(attempt + 1, this.delays, this.random);
    this.retries++;
    this.opts.log?.warn('backend operation failed; retrying', { op, key, attempt, retryInMs: ms, error: err instanceof Error ? err.message : String(err) });
    await sleep(this.clock, ms, signal);
  }
}
