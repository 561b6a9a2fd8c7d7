/**
 * Time enters Lifeline's core only through a Clock, so that tests and simulations can run an hour
 * of schedules in milliseconds and so that no decision depends on when the code happens to run.
 * Randomness (retry jitter, schedule spread) comes in the same way, as a `Random` function.
 */
import { LifelineError } from '../errors/index.js';

export interface Timer {
  cancel(): void;
}

export interface Clock {
  /** Milliseconds since the Unix epoch. */
  now(): number;
  /** Calls `fn` once, `delayMs` from now; a negative delay means "as soon as possible". */
  setTimer(delayMs: number, fn: () => void): Timer;
}

/** A number in [0, 1), like Math.random. */
export type Random = () => number;

// Node's setTimeout overflows above 2^31-1 ms and then fires at once; longer delays are re-armed.
const MAX_TIMER_MS = 2_147_483_647;

/** The wall clock. Its timers do not keep the process alive: the server's listeners do that. */
export const systemClock: Clock = {
  now: () => Date.now(),
  setTimer(delayMs, fn) {
    let handle: NodeJS.Timeout;
    const due = Date.now() + Math.max(0, delayMs);
    const arm = () => {
      const left = due - Date.now();
      handle = setTimeout(left > MAX_TIMER_MS ? arm : fn, Math.min(Math.max(0, left), MAX_TIMER_MS));
      handle.unref();
    };
    arm();
    return { cancel: () => clearTimeout(handle) };
  },
};

export const systemRandom: Random = () => Math.random();

/** Waits `ms` on the given clock; rejects with the signal's reason when it is aborted first. */
export function sleep(clock: Clock, ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) {
      reject(abortReason(signal));
      return;
    }
    const onAbort = () => {
      timer.cancel();
      reject(abortReason(signal as AbortSignal));
    };
    const timer = clock.setTimer(ms, () => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    });
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/** The reason an AbortSignal carries, always as an Error so callers can classify it. */
export function abortReason(signal: AbortSignal): Error {
  const r: unknown = signal.reason;
  return r instanceof Error ? r : new LifelineError('aborted', typeof r === 'string' ? r : 'operation aborted');
}
