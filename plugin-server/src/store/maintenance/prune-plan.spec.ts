import { planPrune, periodOf, type PrunePoint } from './prune-plan.js';

const H = 3_600_000;
const D = 24 * H;
const T0 = Date.UTC(2025, 0, 1, 0, 0, 0); // a Wednesday

function pts(vmId: string, times: number[], retainUntil = 0): PrunePoint[] {
  return times.map((t, i) => ({ id: `${vmId}-${String(i).padStart(3, '0')}`, vmId, createdAt: t, retainUntil }));
}

function kept(plan: ReturnType<typeof planPrune>): string[] {
  return plan.filter((d) => d.mark === 'keep').map((d) => d.id).sort();
}

describe('prune planning', () => {
  it('refuses to plan without a keep rule', () => {
    expect(() => planPrune([], {}, T0)).toThrowError(/at least one keep rule/);
    expect(() => planPrune([], { last: 0 }, T0)).toThrowError(/at least one keep rule/);
    expect(() => planPrune([], { daily: -1 }, T0)).toThrowError(/whole number/);
  });

  it('keeps the N newest with keep-last', () => {
    const plan = planPrune(pts('vm', [T0, T0 + H, T0 + 2 * H, T0 + 3 * H]), { last: 2 }, T0 + 10 * D);
    expect(kept(plan)).toEqual(['vm-002', 'vm-003']);
    expect(plan.find((d) => d.id === 'vm-003')?.reasons).toEqual(['last 1']);
  });

  it('keeps the newest point of each of the last N days that have one', () => {
    // Three points a day for five days; day 3 has none.
    const times: number[] = [];
    for (const day of [0, 1, 2, 4, 5]) for (const h of [1, 9, 17]) times.push(T0 + day * D + h * H);
    const plan = planPrune(pts('vm', times), { daily: 3 }, T0 + 30 * D);
    // Newest of day 5, day 4 and day 2 (day 3 is empty and does not count).
    expect(kept(plan)).toEqual(['vm-008', 'vm-011', 'vm-014']);
  });

  it('counts every rule on its own, as restic does', () => {
    const plan = planPrune(pts('vm', [T0 + 1 * H, T0 + 2 * H, T0 + D + H]), { last: 1, daily: 2 }, T0 + 30 * D);
    expect(kept(plan)).toEqual(['vm-001', 'vm-002']);
    expect(plan.find((d) => d.id === 'vm-002')?.reasons).toEqual(['last 1', 'daily 1']);
    expect(plan.find((d) => d.id === 'vm-001')?.reasons).toEqual(['daily 2']);
  });

  it('uses hourly, ISO-weekly, monthly and yearly periods', () => {
    expect(periodOf('hourly', T0 + 90 * 60_000)).toBe('2025-01-01T01');
    expect(periodOf('weekly', Date.UTC(2024, 11, 30))).toBe('2025-W01'); // Monday of ISO week 1 of 2025
    expect(periodOf('weekly', Date.UTC(2025, 0, 5, 23))).toBe('2025-W01'); // its Sunday
    expect(periodOf('weekly', Date.UTC(2025, 0, 6))).toBe('2025-W02');
    expect(periodOf('weekly', Date.UTC(2021, 0, 3))).toBe('2020-W53');
    expect(periodOf('monthly', T0 + 40 * D)).toBe('2025-02');
    expect(periodOf('yearly', T0 - 1)).toBe('2024');
    const weekly = planPrune(pts('vm', [Date.UTC(2025, 0, 6, 10), Date.UTC(2025, 0, 8, 10), Date.UTC(2025, 0, 13, 10)]), { weekly: 5 }, T0 + 99 * D);
    expect(kept(weekly)).toEqual(['vm-001', 'vm-002']);
    const monthly = planPrune(pts('vm', [T0, T0 + 20 * D, T0 + 40 * D, T0 + 370 * D]), { monthly: 2, yearly: 2 }, T0 + 999 * D);
    // The newest of 2025 is also the newest of February, so both rules keep the same two points.
    expect(kept(monthly)).toEqual(['vm-002', 'vm-003']);
  });

  it('plans each VM on its own', () => {
    const plan = planPrune([...pts('a', [T0, T0 + H]), ...pts('b', [T0 + 2 * H, T0 + 3 * H])], { last: 1 }, T0 + 10 * D);
    expect(kept(plan)).toEqual(['a-001', 'b-001']);
  });

  it('never removes a point before its retain-until or one a backup builds on', () => {
    const locked = pts('vm', [T0, T0 + H, T0 + 2 * H], T0 + 7 * D);
    const plan = planPrune([...locked, { id: 'vm-base', vmId: 'vm', createdAt: T0 - D, retainUntil: 0, inUse: true }, { id: 'vm-old', vmId: 'vm', createdAt: T0 - 2 * D, retainUntil: 0 }], { last: 1 }, T0 + D);
    const byId = new Map(plan.map((d) => [d.id, d]));
    expect(byId.get('vm-002')?.mark).toBe('keep');
    expect(byId.get('vm-001')?.mark).toBe('protected');
    expect(byId.get('vm-001')?.reasons[0]).toContain('retained until');
    expect(byId.get('vm-base')?.mark).toBe('protected');
    expect(byId.get('vm-old')?.mark).toBe('remove');
    // Once the lock has passed the same points may go.
    const later = planPrune(locked, { last: 1 }, T0 + 8 * D);
    expect(later.filter((d) => d.mark === 'remove').length).toBe(2);
  });
});
