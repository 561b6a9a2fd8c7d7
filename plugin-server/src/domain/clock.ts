/**
 * Time and chance enter Lifeline only through these, so that tests and simulations can run an
 * hour of schedules in milliseconds, retention and grace periods can be tested without waiting,
 * and no decision depends on when the code happens to run. A part that only reads the time asks
 * for a `TimeSource`; a part that also waits asks for the whole `Clock`. Randomness (retry
 * jitter, schedule spread, ids, nonces) comes in the same way, as `Random` or `RandomBytes`.
 */
import { randomBytes } from 'node:crypto';

export interface Timer {
  cancel(): void;
}

export interface Clock {
  /** Milliseconds since the Unix epoch. */
  now(): number;
  /** Calls `fn` once, `delayMs` from now; a negative delay means "as soon as possible". */
  setTimer(delayMs: number, fn: () => void): Timer;
}

/** The part of a Clock that reads the time. */
export type TimeSource = Pick<Clock, 'now'>;

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

/** A number in [0, 1), like Math.random. */
export type Random = () => number;

export const systemRandom: Random = () => Math.random();

/** `n` random bytes; tests pass a seeded source to get reproducible samples and ids. */
export type RandomBytes = (n: number) => Uint8Array;

/** Cryptographically strong random bytes. */
export const systemRandomBytes: RandomBytes = (n) => randomBytes(n);
