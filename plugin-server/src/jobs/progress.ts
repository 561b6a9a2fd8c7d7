/**
 * Rate and ETA of a job's byte progress. The rate is measured over a sliding window rather than
 * since the start, so an ETA follows a transfer that speeds up or stalls instead of averaging it
 * away; samples are thinned so a job reporting every chunk costs constant memory.
 */
import type { JobProgress } from './job.js';

export class ProgressMeter {
  private samples: { at: number; bytes: number }[] = [];
  private lastRate: number | null = null;

  constructor(private readonly windowMs = 30_000, private readonly maxSamples = 32) {}

  update(now: number, bytesDone: number, bytesTotal: number | null): JobProgress {
    const last = this.samples[this.samples.length - 1];
    if (last && bytesDone < last.bytes) {
      // Progress went backwards: a new attempt started over. Old samples would give a negative rate.
      this.samples = [];
      this.lastRate = null;
    }
    const newest = this.samples[this.samples.length - 1];
    if (!newest || now - newest.at >= this.windowMs / this.maxSamples) this.samples.push({ at: now, bytes: bytesDone });
    else newest.bytes = bytesDone;
    // Keep one sample at or before the window's start so the window is always fully covered.
    while (this.samples.length > 2 && (this.samples[1]?.at ?? now) <= now - this.windowMs) this.samples.shift();

    const first = this.samples[0];
    if (first && now - first.at > 0) this.lastRate = ((bytesDone - first.bytes) * 1000) / (now - first.at);
    const rate = this.lastRate;
    const eta = bytesTotal !== null && rate !== null && rate > 0 ? Math.max(0, (bytesTotal - bytesDone) / rate) : null;
    return {
      bytesDone,
      bytesTotal,
      rateBytesPerSecond: rate === null ? null : Math.round(rate),
      etaSeconds: eta === null ? null : Math.round(eta),
    };
  }
}
