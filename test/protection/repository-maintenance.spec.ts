// Repository maintenance as the server runs it: a 'maintenance' job on the real job runner, over a
// real repository and the real policy store, applying each protected VM's retention, collecting
// garbage and verifying.
import Database from 'better-sqlite3';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { createJobRunner, type JobRecord, type JobRunner } from '../../plugin-server/src/jobs/index.js';
import { ManualClock } from '../../plugin-server/src/jobs/testing.js';
import { systemClock, vmKey, type VmRef } from '../../plugin-server/src/domain/index.js';
import { silentLogger } from '../../plugin-server/src/log/index.js';
import { SqlitePolicyStore } from '../../plugin-server/src/protection/index.js';
import {
  createMaintenanceJobHandler,
  MAINTENANCE_JOB_KIND,
  MAINTENANCE_TARGET,
  nextDailyRun,
  startMaintenanceSchedule,
  type MaintenanceParams,
  type MaintenanceResult,
} from '../../plugin-server/src/protection/repository-maintenance.js';
import { DAY_MS, initRepository, Repository } from '../../plugin-server/src/store/repository.js';
import { digestHex } from '../../plugin-server/src/store/chunks/digest.js';
import { ingestImage, MiB, never, patchFile, restoredSha, TestClock, tempDir, writeImage } from '../store/store-fixtures.js';

const GUARDED: VmRef = { vcenterGuid: 'vc-1', moref: 'vm-1' };
const UNPROTECTED: VmRef = { vcenterGuid: 'vc-1', moref: 'vm-2' };

async function settled(runner: JobRunner, id: string): Promise<JobRecord> {
  for (let i = 0; i < 600; i++) {
    const job = runner.get(id);
    if (job.state === 'succeeded' || job.state === 'failed' || job.state === 'cancelled') return job;
    await sleep(25);
  }
  throw new Error(`job ${id} did not finish`);
}

