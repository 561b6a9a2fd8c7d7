import Database from 'better-sqlite3';
import { LifelineError } from '../errors/index.js';
import { SqliteJobStore } from '../jobs/index.js';
import { ManualClock } from '../jobs/testing.js';
import type { PolicySpec } from './policy.js';
import { SqlitePolicyStore } from './policy-store.js';

const T0 = Date.UTC(2025, 0, 6, 12, 0, 0);
const spec = (over: Partial<PolicySpec> = {}): PolicySpec => ({
  name: 'Gold',
  rpoSeconds: 300,
  retention: { keepLast: 24, hourly: 0, daily: 7, weekly: 0, monthly: 0, yearly: 0 },
  immutabilityDays: 7,
  consistency: 'application',
  onQuiesceFailure: 'fail',
  excludedDisks: [],
  windows: [],
  replicationSite: null,
  hookSet: null,
  ...over,
});
const vm = { vcenterGuid: 'vc-1', moref: 'vm-58' };
const codeOf = (fn: () => unknown): string => {
  try {
    fn();
  } catch (e) {
    return e instanceof LifelineError ? e.code : 'not-a-lifeline-error';
  }
  return 'none';
};

describe('SqlitePolicyStore', () => {
  let db: Database.Database;
  let clock: ManualClock;
  let store: SqlitePolicyStore;
  beforeEach(() => {
    db = new Database(':memory:');
    clock = new ManualClock(T0);
    store = new SqlitePolicyStore(db, { clock });
  });
  afterEach(() => db.close());

  it('creates, reads, updates and lists policies', async () => {
    const p = store.createPolicy(spec({ excludedDisks: [{ label: 'Hard disk 2' }] }));
    expect(p.name).toBe('Gold');
    expect(p.createdAt).toBe(new Date(T0).toISOString());
    expect(store.getPolicy(p.id)).toEqual(p);
    await clock.advance(1000);
    const u = store.updatePolicy(p.id, spec({ name: 'Gold 2', rpoSeconds: 600 }));
    expect(u.rpoSeconds).toBe(600);
    expect(u.updatedAt).toBe(new Date(T0 + 1000).toISOString());
    expect(u.createdAt).toBe(p.createdAt);
    store.createPolicy(spec({ name: 'bronze' }));
    expect(store.listPolicies().map((x) => x.name)).toEqual(['bronze', 'Gold 2']);
  });

  it('keeps the hook set a policy names, and reads policies saved before hook sets existed as having none', () => {
    const p = store.createPolicy(spec({ hookSet: 'postgres' }));
    expect(store.getPolicy(p.id).hookSet).toBe('postgres');
    expect(store.updatePolicy(p.id, spec({ hookSet: null })).hookSet).toBeNull();
    // A row written by a version without hook sets: its spec has no hookSet at all.
    const { hookSet: _h, name: _n, ...older } = spec();
    db.prepare('UPDATE protection_policy SET spec = ? WHERE id = ?').run(JSON.stringify(older), p.id);
    expect(store.getPolicy(p.id).hookSet).toBeNull();
    expect(store.listPolicies()[0]?.hookSet).toBeNull();
  });

  it('saves nothing for an invalid policy', () => {
    expect(codeOf(() => store.createPolicy(spec({ rpoSeconds: 10 })))).toBe('validation');
    expect(store.listPolicies()).toEqual([]);
    const p = store.createPolicy(spec());
    expect(codeOf(() => store.updatePolicy(p.id, spec({ retention: { keepLast: 0, hourly: 0, daily: 0, weekly: 0, monthly: 0, yearly: 0 } })))).toBe('validation');
    expect(store.getPolicy(p.id)).toEqual(p);
  });

  it('keeps names unique regardless of case', () => {
    const gold = store.createPolicy(spec());
    const silver = store.createPolicy(spec({ name: 'Silver' }));
    expect(codeOf(() => store.createPolicy(spec({ name: 'GOLD' })))).toBe('policy-name-taken');
    expect(codeOf(() => store.updatePolicy(silver.id, spec({ name: 'gold' })))).toBe('policy-name-taken');
    expect(store.updatePolicy(gold.id, spec({ name: 'GOLD' })).name).toBe('GOLD');
    expect(store.listPolicies().length).toBe(2);
  });

  it('assigns, moves, pauses, resumes and unassigns a VM', async () => {
    const gold = store.createPolicy(spec());
    const silver = store.createPolicy(spec({ name: 'Silver' }));
    const a = store.assign(vm, gold.id);
    expect(a).toEqual({ vm, policyId: gold.id, assignedAt: new Date(T0).toISOString(), paused: false, pauseReason: null, pausedAt: null, rpoStatus: null, rpoStatusAt: null });
    await clock.advance(5000);
    const moved = store.assign(vm, silver.id);
    expect(moved.policyId).toBe(silver.id);
    expect(moved.assignedAt).toBe(a.assignedAt);
    const paused = store.pause(vm, 'temporary-revert');
    expect(paused.paused).toBeTrue();
    expect(paused.pauseReason).toBe('temporary-revert');
    expect(store.resume(vm).paused).toBeFalse();
    store.setRpoStatus(vm, 'at-risk', T0 + 6000);
    expect(store.getProtection(vm)?.rpoStatus).toBe('at-risk');
    expect(store.listProtections({ policyId: silver.id }).length).toBe(1);
    expect(store.listProtections({ policyId: gold.id }).length).toBe(0);
    expect(store.unassign(vm)).toBeTrue();
    expect(store.unassign(vm)).toBeFalse();
    expect(store.getProtection(vm)).toBeUndefined();
  });

  it('refuses to delete a policy in use, to assign an unknown policy, or to pause an unprotected VM', () => {
    const gold = store.createPolicy(spec());
    store.assign(vm, gold.id);
    expect(codeOf(() => store.deletePolicy(gold.id))).toBe('policy-in-use');
    expect(codeOf(() => store.assign({ vcenterGuid: 'vc-1', moref: 'vm-1' }, 'nope'))).toBe('not-found');
    expect(codeOf(() => store.pause({ vcenterGuid: 'vc-1', moref: 'vm-1' }, 'temporary-revert'))).toBe('not-found');
    expect(codeOf(() => store.assign({ vcenterGuid: '', moref: 'vm-1' }, gold.id))).toBe('validation');
    store.unassign(vm);
    store.deletePolicy(gold.id);
    expect(codeOf(() => store.getPolicy(gold.id))).toBe('not-found');
  });

  it('shares the catalog database with the job store, each under its own table prefix', () => {
    new SqliteJobStore(db);
    new SqlitePolicyStore(db, { clock }); // reopening migrates nothing twice
    const tables = (db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name").all() as { name: string }[]).map((r) => r.name);
    expect(tables).toEqual(['component_schema', 'jobs_event_seq', 'jobs_job', 'jobs_log', 'protection_policy', 'protection_vm']);
  });
});
