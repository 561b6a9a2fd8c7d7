import { dueAgeSeconds, failureCoolDownSeconds, planBackups, stableFraction, type PlanOptions, type ScheduleCandidate } from './scheduler-planner.js';

const NOW = Date.UTC(2025, 0, 6, 12, 0, 0); // a Monday
const NO_JITTER: PlanOptions = { safetyMarginSeconds: 30, defaultExpectedDurationSeconds: 120, jitterFraction: 0 };

function vm(n: number, over: Partial<ScheduleCandidate> = {}): ScheduleCandidate {
  return {
    vm: { vcenterGuid: 'vc-1', moref: `vm-${n}` },
    policy: { id: 'gold', rpoSeconds: 300, windows: [] },
    lastGoodPointAt: NOW - 60_000,
    assignedAt: NOW - 86_400_000,
    busy: false,
    paused: false,
    expectedDurationSeconds: 60,
    ...over,
  };
}
const agoS = (s: number) => NOW - s * 1000;
const started = (plan: { start: { vm: { moref: string } }[] }) => plan.start.map((b) => b.vm.moref);

describe('planBackups', () => {
  it('starts a VM once its point is older than the RPO minus its expected duration and margin', () => {
    // RPO 300 s, 60 s expected + 30 s margin: due at 210 s.
    const plan = planBackups(NOW, [vm(1, { lastGoodPointAt: agoS(209) }), vm(2, { lastGoodPointAt: agoS(210) })], NO_JITTER);
    expect(started(plan)).toEqual(['vm-2']);
    expect(plan.skipped).toEqual([{ vm: { vcenterGuid: 'vc-1', moref: 'vm-1' }, reason: 'not-due' }]);
    expect(plan.nextDueAt).toBe(NOW + 1000);
  });

  it('never leads by more than half the RPO, and starts a VM without any point at once', () => {
    expect(dueAgeSeconds(vm(1, { expectedDurationSeconds: 600 }), NO_JITTER)).toBe(150);
    expect(dueAgeSeconds(vm(1, { expectedDurationSeconds: null }), NO_JITTER)).toBe(150);
    expect(started(planBackups(NOW, [vm(1, { lastGoodPointAt: null })], NO_JITTER))).toEqual(['vm-1']);
  });

  it('skips busy and paused VMs however overdue', () => {
    const plan = planBackups(NOW, [vm(1, { busy: true, lastGoodPointAt: agoS(9999) }), vm(2, { paused: true, lastGoodPointAt: agoS(9999) })], NO_JITTER);
    expect(plan.start).toEqual([]);
    expect(plan.skipped.map((s) => s.reason)).toEqual(['busy', 'paused']);
  });

  it('starts scheduled backups only inside the policy\'s windows', () => {
    const policy = { id: 'night', rpoSeconds: 3600, windows: [{ days: ['mon' as const], start: '22:00', end: '06:00' }] };
    const overdue = vm(1, { policy, lastGoodPointAt: agoS(7200) });
    expect(planBackups(NOW, [overdue], NO_JITTER).skipped[0]?.reason).toBe('outside-window');
    expect(started(planBackups(Date.UTC(2025, 0, 6, 23, 0), [overdue], NO_JITTER))).toEqual(['vm-1']);
  });

  it('after downtime queues every due VM, most overdue first, for the job runner to start as slots free', () => {
    const vms = [vm(1, { lastGoodPointAt: agoS(4000) }), vm(2, { lastGoodPointAt: agoS(9000) }), vm(3, { lastGoodPointAt: agoS(8000) }), vm(4, { lastGoodPointAt: agoS(100) })];
    const plan = planBackups(NOW, vms, NO_JITTER);
    expect(started(plan)).toEqual(['vm-2', 'vm-3', 'vm-1']);
    expect(plan.start.map((b) => b.deadline)).toEqual([agoS(9000 - 300), agoS(8000 - 300), agoS(4000 - 300)]);
  });

  it('holds a VM back for a cool-down after its backup failed, so a failing VM cannot take every slot', () => {
    const cool = failureCoolDownSeconds(300);
    expect(cool).toBe(75);
    expect(failureCoolDownSeconds(60)).toBe(15);
    expect(failureCoolDownSeconds(86_400)).toBe(900);
    const failing = vm(1, { lastGoodPointAt: agoS(9000), lastFailureAt: agoS(10) });
    const plan = planBackups(NOW, [failing, vm(2, { lastGoodPointAt: agoS(400) })], NO_JITTER);
    expect(started(plan)).toEqual(['vm-2']);
    expect(plan.skipped).toEqual([{ vm: failing.vm, reason: 'cooling-down' }]);
    expect(plan.nextDueAt).toBe(agoS(10) + cool * 1000);
    expect(started(planBackups(NOW + (cool - 10) * 1000, [failing], NO_JITTER))).toEqual(['vm-1']);
    // A failure older than the newest point does not count.
    expect(started(planBackups(NOW, [vm(3, { lastGoodPointAt: agoS(400), lastFailureAt: agoS(500) })], NO_JITTER))).toEqual(['vm-3']);
  });

  it('orders by RPO deadline, so a VM with a short RPO goes before an older point with a long one', () => {
    const plan = planBackups(
      NOW,
      [vm(1, { lastGoodPointAt: agoS(86_350), policy: { id: 'daily', rpoSeconds: 86_400, windows: [] } }), vm(2, { lastGoodPointAt: agoS(300) })],
      NO_JITTER,
    );
    expect(started(plan)).toEqual(['vm-2', 'vm-1']);
  });

  it('spreads due points by a stable per-VM jitter', () => {
    const opts: PlanOptions = { ...NO_JITTER, jitterFraction: 0.2 };
    const ages = Array.from({ length: 50 }, (_, i) => dueAgeSeconds(vm(i), opts));
    expect(Math.min(...ages)).toBeGreaterThanOrEqual(210 * 0.8);
    expect(Math.max(...ages)).toBeLessThanOrEqual(210);
    expect(new Set(ages.map((a) => Math.round(a))).size).toBeGreaterThan(25);
    expect(dueAgeSeconds(vm(7), opts)).toBe(dueAgeSeconds(vm(7), opts));
    expect(stableFraction('a')).not.toBe(stableFraction('b'));
  });
});