describe('repository maintenance job', () => {
  let dir: { path: string; remove: () => Promise<void> };
  let clock: TestClock;
  let repo: Repository;
  let db: Database.Database;
  let runner: JobRunner;
  let policies: SqlitePolicyStore;
  let busy: Set<string>;
  /** What the maintenance asks for the points being read; `busy` unless a spec says otherwise. */
  let busyPoints: () => ReadonlySet<string>;

  beforeEach(async () => {
    dir = await tempDir('maintenance');
    // Near the real time: GC compares its cutoff with the files' own change times.
    clock = new TestClock();
    await initRepository(join(dir.path, 'repo'), { encrypt: false, clock }, never);
    repo = await Repository.open(join(dir.path, 'repo'), { clock }, never);
    db = new Database(join(dir.path, 'state.db'));
    runner = createJobRunner(db, { clock: systemClock, random: Math.random, log: silentLogger, limits: { global: 2 } });
    policies = new SqlitePolicyStore(db, { clock: systemClock });
    busy = new Set();
    busyPoints = () => busy;
    runner.register(MAINTENANCE_JOB_KIND, createMaintenanceJobHandler({ repository: repo, policies, busyPoints: () => busyPoints() }));
    await runner.start();
    const policy = policies.createPolicy({
      name: 'Keep two',
      rpoSeconds: 3600,
      retention: { keepLast: 2, hourly: 0, daily: 0, weekly: 0, monthly: 0, yearly: 0 },
      immutabilityDays: 1,
      consistency: 'crash',
      onQuiesceFailure: 'fail',
      excludedDisks: [],
      windows: [],
      replicationSite: null,
      hookSet: null,
    });
    policies.assign(GUARDED, policy.id);
  });
  afterEach(async () => {
    await runner.stop();
    db.close();
    await repo.close();
    await dir.remove();
  });

  /** Points of a VM an hour apart, each with 4 MiB of its own, retained one day. */
  async function backups(vm: VmRef, n: number, seed: number): Promise<Array<{ id: string; sha: string }>> {
    const out = [];
    for (let i = 0; i < n; i++) {
      const file = join(dir.path, `${vm.moref}-${i}.img`);
      const sha = await writeImage(file, 8 * MiB, (b) => ({ kind: 'random', seed: b < 4 ? 1 : seed + i * 10 + b }));
      out.push({ id: (await ingestImage(repo, vmKey(vm), file, { retainDays: 1 })).point.id, sha });
      await rm(file);
      clock.advance(3_600_000);
    }
    return out;
  }

  async function run(params: MaintenanceParams): Promise<JobRecord> {
    const { job } = runner.submit({ kind: MAINTENANCE_JOB_KIND, target: MAINTENANCE_TARGET, params });
    return settled(runner, job.id);
  }

  it("applies each protected VM's keep rules once retention has passed, collects the freed chunks and verifies what is left", async () => {
    const mine = await backups(GUARDED, 4, 100);
    const theirs = await backups(UNPROTECTED, 2, 200);

    // Within retain-until nothing goes, whatever the rules say.
    const early = await run({ trigger: 'manual', steps: ['retention'] });
    expect(early.state).toBe('succeeded');
    expect((early.result as MaintenanceResult).retention).toEqual({ vms: 1, removed: [], protectedPoints: 2 });
    expect(repo.listPoints({ vmId: vmKey(GUARDED) }).length).toBe(4);

    clock.advance(3 * DAY_MS);
    const job = await run({ trigger: 'manual', verifyPercent: 100 });
    expect(job.state).withContext(JSON.stringify(job.error)).toBe('succeeded');
    const result = job.result as MaintenanceResult;
    expect(result.retention?.removed.sort()).toEqual([mine[0]?.id ?? '', mine[1]?.id ?? ''].sort());
    // Each removed point had 4 MiB (one chunk) of its own; the shared first chunk stays.
    expect(result.gc?.swept).toBe(2);
    expect(result.verify).toEqual({ percent: 100, chunksChecked: 5, damagedPoints: [], healedPoints: [] });
    expect(repo.listPoints({ vmId: vmKey(GUARDED) }).map((p) => p.id).sort()).toEqual([mine[2]?.id ?? '', mine[3]?.id ?? ''].sort());
    // A VM no policy protects keeps every point.
    expect(repo.listPoints({ vmId: vmKey(UNPROTECTED) }).length).toBe(2);
    for (const p of [mine[2], mine[3], theirs[0], theirs[1]]) expect(await restoredSha(repo, p?.id ?? '', join(dir.path, 'out.img'))).toBe(p?.sha ?? '');
    const log = runner.readLog(job.id).map((l) => l.message).join('\n');
    expect(log).toContain(`vm-1 (policy Keep two): removed 2 (`);
    expect(log).toContain('garbage collection: removed 2 chunks');
  });

  it('leaves alone a VM whose restore point is being read', async () => {
    const mine = await backups(GUARDED, 4, 300);
    clock.advance(3 * DAY_MS);
    busy.add(mine[0]?.id ?? '');
    const job = await run({ trigger: 'manual', steps: ['retention', 'gc'] });
    expect(job.state).toBe('succeeded');
    expect((job.result as MaintenanceResult).retention?.removed).toEqual([]);
    expect(repo.listPoints({ vmId: vmKey(GUARDED) }).length).toBe(4);
    expect(runner.readLog(job.id).map((l) => l.message).join('\n')).toContain(`restore point ${mine[0]?.id} is being read`);
  });

  it('leaves alone a restore point a restore starts reading while the run goes on', async () => {
    const first = await backups(GUARDED, 4, 500);
    clock.advance(3 * DAY_MS);
    // A restore of the VM's oldest point starts once the run has begun (after its first look).
    let looks = 0;
    busyPoints = () => (++looks > 1 ? new Set([first[0]?.id ?? '']) : new Set<string>());
    const job = await run({ trigger: 'manual', steps: ['retention', 'gc'] });
    expect(job.state).toBe('succeeded');
    expect(looks).toBeGreaterThan(1);
    expect(repo.listPoints({ vmId: vmKey(GUARDED) }).map((p) => p.id)).toContain(first[0]?.id ?? 'x');
    expect(await restoredSha(repo, first[0]?.id ?? '', join(dir.path, 'out.img'))).toBe(first[0]?.sha ?? '');
  });

  it('fails naming the damaged restore points when verification finds damage', async () => {
    const mine = await backups(GUARDED, 1, 400);
    const index = await repo.openIndex(mine[0]?.id ?? '', 0, never);
    const hex = digestHex(index.digest(1));
    await patchFile(join(repo.dir, 'chunks', hex.slice(0, 2), hex), 100, Buffer.from('rot'));
    const job = await run({ trigger: 'manual', steps: ['verify'], verifyPercent: 100 });
    expect(job.state).toBe('failed');
    expect(job.error?.code).toBe('repository-damaged');
    expect(job.error?.message).toContain(mine[0]?.id ?? 'x');
    // What the run found is kept as the failed job's result, every damaged point with it.
    expect((job.result as MaintenanceResult | null)?.verify?.damagedPoints).toEqual([mine[0]?.id ?? 'x']);
    expect(repo.getPoint(mine[0]?.id ?? '').damaged).toBe(true);
  });

  it('refuses parameters it does not know, naming the field', async () => {
    const job = await run({ trigger: 'manual', steps: ['defragment' as 'gc'] });
    expect(job.state).toBe('failed');
    expect(job.error?.message).toContain('maintenance steps must be some of retention, gc, verify');
  });
});

