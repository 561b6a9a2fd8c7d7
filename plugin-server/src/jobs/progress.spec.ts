import { ProgressMeter } from './progress.js';

describe('ProgressMeter', () => {
  it('measures the rate over the recent window, so the ETA follows a slowdown', () => {
    const m = new ProgressMeter(10_000);
    m.update(0, 0, 1000_000);
    for (let t = 1000; t <= 20_000; t += 1000) m.update(t, t * 10, 1000_000); // 10 kB/s
    let p = m.update(20_000, 200_000, 1000_000);
    expect(p.rateBytesPerSecond).toBe(10_000);
    expect(p.etaSeconds).toBe(80);
    for (let t = 21_000; t <= 40_000; t += 1000) p = m.update(t, 200_000 + (t - 20_000), 1000_000); // 1 kB/s
    expect(p.rateBytesPerSecond).toBe(1000);
    expect(p.etaSeconds).toBe(780);
  });

  it('has no rate or ETA until it can measure one, and no ETA without a total', () => {
    const m = new ProgressMeter();
    expect(m.update(0, 0, null)).toEqual({ bytesDone: 0, bytesTotal: null, rateBytesPerSecond: null, etaSeconds: null });
    expect(m.update(1000, 500, null).etaSeconds).toBeNull();
  });

  it('starts over when progress goes backwards (a new attempt)', () => {
    const m = new ProgressMeter();
    m.update(0, 0, 100);
    m.update(1000, 90, 100);
    const p = m.update(2000, 0, 100);
    expect(p.rateBytesPerSecond).toBeNull();
  });
});
