import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { LifelineError } from '../errors/index.js';
import { silentLogger } from '../log/index.js';
import { abortReason, sleep } from './clock.js';
import { createJobRunner } from './create-job-runner.js';
import type { JobEvent } from './job-events.js';
import type { JobContext, JobRunner, JobRunnerOptions } from './job-runner.js';
import type { JobRecord, JobTarget } from './job.js';
import { ManualClock, settle } from './testing.js';

const T0 = Date.UTC(2025, 0, 6, 12, 0, 0);
const vm = (n: number): JobTarget => ({ type: 'VirtualMachine', id: `vm-${n}`, vcenterGuid: 'vc-1' });

/** A hand-operated piece of work: it runs until the test releases or fails it, or it is aborted. */
class Gate {
  private resolve!: (v: unknown) => void;
  private reject!: (e: unknown) => void;
  readonly promise: Promise<unknown>;
  constructor() {
    this.promise = new Promise((res, rej) => {
      this.resolve = res;
      this.reject = rej;
    });
  }
  open(value: unknown = null): void {
    this.resolve(value);
  }
  fail(err: unknown): void {
    this.reject(err);
  }
}

function waitOrAbort<T>(p: Promise<T>, signal: AbortSignal): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    if (signal.aborted) return reject(abortReason(signal));
    signal.addEventListener('abort', () => reject(abortReason(signal)), { once: true });
    p.then(resolve, reject);
  });
}

interface Rig {
  db: Database.Database;
  runner: JobRunner;
  clock: ManualClock;
  events: JobEvent[];
}

function rig(opts: Partial<Omit<JobRunnerOptions, 'store'>> = {}, db = new Database(':memory:'), clock = new ManualClock(T0)): Rig {
  const runner = createJobRunner(db, { clock, random: () => 0.5, log: silentLogger, limits: { global: 4 }, ...opts });
  const events: JobEvent[] = [];
  runner.subscribe((e) => events.push(e));
  return { db, runner, clock, events };
}

