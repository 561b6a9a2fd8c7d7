/**
 * Bounded concurrency: every fan-out in the repository (chunk writes, lock extensions, verify
 * reads) goes through these, so no operation starts more work than its limit however large the
 * disk or the repository is.
 */
import { setMaxListeners } from 'node:events';
import { LifelineError } from '../errors/index.js';

export function throwIfAborted(signal: AbortSignal): void {
  if (signal.aborted) throw abortError(signal);
}

export function abortError(signal: AbortSignal): Error {
  const r: unknown = signal.reason;
  return r instanceof Error ? r : new LifelineError('aborted', typeof r === 'string' ? r : 'operation aborted');
}

/**
 * Runs `fn` over the items with at most `limit` calls in flight. The first failure aborts the
 * remaining work (items not yet started are skipped) and is rethrown once in-flight calls settle,
 * so no work outlives the call.
 */
export async function forEachBounded<T>(
  items: Iterable<T> | AsyncIterable<T>,
  limit: number,
  signal: AbortSignal,
  fn: (item: T, signal: AbortSignal) => Promise<void>,
): Promise<void> {
  const inner = linkedController(signal, limit);
  const onAbort = () => inner.abort(signal.reason);
  if (signal.aborted) throw abortError(signal);
  signal.addEventListener('abort', onAbort, { once: true });
  const running = new Set<Promise<void>>();
  let failure: { err: unknown } | undefined;
  try {
    for await (const item of items) {
      if (failure || inner.signal.aborted) break;
      const p: Promise<void> = fn(item, inner.signal).then(
        () => { running.delete(p); },
        (err: unknown) => {
          running.delete(p);
          if (!failure) failure = { err };
          inner.abort(err);
        },
      );
      running.add(p);
      if (running.size >= limit) await Promise.race(running);
    }
    await Promise.all(running);
  } finally {
    signal.removeEventListener('abort', onAbort);
  }
  if (failure) throw failure.err;
  if (signal.aborted) throw abortError(signal);
}

/**
 * A controller for the work inside one bounded fan-out; each piece of work in flight may listen
 * on its signal, so the listener limit is raised to what the fan-out allows.
 */
export function linkedController(_parent: AbortSignal, inFlight: number): AbortController {
  const c = new AbortController();
  setMaxListeners(Math.max(10, inFlight * 4), c.signal);
  return c;
}

/** A counting semaphore for callers that cannot be expressed as one loop (several producers). */
export class Semaphore {
  private available: number;
  private readonly waiters: Array<() => void> = [];

  constructor(limit: number) {
    this.available = limit;
  }

  async acquire(signal: AbortSignal): Promise<void> {
    throwIfAborted(signal);
    if (this.available > 0) {
      this.available--;
      return;
    }
    await new Promise<void>((resolve, reject) => {
      const wake = () => {
        signal.removeEventListener('abort', onAbort);
        resolve();
      };
      const onAbort = () => {
        const i = this.waiters.indexOf(wake);
        if (i >= 0) this.waiters.splice(i, 1);
        reject(abortError(signal));
      };
      this.waiters.push(wake);
      signal.addEventListener('abort', onAbort, { once: true });
    });
  }

  release(): void {
    const next = this.waiters.shift();
    if (next) next();
    else this.available++;
  }
}
