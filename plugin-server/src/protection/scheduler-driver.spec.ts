import Database from 'better-sqlite3';
import { LifelineError } from '../errors/index.js';
import { createJobRunner, sleep, type JobRunner } from '../jobs/index.js';
import { ManualClock } from '../jobs/testing.js';
import { createLogger, silentLogger } from '../log/index.js';
import type { PolicySpec } from './policy.js';
import { SqlitePolicyStore } from './policy-store.js';
import { BACKUP_JOB_KIND, ProtectionScheduler, estimateDuration, planningDuration, type BackupJobParams, type RpoChange } from './scheduler-driver.js';
import type { ConcurrencyLimits } from '../jobs/index.js';
import { vmKey, type VmRef } from '../domain/index.js';

const T0 = Date.UTC(2025, 0, 6, 12, 0, 0);
const spec: PolicySpec = {
  name: 'Gold',
  rpoSeconds: 600,
  retention: { keepLast: 10, hourly: 0, daily: 0, weekly: 0, monthly: 0, yearly: 0 },
  immutabilityDays: 7,
  consistency: 'application',
  onQuiesceFailure: 'fail',
  excludedDisks: [],
  windows: [],
  replicationSite: null,
  hookSet: null,
};
const vm = (n: number): VmRef => ({ vcenterGuid: 'vc-1', moref: `vm-${n}` });

