/**
 * Replication as the server runs it: the `replication` job kind and the coordinator that queues
 * one after each successful backup of a VM whose policy names a replication site. A job copies the
 * VM's newest restore point to the paired DR site first — after an outage that is the copy that
 * matters, the RPO at the DR site — and then the VM's older points that the DR site's retention
 * (the pairing's GFS rule) would keep and that it does not hold yet. Each paired site has one link:
 * a pinned mutual-TLS client (http-receiver.ts) behind the pairing's bandwidth limit, and at most
 * `maxConcurrentVms` VMs replicating over it at once; a cut link is resumed with backoff
 * (link.ts), and a job that still fails is retried by the job runner.
 *
 * A replication job holds its VM in a lane of its own (JobHandler.lane): it reads only committed,
 * locked restore points, so a backup or a restore of the VM neither waits for it nor makes it
 * wait, while two replications of one VM never run at once. A backup that ends while its VM's
 * replication runs queues the next one when that ends (the running one planned without its point).
 *
 * A policy naming a site this server is not paired with fails its job with
 * 'replication-site-unknown', so that nobody takes the missing DR copy for a made one.
 */
import { LifelineError, describeError } from '../errors/index.js';
import { vmKey, vmTarget, validateVmRef, type VmRef } from '../domain/index.js';
import type { JobHandler, JobRecord, JobRunner } from '../jobs/index.js';
import type { Logger } from '../log/index.js';
import { planPrune, type Repository } from '../store/index.js';
import { HttpReplicaReceiver, type SiteIdentity } from './http-receiver.js';
import { BandwidthLimiter, replicateWithRetry, throttled, type LimiterClock } from './link.js';
import type { ReplicaReceiver } from './protocol.js';
import { sealSeedFor } from './seed-transfer.js';

export const REPLICATION_JOB_KIND = 'replication';
/** The lane in which replication jobs hold their VM (see the top of this file). */
export const REPLICATION_LANE = 'replication';

/** The pairing's settings of a peer (the pairing side owns and validates them). */
export interface ReplicationSettings {
  bandwidthMBps: number | null;
  window: { from: string; to: string; bandwidthMBps: number } | null;
  retention: { keepLast: number; daily: number; weekly: number; monthly: number };
  immutableDays: number;
  maxConcurrentVms: number;
}

export interface PeerRecord {
  id: string;
  name: string;
  thumbprint: string;
  url: string;
  /** The peer's role seen from here: 'target' = this site replicates to it. */
  role: 'source' | 'target';
  pairedAt: string;
  settings: ReplicationSettings;
}

export interface PeerDirectory {
  /** By id or by name; undefined when not paired (any more). */
  peer(idOrName: string): PeerRecord | undefined;
  peers(): PeerRecord[];
}

export interface LinkStats {
  state: 'idle' | 'replicating' | 'unreachable' | 'refused';
  lastContactAt: string | null;
  lastError: string | null;
  /** Stored chunk bytes sent to the peer since the pairing (kept across restarts when the coordinator has `figures`). */
  bytesSent: number;
  /** Over the last seconds of sending; 0 when idle. */
  throughputBps: number;
  /** Restore points waiting to go to the peer: queued jobs' and the rest of running ones'. */
  backlogPoints: number;
}

export interface ReplicationJobParams {
  vm: VmRef;
  /** The replication site as the policy names it (a pairing's id or name). */
  site: string;
  /** The restore point whose backup queued the job. */
  pointId: string;
}

export interface ReplicationJobResult {
  /** The peer's id. */
  site: string;
  siteName: string;
  /** The newest point, sent first. */
  pointId: string;
  chunks: number;
  chunksSent: number;
  bytesSent: number;
  present: boolean;
  /** Older points sent after it (those the DR site's retention keeps). */
  olderPoints: string[];
  /** Chunk bytes of all points of the job. */
  totalBytesSent: number;
}