describe('JobRunner', () => {
  let r: Rig;
  afterEach(async () => {
    // Stop first so no job of this spec writes after its catalog is closed.
    void r.runner.stop();
    await settle();
    if (r.db.open) r.db.close();
  });

  it('runs a job through its phases to success, with progress, rate, ETA, log and result', async () => {
    r = rig({ progressIntervalMs: 0 });
    let seenAttempt = 0;
    r.runner.register('backup', {
      async run(ctx: JobContext<{ policy: string }>) {
        seenAttempt = ctx.attempt;
        ctx.phase('snapshot');
        ctx.log(`policy ${ctx.params.policy}`);
        await sleep(ctx.clock, 1000, ctx.signal);
        ctx.phase('read');
        ctx.progress(0, 4000);
        await sleep(ctx.clock, 1000, ctx.signal);
        ctx.progress(1000, 4000);
        await sleep(ctx.clock, 1000, ctx.signal);
        ctx.progress(2000, 4000);
        return { restorePoint: 'rp-1' };
      },
    });
    await r.runner.start();
    const { job, created } = r.runner.submit({ kind: 'backup', target: vm(1), params: { policy: 'gold' }, requestedBy: 'alice' });
    expect(created).toBeTrue();
    expect(job.state).toBe('running'); // a free slot: dispatched before submit returns
    await settle();

    await r.clock.advance(3000);
    const mid = r.runner.get(job.id);
    expect(mid.phase).toBe('read');
    expect(mid.progress).toEqual({ bytesDone: 2000, bytesTotal: 4000, rateBytesPerSecond: 1000, etaSeconds: 2 });

    await r.clock.advance(10);
    const done = r.runner.get(job.id);
    expect(seenAttempt).toBe(1);
    expect(done.state).toBe('succeeded');
    expect(done.result).toEqual({ restorePoint: 'rp-1' });
    expect(done.phases.map((p) => p.name)).toEqual(['snapshot', 'read']);
    expect(done.phases.every((p) => p.endedAt !== null)).toBeTrue();
    expect(done.startedAt).toBe(new Date(T0).toISOString());
    expect(done.finishedAt).toBe(new Date(T0 + 3000).toISOString());
    expect(done.requestedBy).toBe('alice');
    expect(r.runner.readLog(job.id).map((l) => l.message)).toEqual(['queued by alice', 'started', 'policy gold', 'succeeded']);

    const states = r.events.filter((e) => e.type === 'state').map((e) => (e.type === 'state' ? e.job.state : ''));
    expect(states).toEqual(['queued', 'running', 'succeeded']);
    const seqs = r.events.map((e) => e.seq);
    expect(seqs).toEqual([...seqs].sort((a, b) => a - b));
    expect(new Set(seqs).size).toBe(seqs.length);
  });

  it('marks a job running at a crash interrupted on the next start and runs its clean-up with the checkpoint', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'lifeline-jobs-'));
    try {
      const file = join(dir, 'catalog.db');
      const clock = new ManualClock(T0);
      r = rig({ limits: { global: 1 } }, new Database(file), clock);
      const hang = new Gate();
      r.runner.register('backup', {
        async run(ctx: JobContext<null, { snapshot: string }>) {
          ctx.saveCheckpoint({ snapshot: 'snapshot-7' });
          ctx.phase('read');
          await hang.promise;
        },
      });
      await r.runner.start();
      const a = r.runner.submit({ kind: 'backup', target: vm(1), params: null }).job;
      const b = r.runner.submit({ kind: 'backup', target: vm(2), params: null }).job;
      await settle();
      expect(r.runner.get(a.id).state).toBe('running');
      expect(r.runner.get(b.id).state).toBe('queued');
      const seqBefore = r.runner.lastEventSeq();
      r.db.close(); // the process dies: nothing more is written

      await clock.advance(60_000);
      const cleaned: JobRecord[] = [];
      const ran: string[] = [];
      r = rig({ limits: { global: 1 } }, new Database(file), clock);
      r.runner.register('backup', {
        async run(ctx) {
          ran.push(ctx.jobId);
        },
        async cleanup(job) {
          cleaned.push(job);
        },
      });
      const report = await r.runner.start();
      await settle();

      expect(report).toEqual({ interrupted: [a.id], cleanedUp: [a.id], cleanupFailed: [] });
      expect(cleaned.length).toBe(1);
      expect(cleaned[0]?.checkpoint).toEqual({ snapshot: 'snapshot-7' });
      expect(cleaned[0]?.state).toBe('interrupted');
      const after = r.runner.get(a.id);
      expect(after.state).toBe('interrupted');
      expect(after.cleanup).toBe('done');
      expect(after.error?.code).toBe('interrupted');
      expect(after.phases[0]?.endedAt).not.toBeNull();
      // The queued job survived the restart and ran.
      expect(ran).toEqual([b.id]);
      expect(r.runner.get(b.id).state).toBe('succeeded');
      // Event numbers keep growing across the restart, so Last-Event-ID never points backwards.
      expect(Math.min(...r.events.map((e) => e.seq))).toBeGreaterThan(seqBefore);
    } finally {
      if (r.db.open) r.db.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  /** A backup running in a runner over a database of its own, which the next rig finds interrupted. */
  async function runningBackup(): Promise<{ db: Database.Database; job: JobRecord }> {
    const db = new Database(':memory:');
    r = rig({}, db);
    const hang = new Gate();
    r.runner.register('backup', { run: () => hang.promise });
    await r.runner.start();
    const job = r.runner.submit({ kind: 'backup', target: vm(1), params: null }).job;
    await settle();
    return { db, job };
  }

  it('keeps the target busy until an interrupted job is cleaned up, and releases it after a failed clean-up', async () => {
    const { db, job: a } = await runningBackup();

    r = rig({}, db, r.clock);
    const cleanup = new Gate();
    r.runner.register('backup', { run: async () => 'ok', cleanup: () => cleanup.promise.then(() => undefined) });
    const started = r.runner.start();
    await settle();
    expect(r.runner.get(a.id).cleanup).toBe('running');
    expect(() => r.runner.submit({ kind: 'backup', target: vm(1), params: null })).toThrowMatching((e: unknown) => e instanceof LifelineError && e.code === 'busy');
    cleanup.fail(new LifelineError('vsphere-fault', 'NotAuthenticated'));
    expect(await started).toEqual({ interrupted: [a.id], cleanedUp: [], cleanupFailed: [a.id] });
    expect(r.runner.get(a.id).cleanup).toBe('failed');
    expect(r.runner.submit({ kind: 'backup', target: vm(1), params: null }).created).toBeTrue();
  });

  it('runs a clean-up a stop of Lifeline cut short again at the next start, rather than marking it failed', async () => {
    const { db, job: a } = await runningBackup();

    // The next start's clean-up waits on vCenter; Lifeline is stopped meanwhile.
    r = rig({}, db, r.clock);
    r.runner.register('backup', {
      run: async () => 'ok',
      cleanup: (_job, signal) => new Promise<void>((_resolve, reject) => signal.addEventListener('abort', () => reject(signal.reason as Error), { once: true })),
    });
    const started = r.runner.start();
    await settle();
    expect(r.runner.get(a.id).cleanup).toBe('running');
    await r.runner.stop();
    expect((await started).cleanupFailed).toEqual([a.id]);
    expect(r.runner.get(a.id).cleanup).toBe('pending');

    // Started again, it runs the clean-up to its end.
    r = rig({}, db, r.clock);
    const cleaned: string[] = [];
    r.runner.register('backup', { run: async () => 'ok', cleanup: async (job) => void cleaned.push(job.id) });
    expect(await r.runner.start()).toEqual({ interrupted: [], cleanedUp: [a.id], cleanupFailed: [] });
    expect(cleaned).toEqual([a.id]);
    expect(r.runner.get(a.id).cleanup).toBe('done');
  });

  it('ends a cancelled running job as cancelled only after its clean-up ran', async () => {
    r = rig();
    const order: string[] = [];
    r.runner.register('backup', {
      async run(ctx) {
        try {
          await sleep(ctx.clock, 3_600_000, ctx.signal);
        } finally {
          await sleep(ctx.clock, 5000); // removing the snapshot takes a while
          order.push('clean-up');
        }
      },
    });
    r.runner.subscribe((e) => {
      if (e.type === 'state' && e.job.state === 'cancelled') order.push('cancelled');
    });
    await r.runner.start();
    const { job } = r.runner.submit({ kind: 'backup', target: vm(1), params: null });
    await r.clock.advance(1000);
    const requested = r.runner.cancel(job.id, 'cancelled by bob');
    expect(requested.state).toBe('running');
    expect(requested.cancelRequested).toBeTrue();
    await r.clock.advance(1000);
    expect(r.runner.get(job.id).state).toBe('running');
    await r.clock.advance(5000);
    const done = r.runner.get(job.id);
    expect(done.state).toBe('cancelled');
    expect(done.error).toEqual({ code: 'cancelled', message: 'cancelled by bob' });
    expect(order).toEqual(['clean-up', 'cancelled']);
    expect(() => r.runner.cancel(job.id)).toThrowMatching((e: unknown) => e instanceof LifelineError && e.code === 'job-finished');
  });

  it('cancels a queued job without running it', async () => {
    r = rig({ limits: { global: 1 } });
    const gate = new Gate();
    const ran: string[] = [];
    r.runner.register('backup', {
      async run(ctx) {
        ran.push(ctx.jobId);
        await waitOrAbort(gate.promise, ctx.signal);
      },
    });
    await r.runner.start();
    const a = r.runner.submit({ kind: 'backup', target: vm(1), params: null }).job;
    const b = r.runner.submit({ kind: 'backup', target: vm(2), params: null }).job;
    expect(r.runner.cancel(b.id).state).toBe('cancelled');
    gate.open();
    await settle();
    expect(ran).toEqual([a.id]);
    expect(r.runner.get(a.id).state).toBe('succeeded');
  });

  it('holds a place in a full queue for a reserved job: others are refused, the reserved one is queued, a released place is free again', async () => {
    r = rig({ limits: { global: 1 }, maxQueued: 2 });
    const gate = new Gate();
    r.runner.register('backup', {
      async run(ctx) {
        await waitOrAbort(gate.promise, ctx.signal);
      },
    });
    await r.runner.start();
    const running = r.runner.submit({ kind: 'backup', target: vm(1), params: null }).job;
    await settle();
    expect(r.runner.get(running.id).state).toBe('running');
    r.runner.submit({ kind: 'backup', target: vm(2), params: null });
    const place = r.runner.reserve();
    // The queue's two places: one job waiting, one held.
    expect(() => r.runner.submit({ kind: 'backup', target: vm(3), params: null })).toThrowMatching((e: unknown) => e instanceof LifelineError && e.code === 'queue-full');
    expect(() => r.runner.reserve()).toThrowMatching((e: unknown) => e instanceof LifelineError && e.code === 'queue-full');
    const reserved = r.runner.submit({ kind: 'backup', target: vm(4), params: null, reservation: place });
    expect(reserved.created).toBeTrue();
    expect(r.runner.get(reserved.job.id).state).toBe('queued');
    expect(place.active).toBeFalse();
    // Used up: releasing it again gives nothing back, and the queue is still full.
    place.release();
    expect(() => r.runner.submit({ kind: 'backup', target: vm(5), params: null })).toThrowMatching((e: unknown) => e instanceof LifelineError && e.code === 'queue-full');
    r.runner.cancel(reserved.job.id);
    const unused = r.runner.reserve();
    unused.release();
    expect(r.runner.submit({ kind: 'backup', target: vm(6), params: null }).created).toBeTrue();
    // A stopping runner holds no place.
    gate.open();
    await settle();
    void r.runner.stop();
    expect(() => r.runner.reserve()).toThrowMatching((e: unknown) => e instanceof LifelineError && e.code === 'runner-stopped');
  });

  it("keeps a failed job's result only where its kind says what a failed run found", async () => {
    r = rig();
    // Both fail with an error that carries a result; only the kind that asks for it keeps one.
    const failing = (): Promise<never> => Promise.reject(Object.assign(new LifelineError('repository-damaged', 'damage found'), { jobResult: { found: ['pt-1'] } }));
    r.runner.register('backup', { run: failing });
    r.runner.register('maintenance', { run: failing, resultOfFailure: (err) => (err as { jobResult?: unknown }).jobResult });
    await r.runner.start();
    const backup = r.runner.submit({ kind: 'backup', target: vm(1), params: null }).job;
    const maintenance = r.runner.submit({ kind: 'maintenance', target: vm(2), params: null }).job;
    await settle();
    expect(r.runner.get(backup.id).state).toBe('failed');
    expect(r.runner.get(backup.id).result).toBeNull();
    expect(r.runner.get(maintenance.id).state).toBe('failed');
    expect(r.runner.get(maintenance.id).result).toEqual({ found: ['pt-1'] });
  });

  describe('retries', () => {
    it('retries a transient fault with exponential backoff and jitter, then succeeds', async () => {
      const random = jasmine.createSpy('random').and.returnValues(0, 1);
      r = rig({ random, retry: { maxAttempts: 4, baseDelayMs: 10_000, maxDelayMs: 600_000 } });
      const starts: number[] = [];
      r.runner.register('backup', {
        async run(ctx) {
          starts.push(ctx.clock.now() - T0);
          if (ctx.attempt < 3) throw new LifelineError('vcenter-unreachable', 'connection reset', { transient: true });
          return 'ok';
        },
      });
      await r.runner.start();
      const { job } = r.runner.submit({ kind: 'backup', target: vm(1), params: null });
      await settle();
      const waiting = r.runner.get(job.id);
      expect(waiting.state).toBe('queued');
      expect(waiting.attempt).toBe(1);
      expect(waiting.error?.code).toBe('vcenter-unreachable');
      expect(waiting.nextAttemptAt).toBe(new Date(T0 + 5000).toISOString());
      await r.clock.advance(60_000);
      // Retry 1: 10 s nominal, random 0 → 5 s. Retry 2: 20 s nominal, random 1 → 20 s.
      expect(starts).toEqual([0, 5000, 25_000]);
      const done = r.runner.get(job.id);
      expect(done.state).toBe('succeeded');
      expect(done.attempt).toBe(3);
      expect(done.error).toBeNull();
    });

    it('does not retry a permanent fault', async () => {
      r = rig({ retry: { maxAttempts: 5 } });
      let runs = 0;
      r.runner.register('backup', {
        async run() {
          runs++;
          throw new LifelineError('vm-not-found', 'vm-1 no longer exists');
        },
      });
      await r.runner.start();
      const { job } = r.runner.submit({ kind: 'backup', target: vm(1), params: null });
      await r.clock.advance(3_600_000);
      expect(runs).toBe(1);
      expect(r.runner.get(job.id).state).toBe('failed');
      expect(r.runner.get(job.id).error).toEqual({ code: 'vm-not-found', message: 'vm-1 no longer exists' });
    });

    it('uses the caller\'s predicate, lets transient:false override it, and stops after maxAttempts', async () => {
      r = rig({ retry: { maxAttempts: 3, baseDelayMs: 1000, maxDelayMs: 1000 } });
      const runs: Record<string, number> = { a: 0, b: 0 };
      r.runner.register('flaky', {
        isTransient: (err) => err instanceof Error && /ECONNRESET/.test(err.message),
        async run(ctx: JobContext<{ name: 'a' | 'b' }>) {
          runs[ctx.params.name]! += 1;
          if (ctx.params.name === 'a') throw new Error('read ECONNRESET');
          throw new LifelineError('store-full', 'ECONNRESET but the quota is exhausted', { transient: false });
        },
      });
      await r.runner.start();
      const a = r.runner.submit({ kind: 'flaky', target: vm(1), params: { name: 'a' } }).job;
      const b = r.runner.submit({ kind: 'flaky', target: vm(2), params: { name: 'b' } }).job;
      await r.clock.advance(60_000);
      expect(runs).toEqual({ a: 3, b: 1 });
      expect(r.runner.get(a.id).state).toBe('failed');
      expect(r.runner.get(a.id).error?.code).toBe('job-failed');
      expect(r.runner.readLog(a.id).some((l) => l.message.startsWith('failed after 3 attempts'))).toBeTrue();
      expect(r.runner.get(b.id).state).toBe('failed');
    });

    it('fails an attempt that outlives its timeout, without retrying it', async () => {
      r = rig();
      r.runner.register('backup', { timeoutMs: 10_000, run: (ctx) => sleep(ctx.clock, 60_000, ctx.signal) });
      await r.runner.start();
      const { job } = r.runner.submit({ kind: 'backup', target: vm(1), params: null });
      await r.clock.advance(10_000);
      expect(r.runner.get(job.id).state).toBe('failed');
      expect(r.runner.get(job.id).error?.code).toBe('job-timeout');
    });
  });

  describe('queue order', () => {
    it('starts queued jobs by priority, then earliest deadline (none last), then submission order', async () => {
      r = rig({ limits: { global: 1 } });
      const order: string[] = [];
      r.runner.register<{ name: string }, null>('backup', {
        run: async (ctx) => {
          order.push(ctx.params.name);
          await sleep(ctx.clock, 1000, ctx.signal);
        },
      });
      await r.runner.start();
      const submit = (name: string, n: number, extra: { deadline?: number; priority?: number } = {}) =>
        r.runner.submit({ kind: 'backup', target: vm(n), params: { name }, ...extra }).job;
      submit('first', 1);
      submit('none', 2);
      const late = submit('late', 3, { deadline: T0 + 90_000 });
      submit('soon', 4, { deadline: T0 + 30_000 });
      submit('urgent-user', 5, { priority: 10 });
      submit('soon-too', 6, { deadline: T0 + 30_000 });
      expect(late.deadline).toBe(new Date(T0 + 90_000).toISOString());
      await r.clock.advance(10_000);
      expect(order).toEqual(['first', 'urgent-user', 'soon', 'soon-too', 'late', 'none']);
    });
  });

  describe('one job per target', () => {
    it('returns the active job to a second request of the same kind and refuses another kind with busy', async () => {
      r = rig();
      const gate = new Gate();
      r.runner.register('backup', { run: () => gate.promise });
      r.runner.register('restore', { run: async () => undefined });
      await r.runner.start();
      const first = r.runner.submit({ kind: 'backup', target: vm(1), params: null });
      const again = r.runner.submit({ kind: 'backup', target: vm(1), params: null });
      expect(again.created).toBeFalse();
      expect(again.job.id).toBe(first.job.id);
      let err: unknown;
      try {
        r.runner.submit({ kind: 'restore', target: vm(1), params: null });
      } catch (e) {
        err = e;
      }
      expect(err instanceof LifelineError && err.code === 'busy').toBeTrue();
      expect((err as LifelineError).details.jobId).toBe(first.job.id);
      // Another VM is not affected, and once the backup ends the VM is free again.
      expect(r.runner.submit({ kind: 'restore', target: vm(2), params: null }).created).toBeTrue();
      gate.open();
      await settle();
      expect(r.runner.submit({ kind: 'restore', target: vm(1), params: null }).created).toBeTrue();
    });

    it('lets a kind with a lane of its own run beside the target\'s other jobs, never two of that lane at once', async () => {
      r = rig();
      const backup = new Gate();
      const copy = new Gate();
      r.runner.register('backup', { run: () => backup.promise });
      r.runner.register('copy', { run: () => copy.promise, lane: 'copy' });
      await r.runner.start();
      const first = r.runner.submit({ kind: 'copy', target: vm(1), params: null }).job;
      await settle();
      expect(r.runner.get(first.id).state).toBe('running');
      // A backup of the VM is neither refused nor kept waiting by the copy, and the copy not by it.
      const b = r.runner.submit({ kind: 'backup', target: vm(1), params: null });
      expect(b.created).toBeTrue();
      await settle();
      expect(r.runner.get(b.job.id).state).toBe('running');
      expect(r.runner.activeForTarget(vm(1))?.id).toBe(b.job.id);
      expect(r.runner.activeForTarget(vm(1), 'copy')?.id).toBe(first.id);
      // A second copy of the VM joins the one running.
      const again = r.runner.submit({ kind: 'copy', target: vm(1), params: null });
      expect(again).toEqual({ job: jasmine.objectContaining({ id: first.id }), created: false });
      copy.open();
      backup.open();
      await settle();
      expect(r.runner.get(first.id).state).toBe('succeeded');
      expect(r.runner.get(b.job.id).state).toBe('succeeded');
      expect(r.runner.submit({ kind: 'copy', target: vm(1), params: null }).created).toBeTrue();
    });

    it('lets a queued job that yields give way to another kind, but not once it has started', async () => {
      r = rig({ limits: { global: 1 } });
      const gate = new Gate();
      r.runner.register('backup', { run: () => gate.promise });
      r.runner.register('restore', { run: () => gate.promise });
      await r.runner.start();
      const running = r.runner.submit({ kind: 'backup', target: vm(1), params: null, yieldsWhileQueued: true }).job;
      const waiting = r.runner.submit({ kind: 'backup', target: vm(2), params: null, yieldsWhileQueued: true }).job;
      expect(r.runner.get(waiting.id).state).toBe('queued');
      const restore = r.runner.submit({ kind: 'restore', target: vm(2), params: null, requestedBy: 'alice' });
      expect(restore.created).toBeTrue();
      expect(r.runner.get(waiting.id).state).toBe('cancelled');
      expect(r.runner.get(waiting.id).error?.message).toBe('gave way to a restore job requested by alice before it started');
      expect(() => r.runner.submit({ kind: 'restore', target: vm(1), params: null })).toThrowMatching((e: unknown) => e instanceof LifelineError && e.code === 'busy' && e.details['jobId'] === running.id);
      gate.open();
      await settle();
    });

    it('is enforced by the catalog too', async () => {
      r = rig();
      r.runner.register('backup', { run: () => new Gate().promise });
      await r.runner.start();
      r.runner.submit({ kind: 'backup', target: vm(1), params: null });
      const insert = () =>
        r.db
          .prepare("INSERT INTO jobs_job (id, kind, target_type, target_id, target_vcenter, target_key, state, priority, params, limit_keys, max_attempts, created_at, updated_at) VALUES ('x', 'restore', 'VirtualMachine', 'vm-1', 'vc-1', 'VirtualMachine:vc-1:vm-1', 'queued', 0, 'null', '[]', 1, 0, 0)")
          .run();
      expect(insert).toThrowError(/UNIQUE/);
    });
  });

  describe('concurrency', () => {
    it('never runs more than the global limit or a key limit, and a blocked key does not block others', async () => {
      r = rig({ limits: { global: 3, perKeyClass: { datastore: 1 } } });
      let running = 0;
      let peak = 0;
      const perDs = new Map<string, number>();
      const peakDs = new Map<string, number>();
      const order: string[] = [];
      r.runner.register('backup', {
        async run(ctx: JobContext<{ ds: string }>) {
          const ds = ctx.params.ds;
          order.push(ctx.target.id);
          running++;
          perDs.set(ds, (perDs.get(ds) ?? 0) + 1);
          peak = Math.max(peak, running);
          peakDs.set(ds, Math.max(peakDs.get(ds) ?? 0, perDs.get(ds) ?? 0));
          await sleep(ctx.clock, 10_000, ctx.signal);
          running--;
          perDs.set(ds, (perDs.get(ds) ?? 0) - 1);
        },
      });
      await r.runner.start();
      // vm-1..3 on ds-a, vm-4 on ds-b, vm-5 on ds-c, vm-6 on ds-d: ds-a's queue must not hold up the others.
      const placement = ['ds-a', 'ds-a', 'ds-a', 'ds-b', 'ds-c', 'ds-d'];
      placement.forEach((ds, i) => r.runner.submit({ kind: 'backup', target: vm(i + 1), params: { ds }, limitKeys: [`datastore:${ds}`] }));
      await settle();
      expect(order).toEqual(['vm-1', 'vm-4', 'vm-5']);
      await r.clock.advance(60_000);
      expect(peak).toBe(3);
      expect([...peakDs.values()].every((n) => n === 1)).toBeTrue();
      expect(r.runner.list({ states: ['succeeded'] }).items.length).toBe(6);
    });

    it('runs a coordinator outside the limits, so that the jobs it waits for get the slots', async () => {
      r = rig({ limits: { global: 1, perKeyClass: { datastore: 1 } } });
      let working = 0;
      let peak = 0;
      r.runner.register('backup', {
        async run(ctx) {
          working++;
          peak = Math.max(peak, working);
          await sleep(ctx.clock, 10_000, ctx.signal);
          working--;
          return { by: ctx.target.id };
        },
      });
      // A planned migration's shape: it queues the VM's backup and waits for it to end.
      const runner = r.runner;
      r.runner.register('migrate', {
        coordinator: true,
        async run(ctx: JobContext<{ vm: number }>) {
          const child = runner.submit({ kind: 'backup', target: vm(ctx.params.vm), params: null, limitKeys: ['datastore:ds-a'] }).job.id;
          for (;;) {
            const job = runner.get(child);
            if (job.state === 'succeeded') return job.result;
            if (job.state !== 'queued' && job.state !== 'running') throw new Error(`backup ${job.state}`);
            await sleep(ctx.clock, 1_000, ctx.signal);
          }
        },
      });
      await r.runner.start();
      const plain = r.runner.submit({ kind: 'backup', target: vm(9), params: null, limitKeys: ['datastore:ds-a'] }).job.id;
      const migrations = [1, 2].map((n) => r.runner.submit({ kind: 'migrate', target: { type: 'Migration', id: `m-${n}`, vcenterGuid: 'vc-1' }, params: { vm: n }, limitKeys: ['datastore:ds-a'] }).job.id);
      await settle();
      // The one slot is the plain backup's; both coordinators run beside it, their backups wait.
      expect(migrations.map((id) => r.runner.get(id).state)).toEqual(['running', 'running']);
      expect(r.runner.get(plain).state).toBe('running');
      for (let i = 0; i < 40 && migrations.some((id) => r.runner.get(id).state === 'running'); i++) await r.clock.advance(1_000);
      expect(migrations.map((id) => r.runner.get(id).state)).toEqual(['succeeded', 'succeeded']);
      expect(migrations.map((id) => r.runner.get(id).result)).toEqual([{ by: 'vm-1' }, { by: 'vm-2' }]);
      // The jobs that work still ran one at a time.
      expect(peak).toBe(1);
    });

    it('runs higher-priority queued jobs first', async () => {
      r = rig({ limits: { global: 1 } });
      const order: string[] = [];
      r.runner.register('backup', {
        async run(ctx) {
          order.push(ctx.target.id);
          await sleep(ctx.clock, 1000, ctx.signal);
        },
      });
      await r.runner.start();
      r.runner.submit({ kind: 'backup', target: vm(1), params: null });
      r.runner.submit({ kind: 'backup', target: vm(2), params: null });
      r.runner.submit({ kind: 'backup', target: vm(3), params: null, priority: 10 });
      await r.clock.advance(10_000);
      expect(order).toEqual(['vm-1', 'vm-3', 'vm-2']);
    });
  });

  describe('events', () => {
    async function twoJobs(): Promise<{ a: JobRecord; b: JobRecord }> {
      r.runner.register('backup', {
        async run(ctx) {
          ctx.phase('read');
          await sleep(ctx.clock, 1000, ctx.signal);
        },
      });
      await r.runner.start();
      const a = r.runner.submit({ kind: 'backup', target: vm(1), params: null }).job;
      const b = r.runner.submit({ kind: 'backup', target: vm(2), params: null }).job;
      await r.clock.advance(5000);
      return { a, b };
    }

    it('starts a new per-job subscription with a snapshot and replays exactly what a reconnecting client missed', async () => {
      r = rig();
      const { a } = await twoJobs();
      const fresh: JobEvent[] = [];
      r.runner.subscribeJob(a.id, (e) => fresh.push(e))();
      expect(fresh.length).toBe(1);
      expect(fresh[0]?.type).toBe('snapshot');

      const ofA = r.events.filter((e) => e.jobId === a.id);
      const cut = ofA[2]!.seq; // the client saw three events, then the connection dropped
      const resumed: JobEvent[] = [];
      r.runner.subscribeJob(a.id, (e) => resumed.push(e), { after: cut })();
      expect(resumed).toEqual(ofA.slice(3));
    });

    it('sends a snapshot when the missed events are no longer buffered, and a resync on the global stream', async () => {
      r = rig({ eventBuffer: 4 });
      const { a } = await twoJobs();
      const first = r.events[0]!.seq;
      const resumed: JobEvent[] = [];
      r.runner.subscribeJob(a.id, (e) => resumed.push(e), { after: first });
      expect(resumed.map((e) => e.type)).toEqual(['snapshot']);
      const global: JobEvent[] = [];
      r.runner.subscribe((e) => global.push(e), { after: first });
      expect(global.map((e) => e.type)).toEqual(['resync']);
      // A client claiming a number from the future (another server) is resynchronised too.
      const future: JobEvent[] = [];
      r.runner.subscribe((e) => future.push(e), { after: r.runner.lastEventSeq() + 5 });
      expect(future.map((e) => e.type)).toEqual(['resync']);
    });

    it('stops delivering when the subscription\'s signal aborts', async () => {
      r = rig();
      r.runner.register('backup', { run: (ctx) => sleep(ctx.clock, 1000, ctx.signal) });
      await r.runner.start();
      const ctl = new AbortController();
      const got: JobEvent[] = [];
      r.runner.subscribe((e) => got.push(e), { signal: ctl.signal });
      r.runner.submit({ kind: 'backup', target: vm(1), params: null });
      const n = got.length;
      expect(n).toBeGreaterThan(0);
      ctl.abort();
      await r.clock.advance(5000);
      expect(got.length).toBe(n);
    });
  });

  it('bounds a job log, keeping its start and its end', async () => {
    r = rig({ logBounds: { head: 3, tail: 4 } });
    r.runner.register('chatty', {
      async run(ctx) {
        for (let i = 1; i <= 20; i++) ctx.log(`line ${i}`);
      },
    });
    await r.runner.start();
    const { job } = r.runner.submit({ kind: 'chatty', target: vm(1), params: null });
    await settle();
    const lines = r.runner.readLog(job.id);
    // 1 'queued', 2 'started', 3..22 'line n', 23 'succeeded'
    expect(lines.map((l) => l.line)).toEqual([1, 2, 3, 20, 21, 22, 23]);
    expect(lines.map((l) => l.message)).toEqual(['queued', 'started', 'line 1', 'line 18', 'line 19', 'line 20', 'succeeded']);
    expect(r.runner.get(job.id).log).toEqual({ lines: 23, dropped: 16 });
  });

  it('pages a target\'s history newest first', async () => {
    r = rig();
    r.runner.register('backup', { run: async () => undefined });
    await r.runner.start();
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) {
      ids.push(r.runner.submit({ kind: 'backup', target: vm(1), params: null }).job.id);
      r.runner.submit({ kind: 'backup', target: vm(2), params: null });
      await settle();
    }
    const p1 = r.runner.list({ target: vm(1), limit: 2 });
    const p2 = r.runner.list({ target: vm(1), limit: 2, cursor: p1.nextCursor ?? undefined });
    const p3 = r.runner.list({ target: vm(1), limit: 2, cursor: p2.nextCursor ?? undefined });
    expect([...p1.items, ...p2.items, ...p3.items].map((j) => j.id)).toEqual([...ids].reverse());
    expect(p3.nextCursor).toBeNull();
    expect(() => r.runner.list({ cursor: 'abc' })).toThrowMatching((e: unknown) => e instanceof LifelineError && e.code === 'validation');
  });

  it('on stop, aborts running jobs and leaves them interrupted for the next start to clean up', async () => {
    const db = new Database(':memory:');
    r = rig({}, db);
    r.runner.register('backup', { run: (ctx) => sleep(ctx.clock, 3_600_000, ctx.signal) });
    await r.runner.start();
    const { job } = r.runner.submit({ kind: 'backup', target: vm(1), params: null });
    await settle();
    await r.runner.stop();
    expect(r.runner.get(job.id).state).toBe('interrupted');
    expect(r.runner.get(job.id).cleanup).toBe('none');
    expect(() => r.runner.submit({ kind: 'backup', target: vm(2), params: null })).toThrowMatching((e: unknown) => e instanceof LifelineError && e.code === 'runner-stopped');
  });

  it('lets a job that ignores a cancel still stop at a shutdown, interrupted, and at its time limit', async () => {
    r = rig();
    const stoppedBy: string[] = [];
    // A step that must run to its end once begun: it waits on stopSignal, not on signal.
    const follow = async (ctx: JobContext): Promise<void> => {
      try {
        await sleep(ctx.clock, 3_600_000, ctx.stopSignal);
      } catch (err) {
        stoppedBy.push(err instanceof LifelineError ? err.code : String(err));
        throw err;
      }
    };
    r.runner.register('follow-timed', { timeoutMs: 60_000, run: follow });
    r.runner.register('follow', { run: follow });
    await r.runner.start();
    const timed = r.runner.submit({ kind: 'follow-timed', target: vm(1), params: null }).job.id;
    const stopped = r.runner.submit({ kind: 'follow', target: vm(2), params: null }).job.id;
    await settle();
    r.runner.cancel(timed);
    r.runner.cancel(stopped);
    await r.clock.advance(30_000);
    // The cancels took no effect on the waiting.
    expect([timed, stopped].map((id) => r.runner.get(id).state)).toEqual(['running', 'running']);
    expect(stoppedBy).toEqual([]);
    // The time limit ends the first; it was cancelled, and ends so.
    await r.clock.advance(30_000);
    expect(stoppedBy).toEqual(['job-timeout']);
    expect(r.runner.get(timed).state).toBe('cancelled');
    // A stop ends the other: interrupted, for the next start to settle, not cancelled.
    await r.runner.stop();
    expect(stoppedBy).toEqual(['job-timeout', 'shutdown']);
    expect(r.runner.get(stopped).state).toBe('interrupted');
  });

  it('refuses unknown kinds, bad targets and oversized params', async () => {
    r = rig();
    r.runner.register('backup', { run: async () => undefined });
    const code = (fn: () => unknown) => {
      try {
        fn();
      } catch (e) {
        return e instanceof LifelineError ? `${e.code}:${String(e.details.field)}` : 'other';
      }
      return 'none';
    };
    expect(code(() => r.runner.submit({ kind: 'nope', target: vm(1), params: null }))).toBe('validation:kind');
    expect(code(() => r.runner.submit({ kind: 'backup', target: { type: 'VirtualMachine', id: '', vcenterGuid: null }, params: null }))).toBe('validation:target');
    expect(code(() => r.runner.submit({ kind: 'backup', target: vm(1), params: 'x'.repeat(70_000) }))).toBe('validation:params');
    expect(code(() => r.runner.get('missing'))).toBe('not-found:undefined');
  });
});
