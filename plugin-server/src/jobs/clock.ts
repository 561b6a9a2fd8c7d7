/**
 * Waiting on a Clock (../domain/clock.ts), and the error an aborted signal stands for.
 */
import type { Clock } from '../domain/index.js';
import { LifelineError } from '../errors/index.js';

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