/** What GET /api/v1/vms/{vm}/replication answers. */
export interface VmReplication {
  site: { id: string; name: string } | null;
  state: 'not-configured' | 'ok' | 'lagging' | 'failing' | 'site-not-paired';
  lastReplicatedPointId: string | null;
  lastReplicatedAt: string | null;
  /** Age of the newest point the DR site holds: the RPO achieved at the DR site. */
  lagSeconds: number | null;
  rpoSeconds: number | null;
  rpoMet: boolean | null;
  lastError: string | null;
  backlogPoints: number;
}

/** Where the link's lasting figures are kept (the pairing's store), so that a restart does not reset them. */
export interface LinkFigureStore {
  linkFigures(peerId: string): LinkFigures | undefined;
  recordLinkFigures(peerId: string, figures: LinkFigures): void;
  /**
   * Which of a VM's points the peer is known to hold, kept across restarts (without these, known
   * in memory only: the first job after a restart offers the older points again).
   */
  replicatedPoints?(peerId: string, vmId: string): string[];
  recordReplicatedPoint?(peerId: string, vmId: string, pointId: string): void;
  /** Forgets the VM's points at the peer other than `keep`, those this site still has. */
  forgetReplicatedPoints?(peerId: string, vmId: string, keep: readonly string[]): void;
}

export interface LinkFigures {
  bytesSent: number;
  lastContactAt: string | null;
  lastError: string | null;
  errorCode: string | null;
}

/** How often a running replication records the link's figures at most; a point's end and a job's end always record them. */
const FIGURES_EVERY_MS = 5_000;

export interface StartReplicationOptions {
  runner: JobRunner;
  peers: PeerDirectory;
  /** Keeps the link's bytes sent, last contact and last error, and which points the peer holds, across restarts; without it they live in memory. */
  figures?: LinkFigureStore;
  /** This site's certificate and key, presented to peers. */
  identity: SiteIdentity | (() => SiteIdentity);
  repository: Repository;
  /** The replication site named by the policy of a backup job that succeeded, or null. */
  siteOfBackup: (job: JobRecord) => string | null;
  logger: Logger;
  /** Link tuning, for tests. */
  link?: { baseDelayMs?: number; maxFailures?: number; clock?: LimiterClock; idleTimeoutMs?: number };
  /** The receiver for a peer; default the HTTPS client. For tests. */
  receiverFor?: (peer: PeerRecord, identity: SiteIdentity) => ReplicaReceiver & { close?(): void };
}

export interface Replication {
  linkStats(peerId: string): LinkStats | undefined;
  vmReplication(vm: VmRef, policy: { replicationSite: string | null; rpoSeconds: number } | null): VmReplication;
  /** Queues a replication of the VM's newest point (what the coordinator does after a backup). */
  enqueue(vm: VmRef, site: string, pointId: string): JobRecord;
  stop(): void;
}

/** Waiters for a peer's slots; the limit is read from the pairing at each release. */
class Slots {
  private used = 0;
  private readonly waiting: Array<() => void> = [];

  async acquire(limit: () => number, signal: AbortSignal): Promise<() => void> {
    while (this.used >= Math.max(1, limit())) {
      await new Promise<void>((resolve, reject) => {
        const wake = () => {
          signal.removeEventListener('abort', onAbort);
          resolve();
        };
        const onAbort = () => {
          const i = this.waiting.indexOf(wake);
          if (i >= 0) this.waiting.splice(i, 1);
          reject(signal.reason as Error);
        };
        this.waiting.push(wake);
        signal.addEventListener('abort', onAbort, { once: true });
      });
    }
    this.used++;
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.used--;
      this.waiting.shift()?.();
    };
  }
}

interface Link {
  key: string;
  receiver: ReplicaReceiver & { close?(): void };
  limited: ReplicaReceiver;
  slots: Slots;
  /** Points the peer is known to hold. */
  held: Set<string>;
  stats: { lastContactAt: string | null; lastError: string | null; errorCode: string | null; bytesSent: number; active: number; remaining: number };
  samples: Array<{ at: number; bytes: number }>;
  /** When the figures were last recorded (ms). */
  recordedAt: number;
}