describe('ProtectionScheduler', () => {
  let db: Database.Database;
  let clock: ManualClock;
  let runner: JobRunner;
  let policies: SqlitePolicyStore;
  let points: Map<string, number | null>;
  let scheduler: ProtectionScheduler;
  let ran: BackupJobParams[];

  function make(): ProtectionScheduler {
    return new ProtectionScheduler({
      runner,
      policies,
      clock,
      log: silentLogger,
      limits: { global: 4, perKeyClass: { datastore: 2 } },
      points: { lastGoodPoints: async (vms) => new Map(vms.map((v) => [vmKey(v), points.get(vmKey(v)) ?? null])) },
      placement: { datastoresOf: async (vms) => new Map(vms.map((v) => [vmKey(v), ['datastore-1']])) },
    });
  }

  beforeEach(async () => {
    db = new Database(':memory:');
    clock = new ManualClock(T0);
    runner = createJobRunner(db, { clock, random: () => 0.5, log: silentLogger, limits: { global: 4, perKeyClass: { datastore: 2 } } });
    ran = [];
    runner.register<BackupJobParams, null>(BACKUP_JOB_KIND, {
      async run(ctx) {
        ran.push(ctx.params);
        const at = ctx.clock.now();
        await sleep(ctx.clock, 60_000, ctx.signal);
        points.set(vmKey(ctx.params.vm), at);
        return { pointTime: at };
      },
    });
    await runner.start();
    policies = new SqlitePolicyStore(db, { clock });
    points = new Map();
    scheduler = make();
  });

  afterEach(async () => {
    scheduler.stop();
    void runner.stop();
    await clock.advance(60_000);
    db.close();
  });

  it('backs up due VMs within the limits and skips paused ones', async () => {
    const gold = policies.createPolicy(spec);
    for (let i = 1; i <= 4; i++) policies.assign(vm(i), gold.id);
    policies.pause(vm(4), 'temporary-revert');
    points.set(vmKey(vm(1)), T0 - 100_000); // fresh: not due
    const report = await scheduler.tick();
    // vm-2 and vm-3 have no point: due at once; the datastore limit (2) admits both.
    expect(report.started.map((j) => j.target.id).sort()).toEqual(['vm-2', 'vm-3']);
    expect(report.skipped).toEqual({ 'not-due': 1, paused: 1 });
    expect(report.started.every((j) => j.requestedBy === 'scheduler' && j.limitKeys[0] === 'datastore:datastore-1')).toBeTrue();
    // Ticking again while they run starts nothing twice.
    expect((await scheduler.tick()).started).toEqual([]);
  });

  it('backs up now on request, bypassing the RPO, but never beside another job of the VM', async () => {
    const gold = policies.createPolicy(spec);
    policies.assign(vm(1), gold.id);
    points.set(vmKey(vm(1)), T0 - 1000); // just backed up
    const signal = new AbortController().signal;
    const first = await scheduler.backupNow(vm(1), 'alice', signal);
    expect(first.created).toBeTrue();
    expect(first.job.priority).toBe(10);
    expect(first.job.requestedBy).toBe('alice');
    expect((first.job.params as BackupJobParams).trigger).toBe('manual');
    const again = await scheduler.backupNow(vm(1), 'bob', signal);
    expect(again.created).toBeFalse();
    expect(again.job.id).toBe(first.job.id);

    runner.register('restore', { run: (ctx) => sleep(ctx.clock, 60_000, ctx.signal) });
    policies.assign(vm(2), gold.id);
    runner.submit({ kind: 'restore', target: { type: 'VirtualMachine', id: 'vm-2', vcenterGuid: 'vc-1' }, params: null });
    await expectAsync(scheduler.backupNow(vm(2), 'alice', signal)).toBeRejectedWith(jasmine.objectContaining({ code: 'busy' }));
  });

  it("backs a VM up when it is due while a replication of its points runs in the replication's lane", async () => {
    // A replication to a far site may take hours: it reads a finished point and holds the VM in a
    // lane of its own, so the VM's next backup is not held back by it.
    runner.register('replication', { lane: 'replication', run: (ctx) => sleep(ctx.clock, 3_600_000, ctx.signal) });
    const gold = policies.createPolicy(spec);
    policies.assign(vm(1), gold.id);
    policies.assign(vm(2), gold.id);
    points.set(vmKey(vm(1)), T0 - 700_000); // older than the 600 s RPO: due
    points.set(vmKey(vm(2)), T0 - 700_000);
    const replication = runner.submit({ kind: 'replication', target: { type: 'VirtualMachine', id: 'vm-1', vcenterGuid: 'vc-1' }, params: null });
    expect(replication.created).toBeTrue();
    runner.register('restore', { run: (ctx) => sleep(ctx.clock, 3_600_000, ctx.signal) });
    runner.submit({ kind: 'restore', target: { type: 'VirtualMachine', id: 'vm-2', vcenterGuid: 'vc-1' }, params: null });
    const report = await scheduler.tick();
    // vm-1 is backed up beside its replication; vm-2, restored meanwhile, is busy.
    expect(report.started.map((j) => j.target.id)).toEqual(['vm-1']);
    expect(report.skipped).toEqual({ busy: 1 });
    expect(runner.find(replication.job.id)?.state).toBe('running');
  });

  it('refuses to back up now a VM that is paused or not protected', async () => {
    const gold = policies.createPolicy(spec);
    policies.assign(vm(1), gold.id);
    policies.pause(vm(1), 'temporary-revert');
    const signal = new AbortController().signal;
    await expectAsync(scheduler.backupNow(vm(1), 'alice', signal)).toBeRejectedWith(jasmine.objectContaining({ code: 'vm-paused' }));
    await expectAsync(scheduler.backupNow(vm(9), 'alice', signal)).toBeRejectedWith(jasmine.any(LifelineError));
    await expectAsync(scheduler.backupNow(vm(9), 'alice', signal)).toBeRejectedWith(jasmine.objectContaining({ code: 'not-protected' }));
  });

  it('announces RPO status changes once, and not again after a restart', async () => {
    const gold = policies.createPolicy(spec);
    policies.assign(vm(1), gold.id);
    points.set(vmKey(vm(1)), T0 - 700_000); // older than the 600 s RPO
    policies.pause(vm(1), 'temporary-revert'); // keep the scheduler from fixing it in this test
    const changes: RpoChange[] = [];
    scheduler.onRpoChange((c) => changes.push(c));
    await scheduler.tick();
    await scheduler.tick();
    expect(changes.map((c) => `${c.from}->${c.to}`)).toEqual(['null->violated']);
    expect(changes[0]?.compliance).toEqual(jasmine.objectContaining({ ageSeconds: 700, exceededBySeconds: 100, paused: true }));

    const restarted = make();
    const after: RpoChange[] = [];
    restarted.onRpoChange((c) => after.push(c));
    await restarted.tick();
    expect(after).toEqual([]);

    policies.resume(vm(1));
    await restarted.tick(); // starts the backup
    await clock.advance(60_000);
    await restarted.tick();
    expect(after.map((c) => `${c.from}->${c.to}`)).toEqual(['violated->compliant']);
    expect((await restarted.compliance(new AbortController().signal))[0]).toEqual(jasmine.objectContaining({ status: 'compliant', ageSeconds: 60 }));
  });

  it('runs on its timer, and plans again as soon as a backup ends', async () => {
    const gold = policies.createPolicy({ ...spec, rpoSeconds: 300 });
    for (let i = 1; i <= 6; i++) policies.assign(vm(i), gold.id);
    scheduler.start();
    await clock.advance(0);
    // No points yet: all due, but only two fit on the datastore.
    expect(ran.length).toBe(2);
    await clock.advance(60_000);
    // Both ended at 60 s; the next two started at once, not at the next 15-s tick.
    expect(ran.length).toBe(4);
    const startedAt = runner.list({ kind: BACKUP_JOB_KIND, states: ['running'] }).items.map((j) => j.startedAt);
    expect(startedAt).toEqual([new Date(T0 + 60_000).toISOString(), new Date(T0 + 60_000).toISOString()]);
  });
});

