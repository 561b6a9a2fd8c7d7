/**
 * A simulated vSphere estate for the protection suites: VMs spread over datastores, a 'backup' job
 * kind that snapshots, "reads" for a random 20–90 simulated seconds and commits a restore point,
 * and the restore-point and placement sources the scheduler reads. Everything runs on a
 * ManualClock, so an hour of scheduling takes well under a second. analyseHistory() then judges
 * the run from the job runner's own recorded history, not from anything the simulation kept.
 */
import type { JobHandler, JobRecord, JobRunner } from '../../plugin-server/src/jobs/index.js';
import { vmKey, type Random, type VmRef } from '../../plugin-server/src/domain/index.js';
import { sleep } from '../../plugin-server/src/jobs/index.js';
import type { BackupJobParams, RestorePointSource, VmPlacementSource } from '../../plugin-server/src/protection/index.js';

/** A small seeded PRNG (mulberry32), so a failing run can be replayed exactly. */
export function seeded(seed: number): Random {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export interface SimWorldOptions {
  vms: number;
  datastores: number;
  random: Random;
  minDurationMs: number;
  maxDurationMs: number;
}

interface Checkpoint {
  snapshot: string;
}

export class SimWorld {
  readonly vms: VmRef[] = [];
  readonly datastoreOf = new Map<string, string>();
  /** Newest committed restore point per VM (its snapshot time). */
  readonly points = new Map<string, number | null>();
  /** Snapshots that exist in the "vCenter" now. */
  readonly snapshots = new Set<string>();
  /** Each process incarnation; a crashed one never commits or cleans up again. */
  private generation = 0;
  private snapshotSeq = 0;

  constructor(private readonly opts: SimWorldOptions) {
    for (let i = 0; i < opts.vms; i++) {
      const vm = { vcenterGuid: 'vc-sim', moref: `vm-${100 + i}` };
      this.vms.push(vm);
      this.datastoreOf.set(vmKey(vm), `datastore-${1 + (i % opts.datastores)}`);
      this.points.set(vmKey(vm), null);
    }
  }

  /** The process dies: work in flight stops where it is, leaving its snapshots behind. */
  crash(): void {
    this.generation++;
  }

  readonly pointSource: RestorePointSource = {
    lastGoodPoints: async (vms) => new Map(vms.map((vm) => [vmKey(vm), this.points.get(vmKey(vm)) ?? null])),
  };

  readonly placement: VmPlacementSource = {
    datastoresOf: async (vms) => new Map(vms.map((vm) => [vmKey(vm), [this.datastoreOf.get(vmKey(vm)) ?? 'datastore-unknown']])),
  };

  backupHandler(): JobHandler<BackupJobParams, Checkpoint> {
    const generation = this.generation;
    const alive = () => generation === this.generation;
    return {
      run: async (ctx) => {
        const snapshot = `lifeline-${ctx.jobId}-${++this.snapshotSeq}`;
        ctx.saveCheckpoint({ snapshot });
        ctx.phase('snapshot');
        this.snapshots.add(snapshot);
        const pointTime = ctx.clock.now();
        try {
          ctx.phase('read');
          const ms = this.opts.minDurationMs + Math.floor(this.opts.random() * (this.opts.maxDurationMs - this.opts.minDurationMs + 1));
          await sleep(ctx.clock, ms, ctx.signal);
          if (!alive()) await new Promise<never>(() => undefined);
          ctx.phase('commit');
          const key = vmKey(ctx.params.vm);
          this.points.set(key, Math.max(this.points.get(key) ?? 0, pointTime));
          return { pointTime };
        } finally {
          if (alive()) this.snapshots.delete(snapshot);
        }
      },
      cleanup: async (job) => {
        const cp = job.checkpoint as Checkpoint | null;
        if (cp) this.snapshots.delete(cp.snapshot);
      },
    };
  }
}

/** Every backup job in the runner's history, oldest first, read page by page as the API would. */
export function backupHistory(runner: JobRunner): JobRecord[] {
  const all: JobRecord[] = [];
  let cursor: string | undefined;
  do {
    const page = runner.list({ kind: 'backup', limit: 500, cursor });
    all.push(...page.items);
    cursor = page.nextCursor ?? undefined;
  } while (cursor);
  return all.reverse();
}

export interface HistoryAnalysis {
  jobs: number;
  succeeded: number;
  /** Moments a VM's newest good point was older than the RPO (checked just before each commit and at the end). */
  misses: { vm: string; at: number; ageSeconds: number }[];
  /** Pairs of jobs of one VM whose runs overlapped. */
  overlaps: { vm: string; a: string; b: string }[];
  peakGlobal: number;
  peakPerDatastore: Map<string, number>;
  /** Worst age of any VM's newest point over the checked span, in seconds. */
  worstAgeSeconds: number;
  /** Longest a job waited between being queued and starting, in ms. */
  worstQueueWaitMs: number;
  perVm: Map<string, number>;
}

/**
 * Judges a run from the job history alone: RPO misses between `from` and `to` (given each VM's
 * point at the start), overlapping jobs of one VM, and peak concurrency globally and per datastore.
 */
export function analyseHistory(jobs: readonly JobRecord[], opts: { rpoSeconds: number; from: number; to: number; pointsAtStart: ReadonlyMap<string, number | null> }): HistoryAnalysis {
  const ms = (iso: string | null, fallback: number) => (iso === null ? fallback : Date.parse(iso));
  const byVm = new Map<string, JobRecord[]>();
  for (const j of jobs) {
    const key = `${j.target.vcenterGuid}:${j.target.id}`;
    byVm.set(key, [...(byVm.get(key) ?? []), j]);
  }

  const overlaps: HistoryAnalysis['overlaps'] = [];
  const misses: HistoryAnalysis['misses'] = [];
  let worstAge = 0;
  const perVm = new Map<string, number>();
  for (const [vm, list] of byVm) {
    const ran = list.filter((j) => j.startedAt !== null).sort((x, y) => ms(x.startedAt, 0) - ms(y.startedAt, 0));
    for (let i = 1; i < ran.length; i++) {
      const prev = ran[i - 1] as JobRecord;
      const cur = ran[i] as JobRecord;
      if (ms(cur.startedAt, 0) < ms(prev.finishedAt, opts.to)) overlaps.push({ vm, a: prev.id, b: cur.id });
    }
    const commits = list
      .filter((j) => j.state === 'succeeded')
      .map((j) => ({ at: ms(j.finishedAt, 0), point: (j.result as { pointTime: number }).pointTime }))
      .sort((x, y) => x.at - y.at);
    perVm.set(vm, commits.length);
    let latest = opts.pointsAtStart.get(vm) ?? null;
    const check = (at: number) => {
      if (at < opts.from || at > opts.to) return;
      const age = latest === null ? Number.POSITIVE_INFINITY : (at - latest) / 1000;
      worstAge = Math.max(worstAge, age);
      if (age > opts.rpoSeconds) misses.push({ vm, at, ageSeconds: age });
    };
    for (const c of commits) {
      check(c.at);
      latest = latest === null ? c.point : Math.max(latest, c.point);
    }
    check(opts.to);
  }
  for (const vm of opts.pointsAtStart.keys()) {
    if (!byVm.has(vm)) {
      const p = opts.pointsAtStart.get(vm) ?? null;
      const age = p === null ? Number.POSITIVE_INFINITY : (opts.to - p) / 1000;
      worstAge = Math.max(worstAge, age);
      if (age > opts.rpoSeconds) misses.push({ vm, at: opts.to, ageSeconds: age });
    }
  }

  // Peak concurrency: sweep starts and ends; at the same instant an end frees its slot first.
  const edges: { at: number; d: number; keys: readonly string[] }[] = [];
  for (const j of jobs) {
    if (j.startedAt === null) continue;
    edges.push({ at: ms(j.startedAt, 0), d: +1, keys: j.limitKeys }, { at: ms(j.finishedAt, opts.to), d: -1, keys: j.limitKeys });
  }
  edges.sort((x, y) => x.at - y.at || x.d - y.d);
  let now = 0;
  let peakGlobal = 0;
  const cur = new Map<string, number>();
  const peakPerDatastore = new Map<string, number>();
  for (const e of edges) {
    now += e.d;
    peakGlobal = Math.max(peakGlobal, now);
    for (const k of e.keys) {
      cur.set(k, (cur.get(k) ?? 0) + e.d);
      peakPerDatastore.set(k, Math.max(peakPerDatastore.get(k) ?? 0, cur.get(k) ?? 0));
    }
  }
  const worstQueueWaitMs = Math.max(0, ...jobs.filter((j) => j.startedAt !== null).map((j) => ms(j.startedAt, 0) - ms(j.createdAt, 0)));
  return {
    jobs: jobs.length,
    succeeded: jobs.filter((j) => j.state === 'succeeded').length,
    misses,
    overlaps,
    peakGlobal,
    peakPerDatastore,
    worstAgeSeconds: worstAge,
    worstQueueWaitMs,
    perVm,
  };
}
