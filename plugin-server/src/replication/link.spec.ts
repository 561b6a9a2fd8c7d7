import { BandwidthLimiter, rateAt, type LimiterClock } from './link.js';

const at = (h: number, m = 0) => new Date(2026, 5, 1, h, m, 0);

describe('the replication link\'s bandwidth limit', () => {
  it('applies the lower limit inside its daily window, also one that spans midnight', () => {
    const day = { bandwidthMBps: 50, window: { from: '08:00', to: '18:00', bandwidthMBps: 10 } };
    expect(rateAt(day, at(7, 59))).toBe(50e6);
    expect(rateAt(day, at(8, 0))).toBe(10e6);
    expect(rateAt(day, at(17, 59))).toBe(10e6);
    expect(rateAt(day, at(18, 0))).toBe(50e6);
    const night = { bandwidthMBps: null, window: { from: '22:00', to: '06:00', bandwidthMBps: 5 } };
    expect(rateAt(night, at(23, 30))).toBe(5e6);
    expect(rateAt(night, at(2, 0))).toBe(5e6);
    expect(rateAt(night, at(12, 0))).toBeNull();
    // A window never raises the limit.
    expect(rateAt({ bandwidthMBps: 5, window: { from: '00:00', to: '23:59', bandwidthMBps: 50 } }, at(12))).toBe(5e6);
  });

  it('refuses a limit that is not a positive number and a time that is not HH:MM', () => {
    expect(() => rateAt({ bandwidthMBps: 0, window: null }, at(1))).toThrowMatching((e: { code?: string }) => e.code === 'validation');
    expect(() => rateAt({ bandwidthMBps: 5, window: { from: '8:00', to: '18:00', bandwidthMBps: 1 } }, at(1))).toThrowMatching((e: { code?: string }) => e.code === 'validation');
  });

  it('paces concurrent takers so that the bytes over the link\'s time match the limit, with no credit from idle time', async () => {
    let t = at(12).getTime();
    const clock: LimiterClock = { now: () => t, sleep: (ms) => Promise.resolve(void (t = Math.max(t, t + ms))) };
    const limiter = new BandwidthLimiter(() => ({ bandwidthMBps: 10, window: null }), clock);
    const start = t;
    await Promise.all(Array.from({ length: 20 }, () => limiter.take(1e6, new AbortController().signal)));
    expect(t - start).toBe(2000);
    // An idle hour later, the next megabyte still takes its 100 ms.
    t += 3_600_000;
    const later = t;
    await limiter.take(1e6, new AbortController().signal);
    expect(t - later).toBe(100);
  });
});