/**
 * The scheduler and the job runner together on a manual clock: backups "take" a chosen time on
 * that clock, so these specs see exactly when each one starts and ends.
 */
describe('ProtectionScheduler under load', () => {
  let db: Database.Database;
  let clock: ManualClock;
  let runner: JobRunner;
  let policies: SqlitePolicyStore;
  let points: Map<string, number | null>;
  let scheduler: ProtectionScheduler;
  let starts: { moref: string; at: number }[];
  let logLines: { msg: string; vm?: string; level: string }[];

  /** `durationMs(moref)`: how long its backup takes; a negative value makes it fail at once. */
  async function world(limits: ConcurrencyLimits, durationMs: (moref: string) => number, placement: (moref: string) => string = () => 'datastore-1'): Promise<void> {
    db = new Database(':memory:');
    clock = new ManualClock(T0);
    runner = createJobRunner(db, { clock, random: () => 0.5, log: silentLogger, limits });
    starts = [];
    logLines = [];
    points = new Map();
    runner.register<BackupJobParams, null>(BACKUP_JOB_KIND, {
      async run(ctx) {
        const at = ctx.clock.now();
        starts.push({ moref: ctx.params.vm.moref, at });
        const ms = durationMs(ctx.params.vm.moref);
        if (ms < 0) throw new LifelineError('vm-not-found', 'the VM is gone');
        await sleep(ctx.clock, ms, ctx.signal);
        points.set(vmKey(ctx.params.vm), at);
        return { pointTime: at };
      },
    });
    await runner.start();
    policies = new SqlitePolicyStore(db, { clock });
    const log = createLogger({ write: (line) => logLines.push(JSON.parse(line) as { msg: string; vm?: string; level: string }) });
    scheduler = new ProtectionScheduler({
      runner,
      policies,
      clock,
      log,
      limits,
      plan: { jitterFraction: 0 },
      points: { lastGoodPoints: async (vms) => new Map(vms.map((v) => [vmKey(v), points.get(vmKey(v)) ?? null])) },
      placement: { datastoresOf: async (vms) => new Map(vms.map((v) => [vmKey(v), [placement(v.moref)]])) },
    });
  }

  afterEach(async () => {
    scheduler.stop();
    void runner.stop();
    await clock.advance(600_000);
    db.close();
  });

  const queued = () => runner.count({ kind: BACKUP_JOB_KIND, states: ['queued'] });

  it('shows VMs waiting for a slot as queued jobs, and a freed slot starts the next one at once', async () => {
    await world({ global: 4, perKeyClass: { datastore: 2 } }, (m) => (m === 'vm-1' ? 7_000 : 60_000));
    const gold = policies.createPolicy({ ...spec, rpoSeconds: 3600 });
    for (let i = 1; i <= 5; i++) policies.assign(vm(i), gold.id);
    scheduler.start();
    await clock.advance(0);
    expect(starts.map((s) => s.moref)).toEqual(['vm-1', 'vm-2']);
    expect(queued()).toBe(3);
    const waiting = runner.list({ kind: BACKUP_JOB_KIND, states: ['queued'] }).items;
    expect(waiting.every((j) => j.deadline === new Date(T0 + 3_600_000).toISOString())).toBeTrue();

    await clock.advance(7_000);
    // vm-1's slot went to vm-3 the moment vm-1 ended, not at a later round.
    expect(starts[2]).toEqual({ moref: 'vm-3', at: T0 + 7_000 });
    expect(queued()).toBe(2);
  });

  it('plans from the first measured duration: a VM backed up in a second is compliant at a 60 s RPO after its first backup', async () => {
    await world({ global: 4, perKeyClass: { datastore: 2 } }, () => 1_000);
    const fast = policies.createPolicy({ ...spec, rpoSeconds: 60 });
    const fiveMinutes = policies.createPolicy({ ...spec, name: 'Five', rpoSeconds: 300 });
    policies.assign(vm(1), fast.id);
    policies.assign(vm(2), fiveMinutes.id);
    scheduler.start();
    await clock.advance(1_000);
    const c = await scheduler.compliance(new AbortController().signal);
    expect(c.map((x) => `${x.vm.moref}:${x.status}`).sort()).toEqual(['vm-1:compliant', 'vm-2:compliant']);
    // vm-2 is due at 300 − (10 + 30) = 260 s of age (its one measured second, padded while it has
    // few samples), not at 150 s as with the default of two minutes an unmeasured VM gets.
    await clock.advance(280_000);
    expect(starts.filter((s) => s.moref === 'vm-2').map((s) => s.at - T0)).toEqual([0, 260_000]);
  });

  it('starts many due VMs earliest RPO deadline first', async () => {
    await world({ global: 1 }, () => 1_000);
    const hourly = policies.createPolicy({ ...spec, name: 'Hourly', rpoSeconds: 3600 });
    const daily = policies.createPolicy({ ...spec, name: 'Daily', rpoSeconds: 86_400 });
    const deadlines = new Map<string, number>();
    for (let i = 1; i <= 40; i++) {
      const policy = i % 3 === 0 ? daily : hourly;
      policies.assign(vm(i), policy.id);
      // Ages spread so that daily and hourly deadlines interleave; every VM is due.
      const age = policy === daily ? 86_260_000 + ((i * 7919) % 130_000) : 3_460_000 + ((i * 104_729) % 130_000);
      points.set(vmKey(vm(i)), T0 - age);
      deadlines.set(`vm-${i}`, T0 - age + policy.rpoSeconds * 1000);
    }
    scheduler.start();
    await clock.advance(45_000);
    const order = starts.map((s) => s.moref);
    expect(order.length).toBe(40);
    expect(order).toEqual([...deadlines.keys()].sort((a, b) => (deadlines.get(a) ?? 0) - (deadlines.get(b) ?? 0)));
    // One slot, never idle while a VM waited: one start per second.
    expect(starts.map((s) => s.at - T0)).toEqual(Array.from({ length: 40 }, (_, i) => i * 1000));
  });

  it('lets no VM starve: a VM that always fails waits its cool-down, and the others keep their RPO', async () => {
    await world({ global: 1 }, (m) => (m === 'vm-0' ? -1 : 5_000));
    const policy = policies.createPolicy({ ...spec, rpoSeconds: 120 });
    for (let i = 0; i <= 10; i++) policies.assign(vm(i), policy.id);
    const worstAge = new Map<string, number>();
    scheduler.start();
    for (let t = 0; t < 20 * 60; t += 5) {
      await clock.advance(5_000);
      if (t < 120) continue;
      for (let i = 1; i <= 10; i++) {
        const age = clock.now() - (points.get(vmKey(vm(i))) ?? T0);
        worstAge.set(`vm-${i}`, Math.max(worstAge.get(`vm-${i}`) ?? 0, age));
      }
    }
    for (const [moref, age] of worstAge) expect(age).withContext(moref).toBeLessThanOrEqual(120_000);
    const failing = starts.filter((s) => s.moref === 'vm-0').length;
    // A cool-down of 30 s (a quarter of the RPO) after each failure: about 40 tries in 20 minutes.
    expect(failing).toBeGreaterThan(10);
    expect(failing).toBeLessThanOrEqual(41);
  });

  it('lets no VM starve: a VM with a long RPO among busy short-RPO VMs is backed up before its deadline', async () => {
    await world({ global: 1 }, () => 4_000);
    const short = policies.createPolicy({ ...spec, name: 'Short', rpoSeconds: 120 });
    const long = policies.createPolicy({ ...spec, name: 'Long', rpoSeconds: 3600 });
    for (let i = 1; i <= 12; i++) policies.assign(vm(i), short.id);
    policies.assign(vm(99), long.id);
    points.set(vmKey(vm(99)), T0 - 3_000_000);
    scheduler.start();
    await clock.advance(30 * 60_000);
    const longStarts = starts.filter((s) => s.moref === 'vm-99').map((s) => s.at);
    expect(longStarts.length).toBeGreaterThan(0);
    expect(longStarts[0]).toBeLessThanOrEqual(T0 + 600_000 - 4_000);
  });

  it('warns that a policy is infeasible when its VMs need more slots than there are, and names the best RPO they can get', async () => {
    // 30 VMs of 10 s backups at a 60 s RPO need 30 × 10 / 50 = 6 slots; two are configured.
    await world({ global: 2 }, () => 10_000);
    const tight = policies.createPolicy({ ...spec, rpoSeconds: 60 });
    for (let i = 1; i <= 30; i++) policies.assign(vm(i), tight.id);
    expect(scheduler.feasibility().policies.get(tight.id)?.feasible).toBeNull();
    scheduler.start();
    await clock.advance(5 * 60_000);
    const f = scheduler.feasibility();
    expect(f.policies.get(tight.id)).toEqual(jasmine.objectContaining({ feasible: false, vmsInfeasible: 30, vmsUnmeasured: 0, reason: 'slots' }));
    // 10 + 3 × 50 = 160 s: what the two slots allow, and what the VMs in fact get.
    expect(f.policies.get(tight.id)?.bestRpoSeconds).toBe(160);
    expect(f.vms.get(vmKey(vm(7)))?.bestRpoSeconds).toBe(160);
    const c = await scheduler.compliance(new AbortController().signal);
    expect(c.filter((x) => x.status === 'violated').length).toBeGreaterThan(0);
  });

  it('finds the same VMs feasible with slots enough, and they keep their RPO', async () => {
    await world({ global: 8 }, () => 10_000);
    const tight = policies.createPolicy({ ...spec, rpoSeconds: 60 });
    for (let i = 1; i <= 30; i++) policies.assign(vm(i), tight.id);
    const changes: RpoChange[] = [];
    scheduler.onRpoChange((c) => changes.push(c));
    scheduler.start();
    await clock.advance(5 * 60_000);
    expect(scheduler.feasibility().policies.get(tight.id)).toEqual(jasmine.objectContaining({ feasible: true, bestRpoSeconds: 20, reason: null }));
    // After the first round of backups, nobody leaves the RPO.
    expect(changes.filter((c) => c.to === 'violated' && Date.parse(c.at) > T0 + 60_000)).toEqual([]);
  });

  it('logs each compliance transition once, not on every round', async () => {
    await world({ global: 2 }, () => 1_000);
    const fast = policies.createPolicy({ ...spec, rpoSeconds: 60 });
    for (let i = 1; i <= 3; i++) policies.assign(vm(i), fast.id);
    policies.assign(vm(4), fast.id);
    points.set(vmKey(vm(4)), T0 - 700_000);
    policies.pause(vm(4), 'temporary-revert');
    const changes: RpoChange[] = [];
    scheduler.onRpoChange((c) => changes.push(c));
    scheduler.start();
    await clock.advance(10 * 60_000);
    const statusLines = logLines.filter((l) => /RPO/.test(l.msg));
    // Hundreds of rounds ran (one per finished backup); each VM changed status once or twice.
    expect(starts.length).toBeGreaterThan(50);
    expect(statusLines.length).toBe(changes.length);
    expect(changes.map((c) => `${c.vm.moref}:${c.from}->${c.to}`).sort()).toEqual([
      'vm-1:at-risk->compliant',
      'vm-1:null->at-risk',
      'vm-2:at-risk->compliant',
      'vm-2:null->at-risk',
      'vm-3:at-risk->compliant',
      'vm-3:null->at-risk',
      'vm-4:null->violated',
    ]);
    expect(statusLines.filter((l) => l.level === 'warn').map((l) => l.vm)).toEqual(['vc-1:vm-4']);
  });
});

describe('estimateDuration', () => {
  it('is the longest run plus the spread per gap, from the first sample on', () => {
    expect(estimateDuration([])).toBeNull();
    expect(estimateDuration([0.5])).toBe(0.5);
    expect(estimateDuration([30, 20])).toBe(40);
    const ten = [40, 42, 44, 46, 48, 50, 52, 54, 56, 58];
    expect(estimateDuration(ten)).toBe(60);
    expect(estimateDuration(Array(10).fill(50))).toBe(50);
  });

  it('is padded for planning while fewer than ten backups are measured', () => {
    expect(planningDuration([])).toBeNull();
    expect(planningDuration([0.5])).toBe(5);
    expect(planningDuration([30, 20])).toBe(150);
    expect(planningDuration([30, 30, 30, 30, 30])).toBe(60);
    expect(planningDuration(Array(10).fill(50))).toBe(50);
  });
});