function parseParams(raw: unknown): ReplicationJobParams {
  const p = raw as Partial<ReplicationJobParams> | null;
  if (typeof p !== 'object' || p === null || typeof p.site !== 'string' || typeof p.pointId !== 'string') {
    throw new LifelineError('validation', 'replication job params need vm, site and pointId', { field: 'params' });
  }
  return { vm: validateVmRef(p.vm), site: p.site, pointId: p.pointId };
}

export function startReplication(opts: StartReplicationOptions): Replication {
  const { runner, peers, repository: repo } = opts;
  const log = opts.logger.child({ component: 'replication' });
  const links = new Map<string, Link>();
  const identity = (): SiteIdentity => (typeof opts.identity === 'function' ? opts.identity() : opts.identity);

  const linkOf = (peer: PeerRecord): Link => {
    const key = `${peer.url} ${peer.thumbprint}`;
    let link = links.get(peer.id);
    if (link && link.key !== key) {
      link.receiver.close?.();
      link = undefined;
    }
    if (!link) {
      const receiver =
        opts.receiverFor?.(peer, identity()) ??
        new HttpReplicaReceiver({
          url: peer.url,
          identity: identity(),
          peerThumbprint: peer.thumbprint,
          seedFor: (der, signal) => sealSeedFor(repo, der, signal),
          ...(opts.link?.idleTimeoutMs !== undefined ? { idleTimeoutMs: opts.link.idleTimeoutMs } : {}),
        });
      const limiter = new BandwidthLimiter(() => {
        const s = peers.peer(peer.id)?.settings ?? peer.settings;
        return { bandwidthMBps: s.bandwidthMBps, window: s.window };
      }, opts.link?.clock);
      const old = links.get(peer.id);
      link = {
        key,
        receiver,
        limited: throttled(receiver, limiter),
        slots: old?.slots ?? new Slots(),
        held: new Set(),
        stats: old?.stats ?? { lastContactAt: null, lastError: null, errorCode: null, bytesSent: 0, active: 0, remaining: 0, ...opts.figures?.linkFigures(peer.id) },
        samples: [],
        recordedAt: 0,
      };
      links.set(peer.id, link);
    }
    return link;
  };

  const record = (peerId: string, link: Link): void => {
    if (!opts.figures) return;
    link.recordedAt = Date.now();
    const { bytesSent, lastContactAt, lastError, errorCode } = link.stats;
    try {
      opts.figures.recordLinkFigures(peerId, { bytesSent, lastContactAt, lastError, errorCode });
    } catch (err) {
      log.warn('the link\'s figures could not be recorded', { site: peerId, err: describeError(err) });
    }
  };

  /** Keeps the figure store's work from failing a replication: what it cannot do is logged. */
  const stored = <T>(what: string, peerId: string, fn: (f: LinkFigureStore) => T): T | undefined => {
    if (!opts.figures) return undefined;
    try {
      return fn(opts.figures);
    } catch (err) {
      log.warn(`${what} could not be read or recorded`, { site: peerId, err: describeError(err) });
      return undefined;
    }
  };

  /** The VM's points to send, newest first: the newest, then older ones the DR site's rule keeps and it lacks. */
  const plan = (vmId: string, peer: PeerRecord, link: Link): string[] => {
    const points = repo.listPoints({ vmId });
    // What the peer holds of the VM, as recorded before a restart; points gone here are forgotten.
    for (const id of stored('the points the DR site holds', peer.id, (f) => f.replicatedPoints?.(peer.id, vmId)) ?? []) link.held.add(id);
    stored('the points the DR site holds', peer.id, (f) => f.forgetReplicatedPoints?.(peer.id, vmId, points.map((p) => p.id)));
    if (points.length === 0) return [];
    const r = peer.settings.retention;
    const decisions = planPrune(
      points.map((p) => ({ id: p.id, vmId: p.vmId, createdAt: p.createdAt, retainUntil: 0 })),
      { last: Math.max(1, r.keepLast), daily: r.daily, weekly: r.weekly, monthly: r.monthly },
      repo.now(),
    );
    const keep = new Set(decisions.filter((d) => d.mark !== 'remove').map((d) => d.id));
    const [newest, ...older] = points;
    return [(newest as { id: string }).id, ...older.filter((p) => keep.has(p.id) && !link.held.has(p.id)).map((p) => p.id)];
  };

  const handler: JobHandler<ReplicationJobParams> = {
    retry: { maxAttempts: 4, baseDelayMs: 60_000, maxDelayMs: 30 * 60_000 },
    timeoutMs: 24 * 3_600_000,
    lane: REPLICATION_LANE,
    async run(ctx): Promise<ReplicationJobResult> {
      const p = parseParams(ctx.params);
      const peer = peers.peer(p.site);
      if (!peer) {
        throw new LifelineError(
          'replication-site-unknown',
          `the VM's policy names the replication site "${p.site}", which this Lifeline server is not paired with: restore point ${p.pointId} is not replicated. Pair the site, or change the policy's replication site`,
          { transient: false, site: p.site },
        );
      }
      if (peer.role !== 'target') {
        throw new LifelineError('replication-refused', `site ${peer.name} is paired as a source of this site, not as its DR site: nothing is replicated to it`, { transient: false, site: peer.id });
      }
      const link = linkOf(peer);
      ctx.phase('waiting for the link');
      const release = await link.slots.acquire(() => peers.peer(peer.id)?.settings.maxConcurrentVms ?? peer.settings.maxConcurrentVms, ctx.signal);
      link.stats.active++;
      const todo = plan(vmKey(p.vm), peer, link);
      link.stats.remaining += todo.length;
      let left = todo.length;
      let total = 0;
      try {
        ctx.phase('replicate');
        ctx.log(`replicating ${todo.length} restore point${todo.length === 1 ? '' : 's'} of ${p.vm.moref} to site ${peer.name}, the newest first`);
        let first: Awaited<ReturnType<typeof replicateWithRetry>> | undefined;
        const older: string[] = [];
        for (const pointId of todo) {
          // An older point the VM's retention removed meanwhile (backups run beside this job) is skipped.
          if (pointId !== todo[0] && repo.catalog.getPoint(pointId)?.state !== 'committed') {
            link.stats.remaining--;
            left--;
            continue;
          }
          const r = await replicateWithRetry(repo, pointId, link.limited, {
            signal: ctx.signal,
            ...(opts.link?.baseDelayMs !== undefined ? { baseDelayMs: opts.link.baseDelayMs } : {}),
            ...(opts.link?.maxFailures !== undefined ? { maxFailures: opts.link.maxFailures } : {}),
            ...(opts.link?.clock ? { clock: opts.link.clock } : {}),
            onChunk: (_hex, n) => {
              total += n;
              link.stats.bytesSent += n;
              link.stats.lastContactAt = new Date().toISOString();
              const at = Date.now();
              link.samples.push({ at, bytes: n });
              while (link.samples.length > 0 && (link.samples[0] as { at: number }).at < at - 10_000) link.samples.shift();
              ctx.progress(total, null);
              if (at - link.recordedAt >= FIGURES_EVERY_MS) record(peer.id, link);
            },
            onRetry: (err, failures, delay) => {
              link.stats.lastError = describeError(err);
              ctx.log(`the link to ${peer.name} failed (${describeError(err)}); offering ${pointId} again in ${Math.round(delay / 1000)} s (${failures} in a row)`, 'warn');
            },
          });
          link.stats.remaining--;
          left--;
          link.stats.lastContactAt = new Date().toISOString();
          link.stats.lastError = null;
          link.stats.errorCode = null;
          link.held.add(pointId);
          stored('a point the DR site holds', peer.id, (f) => f.recordReplicatedPoint?.(peer.id, vmKey(p.vm), pointId));
          record(peer.id, link);
          ctx.log(`${pointId}: ${r.present ? 'already at' : 'committed at'} ${peer.name}, ${r.chunksSent} of ${r.chunks} chunks sent (${r.bytesSent} bytes)`);
          log.debug('point replicated', { jobId: ctx.jobId, site: peer.id, pointId, attempts: r.attempts, chunksSent: r.chunksSent, ...r.timings });
          if (!first) first = r;
          else older.push(pointId);
        }
        if (!first) throw new LifelineError('not-found', `VM ${p.vm.moref} has no restore point to replicate`);
        return { site: peer.id, siteName: peer.name, pointId: first.pointId, chunks: first.chunks, chunksSent: first.chunksSent, bytesSent: first.bytesSent, present: first.present, olderPoints: older, totalBytesSent: total };
      } catch (err) {
        // A job cancelled or stopped says nothing about the link.
        if (!ctx.signal.aborted) {
          link.stats.lastError = describeError(err);
          link.stats.errorCode = err instanceof LifelineError ? err.code : null;
        }
        throw err;
      } finally {
        link.stats.remaining -= left;
        link.stats.active--;
        record(peer.id, link);
        release();
      }
    },
  };
  runner.register(REPLICATION_JOB_KIND, handler as JobHandler);

  const submit = (vm: VmRef, site: string, pointId: string) =>
    runner.submit<ReplicationJobParams>({ kind: REPLICATION_JOB_KIND, target: vmTarget(vm), params: { vm, site, pointId }, requestedBy: 'replication' });
  const enqueue = (vm: VmRef, site: string, pointId: string): JobRecord => submit(vm, site, pointId).job;

  /** Replications whose VM had one running already (which planned without their point), queued when that ends. */
  const deferred = new Map<string, ReplicationJobParams>();
  const tryEnqueue = (p: ReplicationJobParams): void => {
    try {
      const r = submit(p.vm, p.site, p.pointId);
      // A queued replication plans when it starts, and then sends the newest point: nothing to add.
      if (!r.created && r.job.state !== 'queued') deferred.set(vmKey(p.vm), p);
      else deferred.delete(vmKey(p.vm));
    } catch (err) {
      if (err instanceof LifelineError && err.code === 'busy') deferred.set(vmKey(p.vm), p);
      else log.error('could not queue a replication', { vm: vmKey(p.vm), site: p.site, err: describeError(err) });
    }
  };
  const unsubscribe = runner.subscribe((ev) => {
    if (ev.type !== 'state' || ev.job.target.type !== 'VirtualMachine') return;
    const job = ev.job;
    if (job.state !== 'succeeded' && job.state !== 'failed' && job.state !== 'cancelled') return;
    // Outside the runner's own publishing: submitting publishes too.
    setImmediate(() => {
      if (job.kind === 'backup' && job.state === 'succeeded') {
        let site: string | null = null;
        try {
          site = opts.siteOfBackup(job);
        } catch (err) {
          log.warn('the policy of a finished backup could not be read; its point is not replicated', { jobId: job.id, err: describeError(err) });
        }
        const result = job.result as { pointId?: unknown } | null;
        if (site !== null && typeof result?.pointId === 'string') {
          tryEnqueue({ vm: { vcenterGuid: job.target.vcenterGuid ?? '', moref: job.target.id }, site, pointId: result.pointId });
        }
        return;
      }
      const waiting = deferred.get(`${job.target.vcenterGuid ?? ''}:${job.target.id}`);
      if (waiting) tryEnqueue(waiting);
    });
  });

  const queuedFor = (peer: PeerRecord): number =>
    runner.list({ kind: REPLICATION_JOB_KIND, states: ['queued'], limit: 500 }).items.filter((j) => {
      const site = (j.params as { site?: unknown } | null)?.site;
      return site === peer.id || site === peer.name;
    }).length;

  return {
    enqueue,
    linkStats(peerId: string): LinkStats | undefined {
      const peer = peers.peer(peerId);
      // After a restart, a peer with recorded figures has its link (and them) before its next job.
      const link = peer ? (links.get(peer.id) ?? (opts.figures?.linkFigures(peer.id) && peer.role === 'target' ? linkOf(peer) : undefined)) : undefined;
      if (!peer || !link) return undefined;
      const s = link.stats;
      const now = Date.now();
      const recent = link.samples.filter((x) => x.at >= now - 10_000);
      const span = recent.length > 1 ? Math.max(1, now - (recent[0] as { at: number }).at) / 1000 : 10;
      const state: LinkStats['state'] = s.active > 0 && s.lastError === null ? 'replicating' : s.errorCode === 'replication-refused' ? 'refused' : s.lastError !== null ? 'unreachable' : 'idle';
      return {
        state,
        lastContactAt: s.lastContactAt,
        lastError: s.lastError,
        bytesSent: s.bytesSent,
        throughputBps: s.active > 0 ? Math.round(recent.reduce((n, x) => n + x.bytes, 0) / span) : 0,
        backlogPoints: s.remaining + queuedFor(peer),
      };
    },
    vmReplication(vm, policy): VmReplication {
      const none: VmReplication = { site: null, state: 'not-configured', lastReplicatedPointId: null, lastReplicatedAt: null, lagSeconds: null, rpoSeconds: null, rpoMet: null, lastError: null, backlogPoints: 0 };
      if (!policy || policy.replicationSite === null) return none;
      const peer = peers.peer(policy.replicationSite);
      if (!peer) {
        return {
          ...none,
          site: { id: policy.replicationSite, name: policy.replicationSite },
          state: 'site-not-paired',
          rpoSeconds: policy.rpoSeconds,
          rpoMet: false,
          lastError: `this Lifeline server is not paired with the site "${policy.replicationSite}" the policy names: nothing is replicated`,
        };
      }
      const jobs = runner.list({ kind: REPLICATION_JOB_KIND, target: vmTarget(vm), limit: 50 }).items;
      const lastOk = jobs.find((j) => j.state === 'succeeded');
      const lastFailed = jobs.find((j) => j.state === 'failed');
      const result = lastOk?.result as Partial<ReplicationJobResult> | null | undefined;
      const pointId = typeof result?.pointId === 'string' ? result.pointId : null;
      let createdAt: number | null = null;
      if (pointId !== null) {
        try {
          createdAt = repo.getPoint(pointId).createdAt;
        } catch {
          createdAt = null;
        }
      }
      const now = repo.now();
      const lag = createdAt === null ? null : Math.max(0, Math.round((now - createdAt) / 1000));
      const rpoMet = lag !== null && lag <= policy.rpoSeconds;
      const failing = lastFailed !== undefined && (lastOk === undefined || Date.parse(lastFailed.createdAt) > Date.parse(lastOk.createdAt));
      const backlog = repo.listPoints({ vmId: vmKey(vm) }).filter((p) => createdAt === null || p.createdAt > createdAt).length;
      return {
        site: { id: peer.id, name: peer.name },
        state: failing ? 'failing' : rpoMet ? 'ok' : 'lagging',
        lastReplicatedPointId: pointId,
        lastReplicatedAt: lastOk?.finishedAt ?? null,
        lagSeconds: lag,
        rpoSeconds: policy.rpoSeconds,
        rpoMet,
        lastError: failing ? (lastFailed?.error?.message ?? null) : null,
        backlogPoints: backlog,
      };
    },
    stop(): void {
      unsubscribe();
      for (const l of links.values()) l.receiver.close?.();
      links.clear();
    },
  };
}
