import { dueAgeSeconds, planBackups, stableFraction, type PlanCapacity, type PlanOptions, type ScheduleCandidate } from './scheduler-planner.js';

const NOW = Date.UTC(2025, 0, 6, 12, 0, 0); // a Monday
const NO_JITTER: PlanOptions = { safetyMarginSeconds: 30, defaultExpectedDurationSeconds: 120, jitterFraction: 0 };
const free: PlanCapacity = { globalLimit: 100, datastoreLimit: undefined, activeGlobal: 0, activePerDatastore: new Map() };

function vm(n: number, over: Partial<ScheduleCandidate> = {}): ScheduleCandidate {
  return {
    vm: { vcenterGuid: 'vc-1', moref: `vm-${n}` },
    policy: { id: 'gold', rpoSeconds: 300, windows: [] },
    lastGoodPointAt: NOW - 60_000,
    assignedAt: NOW - 86_400_000,
    busy: false,
    paused: false,
    datastores: ['ds-1'],
    expectedDurationSeconds: 60,
    ...over,
  };
}
const agoS = (s: number) => NOW - s * 1000;
const started = (plan: { start: { vm: { moref: string } }[] }) => plan.start.map((b) => b.vm.moref);

describe('planBackups', () => {
  it('starts a VM once its point is older than the RPO minus its expected duration and margin', () => {
    // RPO 300 s, 60 s expected + 30 s margin: due at 210 s.
    const plan = planBackups(NOW, [vm(1, { lastGoodPointAt: agoS(209) }), vm(2, { lastGoodPointAt: agoS(210) })], free, NO_JITTER);
    expect(started(plan)).toEqual(['vm-2']);
    expect(plan.skipped).toEqual([{ vm: { vcenterGuid: 'vc-1', moref: 'vm-1' }, reason: 'not-due' }]);
    expect(plan.nextDueAt).toBe(NOW + 1000);
  });

  it('never leads by more than half the RPO, and starts a VM without any point at once', () => {
    expect(dueAgeSeconds(vm(1, { expectedDurationSeconds: 600 }), NO_JITTER)).toBe(150);
    expect(dueAgeSeconds(vm(1, { expectedDurationSeconds: null }), NO_JITTER)).toBe(150);
    expect(started(planBackups(NOW, [vm(1, { lastGoodPointAt: null })], free, NO_JITTER))).toEqual(['vm-1']);
  });

  it('skips busy and paused VMs however overdue', () => {
    const plan = planBackups(NOW, [vm(1, { busy: true, lastGoodPointAt: agoS(9999) }), vm(2, { paused: true, lastGoodPointAt: agoS(9999) })], free, NO_JITTER);
    expect(plan.start).toEqual([]);
    expect(plan.skipped.map((s) => s.reason)).toEqual(['busy', 'paused']);
  });

  it('starts scheduled backups only inside the policy\'s windows', () => {
    const policy = { id: 'night', rpoSeconds: 3600, windows: [{ days: ['mon' as const], start: '22:00', end: '06:00' }] };
    const overdue = vm(1, { policy, lastGoodPointAt: agoS(7200) });
    expect(planBackups(NOW, [overdue], free, NO_JITTER).skipped[0]?.reason).toBe('outside-window');
    expect(started(planBackups(Date.UTC(2025, 0, 6, 23, 0), [overdue], free, NO_JITTER))).toEqual(['vm-1']);
  });

  it('after downtime starts only what the global and per-datastore limits allow, most overdue first', () => {
    const vms = [
      vm(1, { lastGoodPointAt: agoS(4000), datastores: ['ds-1'] }),
      vm(2, { lastGoodPointAt: agoS(9000), datastores: ['ds-1'] }),
      vm(3, { lastGoodPointAt: agoS(8000), datastores: ['ds-1'] }),
      vm(4, { lastGoodPointAt: agoS(7000), datastores: ['ds-2'] }),
      vm(5, { lastGoodPointAt: agoS(3000), datastores: ['ds-3'] }),
      vm(6, { lastGoodPointAt: agoS(2000), datastores: ['ds-3'] }),
    ];
    const capacity: PlanCapacity = { globalLimit: 4, datastoreLimit: 2, activeGlobal: 0, activePerDatastore: new Map() };
    const plan = planBackups(NOW, vms, capacity, NO_JITTER);
    // ds-1 takes its two most overdue (vm-2, vm-3); vm-1 waits for ds-1 but does not block vm-4 and vm-5.
    expect(started(plan)).toEqual(['vm-2', 'vm-3', 'vm-4', 'vm-5']);
    expect(plan.skipped.map((s) => `${s.vm.moref}:${s.reason}`)).toEqual(['vm-1:datastore-limit', 'vm-6:global-limit']);
  });

  it('counts jobs already running against the limits, and a VM on two datastores against both', () => {
    const capacity: PlanCapacity = { globalLimit: 3, datastoreLimit: 1, activeGlobal: 1, activePerDatastore: new Map([['ds-1', 1]]) };
    const plan = planBackups(NOW, [vm(1, { lastGoodPointAt: agoS(900), datastores: ['ds-2', 'ds-1'] }), vm(2, { lastGoodPointAt: agoS(800), datastores: ['ds-2'] }), vm(3, { lastGoodPointAt: agoS(700), datastores: ['ds-3'] })], capacity, NO_JITTER);
    expect(started(plan)).toEqual(['vm-2', 'vm-3']);
  });

  it('orders by RPO deadline, so a VM with a short RPO goes before an older point with a long one', () => {
    const plan = planBackups(
      NOW,
      [vm(1, { lastGoodPointAt: agoS(3000), policy: { id: 'daily', rpoSeconds: 86_400, windows: [] } }), vm(2, { lastGoodPointAt: agoS(300) })],
      { ...free, globalLimit: 1 },
      NO_JITTER,
    );
    expect(plan.start.length).toBe(1);
    expect(started(plan)).toEqual(['vm-2']);
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
