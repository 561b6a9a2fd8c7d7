import Database from 'better-sqlite3';
import { LifelineError } from '../errors/index.js';
import { createJobRunner, sleep, type JobRunner } from '../jobs/index.js';
import { ManualClock } from '../jobs/testing.js';
import { silentLogger } from '../log/index.js';
import type { PolicySpec } from './policy.js';
import { SqlitePolicyStore } from './policy-store.js';
import { BACKUP_JOB_KIND, ProtectionScheduler, estimateDuration, type BackupJobParams, type RpoChange } from './scheduler-driver.js';
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
    const startedAt = runner.list({ kind: BACKUP_JOB_KIND, limit: 2 }).items.map((j) => j.startedAt);
    expect(startedAt).toEqual([new Date(T0 + 60_000).toISOString(), new Date(T0 + 60_000).toISOString()]);
  });
});

describe('estimateDuration', () => {
  it('is the longest run plus the spread per gap, and at least the default with few samples', () => {
    expect(estimateDuration([], 120)).toBeNull();
    expect(estimateDuration([30], 120)).toBe(120);
    const ten = [40, 42, 44, 46, 48, 50, 52, 54, 56, 58];
    expect(estimateDuration(ten, 120)).toBe(60);
    expect(estimateDuration(Array(10).fill(50), 120)).toBe(50);
  });
});