describe('repository maintenance schedule', () => {
  it('submits a run after the first delay and then every interval, never two at once', async () => {
    const dir = await tempDir('maintenance-schedule');
    const db = new Database(join(dir.path, 'state.db'));
    const clock = new ManualClock(Date.UTC(2026, 5, 1));
    const runner = createJobRunner(db, { clock, random: Math.random, log: silentLogger, limits: { global: 1 } });
    let release = (): void => undefined;
    runner.register(MAINTENANCE_JOB_KIND, { run: () => new Promise<string>((resolve) => (release = () => resolve('done'))) });
    await runner.start();
    const schedule = startMaintenanceSchedule({ runner, clock, log: silentLogger, firstDelayMs: 60_000, intervalMs: 3_600_000 });
    try {
      const count = () => runner.list({ kind: MAINTENANCE_JOB_KIND }).items.length;
      await clock.advance(59_000);
      expect(count()).toBe(0);
      await clock.advance(1_000);
      expect(count()).toBe(1);
      // Still running an hour later: the same job, not a second one.
      await clock.advance(3_600_000);
      expect(count()).toBe(1);
      release();
      await sleep(50);
      await clock.advance(3_600_000);
      expect(count()).toBe(2);
    } finally {
      schedule.stop();
      release();
      await runner.stop();
      db.close();
      await dir.remove();
    }
  });
  it('runs daily at the configured time of day, server local time', async () => {
    const dir = await tempDir('maintenance-daily');
    const db = new Database(join(dir.path, 'state.db'));
    const start = new Date(2026, 5, 1, 10, 15).getTime(); // local 10:15
    const clock = new ManualClock(start);
    const runner = createJobRunner(db, { clock, random: Math.random, log: silentLogger, limits: { global: 1 } });
    runner.register(MAINTENANCE_JOB_KIND, { run: () => Promise.resolve('done') });
    await runner.start();
    const schedule = startMaintenanceSchedule({ runner, clock, log: silentLogger, at: { hour: 3, minute: 30 }, verifyPercent: 7 });
    try {
      const jobs = () => runner.list({ kind: MAINTENANCE_JOB_KIND }).items;
      const firstRun = new Date(2026, 5, 2, 3, 30).getTime();
      expect(schedule.nextRunAt()).toBe(firstRun);
      await clock.advance(firstRun - start - 1);
      expect(jobs().length).toBe(0);
      await clock.advance(1);
      expect(jobs().length).toBe(1);
      expect((jobs()[0]?.params as MaintenanceParams).verifyPercent).toBe(7);
      expect(schedule.nextRunAt()).toBe(new Date(2026, 5, 3, 3, 30).getTime());
      await sleep(50);
      await clock.advance(schedule.nextRunAt() - clock.now());
      expect(jobs().length).toBe(2);
    } finally {
      schedule.stop();
      await runner.stop();
      db.close();
      await dir.remove();
    }
  });

  it('keeps the time of day across daylight-saving changes', () => {
    const tz = process.env['TZ'];
    process.env['TZ'] = 'Europe/Berlin';
    try {
      // Clocks go forward on 29 March 2026 and back on 25 October 2026.
      const runs = [Date.UTC(2026, 2, 27, 12)];
      for (let i = 0; i < 3; i++) runs.push(nextDailyRun(runs[runs.length - 1] ?? 0, { hour: 3, minute: 0 }));
      expect(runs.slice(1).map((t) => new Date(t).toISOString())).toEqual(['2026-03-28T02:00:00.000Z', '2026-03-29T01:00:00.000Z', '2026-03-30T01:00:00.000Z']);
      const autumn = [Date.UTC(2026, 9, 24, 12)];
      for (let i = 0; i < 2; i++) autumn.push(nextDailyRun(autumn[autumn.length - 1] ?? 0, { hour: 3, minute: 0 }));
      expect(autumn.slice(1).map((t) => new Date(t).toISOString())).toEqual(['2026-10-25T02:00:00.000Z', '2026-10-26T02:00:00.000Z']);
      // A time the spring change skips runs at the first valid time after it, once.
      expect(new Date(nextDailyRun(Date.UTC(2026, 2, 28, 12), { hour: 2, minute: 30 })).toISOString()).toBe('2026-03-29T01:30:00.000Z');
    } finally {
      if (tz === undefined) delete process.env['TZ'];
      else process.env['TZ'] = tz;
    }
  });
});
