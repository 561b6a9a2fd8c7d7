/**
 * Time enters the repository only through a Clock, so that retention, grace periods and the
 * clock-went-backwards guard can be tested without waiting, and so that no decision depends on
 * when the code happens to run. The jobs runner's clocks satisfy this interface.
 */
export interface Clock {
  /** Milliseconds since the Unix epoch. */
  now(): number;
}

export const systemClock: Clock = { now: () => Date.now() };

/** Random bytes; tests pass a seeded source to get reproducible samples and ids. */
export type RandomBytes = (n: number) => Uint8Array;
