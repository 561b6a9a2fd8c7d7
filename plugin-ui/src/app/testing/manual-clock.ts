import type { Clock } from '../sites/clock';

/** A clock for specs: time stands still until the spec moves it, and each move ticks whoever counts. */
export class ManualClock implements Clock {
  private readonly ticks = new Set<() => void>();

  constructor(private time: number) {}

  now(): number {
    return this.time;
  }

  everySecond(tick: () => void): () => void {
    this.ticks.add(tick);
    return () => this.ticks.delete(tick);
  }

  /** Moves the time on by whole seconds, ticking once per second as the browser's timer would. */
  advance(seconds: number): void {
    for (let i = 0; i < seconds; i++) {
      this.time += 1000;
      this.ticks.forEach((tick) => tick());
    }
  }

  /** How many are counting now. */
  get counting(): number {
    return this.ticks.size;
  }
}
