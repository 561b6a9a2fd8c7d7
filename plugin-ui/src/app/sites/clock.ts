import { InjectionToken } from '@angular/core';

/**
 * The time as views that count down read it: now, and a tick every second while something counts.
 * It comes in as a dependency so that specs set the time instead of waiting for it.
 */
export interface Clock {
  now(): number;
  /** Calls `tick` every second until the returned function is called. */
  everySecond(tick: () => void): () => void;
}

export const CLOCK = new InjectionToken<Clock>('Lifeline clock', {
  providedIn: 'root',
  factory: () => ({
    now: () => Date.now(),
    everySecond: (tick) => {
      const id = setInterval(tick, 1000);
      return () => clearInterval(id);
    },
  }),
});
