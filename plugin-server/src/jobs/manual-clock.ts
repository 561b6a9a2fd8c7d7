/**
 * A Clock that moves only when told to, for tests and simulations. `advance()` fires timers in time
 * order and lets the promise chains they start settle before moving on, so code that reacts to a
 * timer (a job finishing, the runner dispatching the next one) sees the same instant a real clock
 * would have shown it.
 */
import type { Clock, Timer } from '../domain/index.js';

interface Pending {
  at: number;
  order: number;
  fn: () => void;
  cancelled: boolean;
}

export class ManualClock implements Clock {
  private current: number;
  private order = 0;
  private timers: Pending[] = [];

  constructor(startMs: number) {
    this.current = startMs;
  }

  now(): number {
    return this.current;
  }

  setTimer(delayMs: number, fn: () => void): Timer {
    // Whole milliseconds, as the wall clock gives them; a fractional delay is rounded up, never early.
    const t: Pending = { at: this.current + Math.max(0, Math.ceil(delayMs)), order: this.order++, fn, cancelled: false };
    this.timers.push(t);
    return { cancel: () => { t.cancelled = true; } };
  }

  /** Timers still waiting to fire. */
  pendingTimers(): number {
    return this.timers.filter((t) => !t.cancelled).length;
  }

  /** Moves time forward by `ms`, firing every timer that falls due on the way. */
  async advance(ms: number): Promise<void> {
    await this.advanceTo(this.current + ms);
  }

  async advanceTo(targetMs: number): Promise<void> {
    await settle();
    for (;;) {
      const next = this.nextDue(targetMs);
      if (!next) break;
      this.current = Math.max(this.current, next.at);
      next.cancelled = true;
      next.fn();
      await settle();
    }
    this.current = Math.max(this.current, targetMs);
    this.timers = this.timers.filter((t) => !t.cancelled);
    await settle();
  }

  private nextDue(limit: number): Pending | undefined {
    let best: Pending | undefined;
    for (const t of this.timers) {
      if (t.cancelled || t.at > limit) continue;
      if (!best || t.at < best.at || (t.at === best.at && t.order < best.order)) best = t;
    }
    if (this.timers.length > 1024) this.timers = this.timers.filter((t) => !t.cancelled);
    return best;
  }
}

/**
 * Lets every promise chain that is ready to run do so. A macrotask turn runs only after the
 * microtask queue is empty, so a few turns cover chains that hop through setImmediate as well.
 */
export async function settle(turns = 3): Promise<void> {
  for (let i = 0; i < turns; i++) await new Promise<void>((resolve) => setImmediate(resolve));
}
