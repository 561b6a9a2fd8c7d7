import { assessRpo } from './rpo-compliance.js';

describe('assessRpo', () => {
  const now = Date.UTC(2025, 0, 6, 12, 0, 0);
  const base = { rpoSeconds: 300, assignedAt: now - 86_400_000, expectedDurationSeconds: 60, running: null };
  const ago = (s: number) => now - s * 1000;

  it('is compliant while a new point can still come in time', () => {
    expect(assessRpo(now, { ...base, lastGoodPointAt: ago(100) })).toEqual({ status: 'compliant', ageSeconds: 100, rpoSeconds: 300, exceededBySeconds: 0 });
  });

  it('is at risk when a backup started now would end past the RPO', () => {
    expect(assessRpo(now, { ...base, lastGoodPointAt: ago(250) }).status).toBe('at-risk');
  });

  it('judges a running backup by its ETA', () => {
    expect(assessRpo(now, { ...base, lastGoodPointAt: ago(250), running: { etaSeconds: 30 } }).status).toBe('compliant');
    expect(assessRpo(now, { ...base, lastGoodPointAt: ago(250), running: { etaSeconds: 80 } }).status).toBe('at-risk');
  });

  it('is violated past the RPO, saying by how much', () => {
    expect(assessRpo(now, { ...base, lastGoodPointAt: ago(420) })).toEqual({ status: 'violated', ageSeconds: 420, rpoSeconds: 300, exceededBySeconds: 120 });
  });

  it('counts a VM without any point from when it was protected', () => {
    expect(assessRpo(now, { ...base, lastGoodPointAt: null, assignedAt: ago(100) }).status).toBe('at-risk');
    const late = assessRpo(now, { ...base, lastGoodPointAt: null, assignedAt: ago(400) });
    expect(late).toEqual({ status: 'violated', ageSeconds: null, rpoSeconds: 300, exceededBySeconds: 100 });
  });
});
