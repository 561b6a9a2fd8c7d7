import { assessFeasibility, type FeasibilityVm } from './feasibility.js';

const vm = (n: number, over: Partial<FeasibilityVm> = {}): FeasibilityVm => ({
  key: `vc-1:vm-${n}`,
  policyId: 'p',
  rpoSeconds: 60,
  durationSeconds: 10,
  datastores: ['ds-1'],
  host: 'host-1',
  ...over,
});
const many = (n: number, over: Partial<FeasibilityVm> = {}) => Array.from({ length: n }, (_, i) => vm(i, over));

describe('assessFeasibility', () => {
  it('finds a policy feasible while its VMs need fewer slots than the limits give', () => {
    // Each VM keeps 10 / (60 − 10) = 0.2 of a slot busy: 10 VMs need 2 slots.
    const r = assessFeasibility(many(10), { global: 4, perDatastore: 2, perHost: 4 });
    expect(r.policies.get('p')).toEqual({ policyId: 'p', feasible: true, bestRpoSeconds: 20, vmsInfeasible: 0, vmsUnmeasured: 0, reason: null });
    expect(r.vms.get('vc-1:vm-3')).toEqual({ key: 'vc-1:vm-3', feasible: true, bestRpoSeconds: 20, reason: null });
  });

  it('warns when the slots cannot keep up, with the best RPO the VMs can get', () => {
    // 20 VMs need 4 slots; the datastore gives 2: intervals stretch twofold, 10 + 2 × 50 = 110 s.
    const r = assessFeasibility(many(20), { global: 8, perDatastore: 2, perHost: 8 });
    expect(r.policies.get('p')).toEqual({ policyId: 'p', feasible: false, bestRpoSeconds: 110, vmsInfeasible: 20, vmsUnmeasured: 0, reason: 'slots' });
    // Spread over two datastores (and no longer bound by them), the same VMs fit.
    const spread = assessFeasibility(many(20).map((v, i) => ({ ...v, datastores: [`ds-${i % 2}`] })), { global: 8, perDatastore: 2, perHost: 8 });
    expect(spread.policies.get('p')?.feasible).toBeTrue();
    // The per-host limit binds the same way.
    expect(assessFeasibility(many(20), { global: 8, perDatastore: 8, perHost: 2 }).policies.get('p')?.reason).toBe('slots');
  });

  it('says when a VM alone is too slow for the RPO, and leaves unmeasured VMs unjudged', () => {
    const r = assessFeasibility([vm(1, { durationSeconds: 40 }), vm(2, { durationSeconds: null }), vm(3, { policyId: 'q', durationSeconds: null })], { global: 4, perDatastore: undefined, perHost: undefined });
    expect(r.vms.get('vc-1:vm-1')).toEqual({ key: 'vc-1:vm-1', feasible: false, bestRpoSeconds: 80, reason: 'backup-too-slow' });
    expect(r.policies.get('p')).toEqual({ policyId: 'p', feasible: false, bestRpoSeconds: 80, vmsInfeasible: 1, vmsUnmeasured: 1, reason: 'backup-too-slow' });
    expect(r.policies.get('q')).toEqual({ policyId: 'q', feasible: null, bestRpoSeconds: null, vmsInfeasible: 0, vmsUnmeasured: 1, reason: null });
  });
});
