/**
 * Disaster recovery at the DR site: the pairing's resource mappings, the source site's VMs this
 * site holds replicated points of (with what each lacks of the mappings), and failover and test
 * failover of one VM from a replicated point, each as a `failover` job (failover-job.ts), and a
 * drill's clean-up. Nothing here talks to the source site: all of it works with the source gone.
 */
import { describeError, LifelineError, NotFoundError, ValidationError } from '../errors/index.js';
import type { JobRunner, JobTarget, SubmitResult } from '../jobs/index.js';
import type { Clock } from '../domain/index.js';
import type { PointManifest, Repository } from '../store/index.js';
import { validateInstanceName } from '../recovery/index.js';
import { randomUUID } from 'node:crypto';
import type { DrStore, FailoverMode, FailoverRecord, PlanRun, RecoveryPlan } from './dr-store.js';
import { PLAN_JOB_KIND } from './plan-job.js';
import { describeMissing, missingMappings, needsOf, parseMappings, type MissingMapping, type ResourceMappings } from './mappings.js';
import type { DrVcenterProvider } from './dr-vcenter.js';
import { askSourceSite, type SourceSiteLink } from './planned-failover.js';
import { parseVmOptions, type VmPlanOptions } from './plan-options.js';

export const FAILOVER_JOB_KIND = 'failover';

/** A paired site as disaster recovery needs it. */
export interface DrPeer {
  readonly id: string;
  readonly name: string;
  /** 'source': it replicates to this site, which is its DR site. */
  readonly role: 'source' | 'target';
}

export interface DrServiceOptions {
  readonly store: DrStore;
  readonly runner: Pick<JobRunner, 'submit' | 'reserve' | 'activeForTarget'>;
  /** The paired sites, by id. */
  peer(id: string): DrPeer | undefined;
  /** Every paired site; without it the global list of replicated VMs is empty. */
  peers?(): readonly DrPeer[];
  /** The replica repository of a source site; undefined before its first point arrived. */
  replica(peerId: string, signal: AbortSignal): Promise<Repository | undefined>;
  readonly vcenters: DrVcenterProvider;
  /** The vCenters this site serves (instance UUIDs). */
  readonly vcenterGuids: readonly string[];
  readonly clock: Clock;
  /** Requests to the source sites, for planned migration; without it mode `planned` is refused. */
  readonly source?: SourceSiteLink;
  /** The names of the hook sets of this server's configuration (lifeline.json), which a plan's VMs may run. */
  readonly hookSets?: readonly string[];
}

export interface ReplicatedVm {
  /** The VM's id at the source site (`<vCenter UUID>:<moref>`) and its name when last backed up. */
  vm: { id: string; name: string };
  points: number;
  latestPoint: { id: string; createdAt: string } | null;
  /** now − the latest point's time: what a disaster failover now would lose. */
  lagSeconds: number | null;
  /** What a failover and a drill of the VM lack of the mappings; empty: ready. */
  missing: { failover: MissingMapping[]; test: MissingMapping[] };
}

/** A replicated VM with the source site it comes from: the global list's row. */
export interface SiteReplicatedVm extends ReplicatedVm {
  site: { id: string; name: string };
}

/** One replicated point of a VM at this site, as a failover may choose it. */
export interface ReplicatedPoint {
  id: string;
  createdAt: string;
}

export interface FailoverOptions {
  readonly mode: FailoverMode;
  /** A replicated point of the VM; default its latest. */
  readonly pointId: string | null;
  /** The new VM's name; default the source VM's name, with "-dr-test" for a drill. */
  readonly name: string | null;
  readonly keepMacAddresses: boolean;
  readonly powerOn: boolean;
  /** How long a failover waits for VMware Tools to report running after power-on. */
  readonly toolsTimeoutSeconds: number;
  /** Mode `planned`: how long the source site waits for the guest to shut down before it powers the VM off. Default 300. */
  readonly shutdownTimeoutSeconds?: number;
  /** A recovery plan's overrides of the pairing's mappings for this VM (networks only outside drills). */
  readonly overrides?: Pick<VmPlanOptions, 'networks' | 'datastore' | 'folder' | 'pool'>;
  /** A hook set of the configuration, run once the VM is up (recovery plans). */
  readonly hookSet?: string | null;
}

export interface FailoverAccepted extends SubmitResult {
  failover: FailoverRecord;
}

const DRILL_SUFFIX = '-dr-test';

export class DrService {
  constructor(private readonly o: DrServiceOptions) {}

  /** A source site this site is the DR site of. */
  sourcePeer(peerId: string): DrPeer {
    const peer = this.o.peer(peerId);
    if (!peer) throw new NotFoundError(`site ${peerId} is not paired with this site`, { siteId: peerId });
    if (peer.role !== 'source') throw new LifelineError('conflict', `site ${peer.name} does not replicate to this site: mappings and failover are set at the DR site of a pairing`, { siteId: peerId });
    return peer;
  }

  mappings(peerId: string): { mappings: ResourceMappings; updatedAt: string | null } {
    this.sourcePeer(peerId);
    return this.o.store.getMappings(peerId);
  }

  /** The vCenter failed-over VMs of a pairing go to: the mapping's, or the only one this site serves. */
  targetVcenter(m: ResourceMappings): string {
    if (m.vcenterGuid !== null) {
      if (!this.o.vcenterGuids.includes(m.vcenterGuid)) throw new ValidationError(`vcenterGuid ${m.vcenterGuid} is not a vCenter this site serves`, { field: 'vcenterGuid' });
      return m.vcenterGuid;
    }
    if (this.o.vcenterGuids.length !== 1) throw new ValidationError(`this site serves ${this.o.vcenterGuids.length} vCenters: the mappings must name one in vcenterGuid`, { field: 'vcenterGuid' });
    return this.o.vcenterGuids[0]!;
  }

  /**
   * Stores a pairing's mappings once every target exists in this site's vCenter: each network,
   * test network and datastore by name, the folder and pool by moref. Answers with the mappings
   * and the source names no replicated VM uses (a likely typo, not an error).
   */
  async setMappings(peerId: string, body: unknown, signal: AbortSignal): Promise<{ mappings: ResourceMappings; updatedAt: string; unused: string[] }> {
    this.sourcePeer(peerId);
    const m = parseMappings(body);
    const guid = this.targetVcenter(m);
    const vc = await this.o.vcenters.vcenter(guid, signal);
    const inv = await vc.inventory(signal);
    const networks = new Set(inv.networks.map((n) => n.name));
    const datastores = new Set(inv.datastores.map((d) => d.name));
    for (const field of ['networks', 'testNetworks'] as const) {
      for (const [from, to] of Object.entries(m[field])) {
        if (!networks.has(to)) throw new ValidationError(`${field}.${from}: network ${to} does not exist in this site's vCenter`, { field, source: from });
      }
    }
    for (const [from, to] of Object.entries(m.datastores)) {
      if (!datastores.has(to)) throw new ValidationError(`datastores.${from}: datastore ${to} does not exist in this site's vCenter`, { field: 'datastores', source: from });
    }
    if (m.folder !== null && (await vc.entityName({ type: 'Folder', value: m.folder }, signal)) === undefined) {
      throw new ValidationError(`folder ${m.folder} does not exist in this site's vCenter`, { field: 'folder' });
    }
    if (m.resourcePool !== null && (await vc.entityName({ type: 'ResourcePool', value: m.resourcePool }, signal)) === undefined) {
      throw new ValidationError(`resourcePool ${m.resourcePool} does not exist in this site's vCenter`, { field: 'resourcePool' });
    }
    const used = { networks: new Set<string>(), datastores: new Set<string>() };
    for (const v of await this.vmConfigs(peerId, signal)) {
      const needs = needsOf(v.manifest.vm.config);
      for (const n of needs.networks) used.networks.add(n);
      if (needs.datastore) used.datastores.add(needs.datastore);
    }
    const unused = [
      ...Object.keys(m.networks).filter((n) => !used.networks.has(n)).map((n) => `network ${n}`),
      ...Object.keys(m.testNetworks).filter((n) => !used.networks.has(n)).map((n) => `test network ${n}`),
      ...Object.keys(m.datastores).filter((d) => !used.datastores.has(d)).map((d) => `datastore ${d}`),
    ];
    return { ...this.o.store.putMappings(peerId, m), unused };
  }

  /**
   * What a pairing's mappings may name at this site: the networks and datastores of the vCenter
   * the VMs are recovered into, and its datacenters' VM folders (resource pools are not listed).
   */
  async mappingTargets(peerId: string, signal: AbortSignal): Promise<{ vcenterGuid: string; networks: string[]; datastores: string[]; folders: Array<{ moref: string; name: string }> }> {
    this.sourcePeer(peerId);
    const guid = this.targetVcenter(this.o.store.getMappings(peerId).mappings);
    const inv = await (await this.o.vcenters.vcenter(guid, signal)).inventory(signal);
    const names = (xs: readonly { name: string }[]) => [...new Set(xs.map((x) => x.name))].sort((x, y) => x.localeCompare(y));
    return {
      vcenterGuid: guid,
      networks: names(inv.networks),
      datastores: names(inv.datastores),
      folders: inv.datacenters.flatMap((dc) => (dc.vmFolder ? [{ moref: dc.vmFolder, name: `${dc.name} (VM folder)` }] : [])),
    };
  }

  /** The latest replicated point of each VM of the source site, with its manifest. */
  private async vmConfigs(peerId: string, signal: AbortSignal): Promise<Array<{ vmId: string; vmName: string; points: number; latest: { id: string; createdAt: number }; manifest: PointManifest }>> {
    const repo = await this.o.replica(peerId, signal);
    if (!repo) return [];
    const byVm = new Map<string, { vmName: string; points: number; latest: { id: string; createdAt: number } }>();
    for (const p of repo.listPoints()) {
      if (p.damaged) continue;
      const cur = byVm.get(p.vmId);
      if (!cur) byVm.set(p.vmId, { vmName: p.vmName, points: 1, latest: { id: p.id, createdAt: p.createdAt } });
      else {
        cur.points++;
        if (p.createdAt > cur.latest.createdAt) byVm.set(p.vmId, { vmName: p.vmName, points: cur.points, latest: { id: p.id, createdAt: p.createdAt } });
      }
    }
    const out = [];
    for (const [vmId, v] of [...byVm].sort((a, b) => a[1].vmName.localeCompare(b[1].vmName))) {
      out.push({ vmId, ...v, manifest: await repo.readManifest(v.latest.id, signal) });
    }
    return out;
  }

  async replicatedVms(peerId: string, signal: AbortSignal): Promise<ReplicatedVm[]> {
    this.sourcePeer(peerId);
    const { mappings } = this.o.store.getMappings(peerId);
    const now = this.o.clock.now();
    return (await this.vmConfigs(peerId, signal)).map((v) => {
      const needs = needsOf(v.manifest.vm.config);
      return {
        vm: { id: v.vmId, name: v.vmName },
        points: v.points,
        latestPoint: { id: v.latest.id, createdAt: new Date(v.latest.createdAt).toISOString() },
        lagSeconds: Math.max(0, Math.round((now - v.latest.createdAt) / 1000)),
        missing: { failover: missingMappings(needs, mappings, false), test: missingMappings(needs, mappings, true) },
      };
    });
  }

  /** The replicated VMs of every source site that replicates here, each with its site. */
  async allReplicatedVms(signal: AbortSignal): Promise<SiteReplicatedVm[]> {
    const out: SiteReplicatedVm[] = [];
    for (const peer of (this.o.peers?.() ?? []).filter((p) => p.role === 'source')) {
      for (const vm of await this.replicatedVms(peer.id, signal)) out.push({ site: { id: peer.id, name: peer.name }, ...vm });
    }
    return out;
  }

  /** The points of one replicated VM this site holds (damaged ones left out), newest first: what a failover or a plan may choose. */
  async replicatedPoints(peerId: string, vmId: string, signal: AbortSignal): Promise<ReplicatedPoint[]> {
    const peer = this.sourcePeer(peerId);
    const repo = await this.o.replica(peerId, signal);
    const points = repo ? repo.listPoints({ vmId }).filter((p) => !p.damaged) : [];
    if (points.length === 0) throw new NotFoundError(`this site holds no replicated point of VM ${vmId} of site ${peer.name}`, { vmId });
    return points.sort((a, b) => b.createdAt - a.createdAt).map((p) => ({ id: p.id, createdAt: new Date(p.createdAt).toISOString() }));
  }

  /**
   * Queues a failover (or, in mode `test`, a drill) of one replicated VM: checks the point, the
   * mappings and the name now, records the failover with its mapped request and the data-loss
   * window, and submits the job that makes the VM.
   */
  async failover(peerId: string, vmId: string, opts: FailoverOptions, requestedBy: string, signal: AbortSignal): Promise<FailoverAccepted> {
    const target = failoverTarget(peerId, vmId);
    const active = this.o.runner.activeForTarget(target);
    if (active) throw new LifelineError('busy', `a failover of VM ${vmId} is under way (job ${active.id})`, { jobId: active.id });
    if (opts.mode === 'planned') return this.plannedFailover(peerId, vmId, opts, requestedBy, signal);
    const rec = await this.prepareFailover(peerId, vmId, opts, null, requestedBy, signal);
    const r = this.queueOrFail([rec], () => this.o.runner.submit({ kind: FAILOVER_JOB_KIND, target, params: { operation: 'failover', failoverId: rec.id }, priority: 30, requestedBy }), '');
    return { ...r, failover: this.o.store.updateFailover(rec.id, (x) => ({ ...x, jobId: r.job.id })) };
  }

  /**
   * A planned migration (planned-failover.ts): checked here as a failover of the latest point (the
   * mappings, the name), then the source site is asked to shut the VM down, back it up and
   * replicate that point; only once it accepted is the job queued that waits for its point and
   * recovers it. A source site that cannot be reached gets a clear refusal and nothing starts.
   * The job's place in the queue is held before the source site is asked: a queue that would
   * refuse the job refuses the request before the source site shuts its VM down for nothing.
   */
  private async plannedFailover(peerId: string, vmId: string, opts: FailoverOptions, requestedBy: string, signal: AbortSignal): Promise<FailoverAccepted> {
    const link = this.o.source;
    if (!link) throw new LifelineError('conflict', 'this server cannot reach source sites, so it cannot run a planned migration; fail over in mode disaster', { mode: 'planned' });
    if (opts.pointId !== null) throw new ValidationError('a planned migration recovers the point the source site makes last: give no pointId', { field: 'pointId' });
    const shutdownTimeoutSeconds = opts.shutdownTimeoutSeconds ?? 300;
    if (!Number.isSafeInteger(shutdownTimeoutSeconds) || shutdownTimeoutSeconds < 0 || shutdownTimeoutSeconds > 3600) {
      throw new ValidationError('shutdownTimeoutSeconds must be a whole number of seconds from 0 to 3600', { field: 'shutdownTimeoutSeconds' });
    }
    const rec = await this.prepareFailover(peerId, vmId, opts, null, requestedBy, signal);
    this.o.store.updateFailover(rec.id, (x) => ({ ...x, planned: { shutdownTimeoutSeconds, sourceJobId: null, shutdown: null, chunks: null, chunksSent: null } }));
    const place = this.queueOrFail([rec], () => this.o.runner.reserve(), `; site ${rec.siteName} was not asked to shut ${rec.sourceVm.name} down`);
    try {
      await askSourceSite({ store: this.o.store, source: link }, rec.id, signal);
      const r = this.queueOrFail(
        [rec],
        () => this.o.runner.submit({ kind: FAILOVER_JOB_KIND, target: failoverTarget(peerId, vmId), params: { operation: 'failover', failoverId: rec.id }, priority: 30, requestedBy, reservation: place }),
        `; site ${rec.siteName} was asked to shut ${rec.sourceVm.name} down and send its last point: look there before failing over again`,
      );
      return { ...r, failover: this.o.store.updateFailover(rec.id, (x) => ({ ...x, jobId: r.job.id })) };
    } finally {
      place.release();
    }
  }

  /**
   * Checks a failover of one VM now — the point, the mappings, the name — and records it (state
   * `starting`) with its mapped request and data-loss window, for a job to run.
   */
  async prepareFailover(peerId: string, vmId: string, opts: FailoverOptions, planRunId: string | null, requestedBy: string, signal: AbortSignal): Promise<FailoverRecord> {
    const peer = this.sourcePeer(peerId);
    const repo = await this.o.replica(peerId, signal);
    if (!repo) throw new NotFoundError(`this site holds no replicated point of site ${peer.name} yet`, { siteId: peerId });
    const points = repo.listPoints({ vmId }).filter((p) => !p.damaged);
    if (points.length === 0) throw new NotFoundError(`this site holds no replicated point of VM ${vmId} of site ${peer.name}`, { vmId });
    const point = opts.pointId === null ? points.reduce((a, b) => (b.createdAt > a.createdAt ? b : a)) : points.find((p) => p.id === opts.pointId);
    if (!point) throw new NotFoundError(`restore point ${opts.pointId ?? ''} is not a replicated point of VM ${vmId}`, { pointId: opts.pointId });
    const manifest = await repo.readManifest(point.id, signal);
    const { mappings: pairing } = this.o.store.getMappings(peerId);
    const test = opts.mode === 'test';
    const needs = needsOf(manifest.vm.config);
    const ov = opts.overrides ?? {};
    // A plan's overrides for this VM go over the pairing's mappings; a drill keeps the test networks.
    const mappings: ResourceMappings = {
      ...pairing,
      networks: test ? pairing.networks : { ...pairing.networks, ...ov.networks },
      datastores: ov.datastore !== undefined && needs.datastore !== null ? { ...pairing.datastores, [needs.datastore]: ov.datastore } : pairing.datastores,
      folder: ov.folder ?? pairing.folder,
      resourcePool: ov.pool ?? pairing.resourcePool,
    };
    const hookSet = opts.hookSet ?? null;
    if (hookSet !== null && !(this.o.hookSets ?? []).includes(hookSet)) {
      throw new ValidationError(`hook set ${hookSet} is not declared in this server's configuration (hookSets in lifeline.json)`, { field: 'hookSet', hookSet });
    }
    const missing = missingMappings(needs, mappings, test);
    if (missing.length > 0) {
      throw new LifelineError('dr-mapping-missing', `VM ${point.vmName} cannot be ${test ? 'test-' : ''}failed over: no mapping for ${describeMissing(missing)}; add ${missing.length === 1 ? 'it' : 'them'} to the site's mappings`, { vmId, missing });
    }
    const name = validateInstanceName(opts.name ?? `${point.vmName}${test ? DRILL_SUFFIX : ''}`);
    if (!Number.isSafeInteger(opts.toolsTimeoutSeconds) || opts.toolsTimeoutSeconds < 0 || opts.toolsTimeoutSeconds > 3600) {
      throw new ValidationError('toolsTimeoutSeconds must be a whole number of seconds from 0 to 3600', { field: 'toolsTimeoutSeconds' });
    }
    const vcenterGuid = this.targetVcenter(mappings);
    const vc = await this.o.vcenters.vcenter(vcenterGuid, signal);
    if ((await vc.inventory(signal)).vms.some((v) => v.name === name)) throw new LifelineError('conflict', `a VM named ${name} already exists in this site's vCenter; give another name`, { field: 'name' });
    const now = this.o.clock.now();
    return this.o.store.newFailover({
      peerId,
      siteName: peer.name,
      mode: opts.mode,
      sourceVm: { id: vmId, name: point.vmName },
      pointId: point.id,
      pointCreatedAt: new Date(point.createdAt).toISOString(),
      // A planned migration recovers the point the source makes once the VM is off: nothing is lost.
      dataLossWindowSeconds: opts.mode === 'planned' ? 0 : Math.max(0, Math.round((now - point.createdAt) / 1000)),
      name,
      vcenterGuid,
      request: {
        datastore: mappings.datastores[needs.datastore!]!,
        folder: mappings.folder,
        pool: mappings.resourcePool,
        networks: Object.fromEntries(needs.networks.map((n) => [n, (test ? mappings.testNetworks : mappings.networks)[n]!])),
        powerOn: opts.powerOn,
        keepMacAddresses: opts.keepMacAddresses,
        toolsTimeoutSeconds: opts.toolsTimeoutSeconds,
        hookSet,
      },
      state: 'starting',
      jobId: null,
      cleanupJobId: null,
      vm: null,
      checkpoint: null,
      report: {
        startedAt: null,
        createdAt: null,
        poweredOnAt: null,
        toolsReadyAt: null,
        toolsWait: null,
        hook: null,
        rtoSeconds: null,
        failures: [],
        cleanedAt: null,
        // A network override no mapping of this failover used is said, not dropped silently.
        unusedOverrides: Object.entries(ov.networks ?? {})
          .filter(([from]) => test || !needs.networks.includes(from))
          .map(([source, target]) => ({ source, target, reason: test ? ('test-networks' as const) : ('no-card' as const) })),
      },
      requestedBy,
      planRunId,
    });
  }

  /**
   * Queues the job of failovers just recorded. When the queue refuses it (full, or Lifeline
   * stopping), nothing will run them: each is marked failed, not started (`more` says what else
   * the user should know), the plan run `runId` is removed (and no longer named by them), and the
   * refusal goes to the caller.
   */
  private queueOrFail<T>(recs: readonly FailoverRecord[], submit: () => T, more: string, runId?: string): T {
    try {
      return submit();
    } catch (err) {
      for (const r of recs) {
        this.o.store.updateFailover(r.id, (x) => ({
          ...x,
          state: 'failed',
          planRunId: runId !== undefined && x.planRunId === runId ? null : x.planRunId,
          report: { ...x.report, failures: [`not started: its job could not be queued (${describeError(err)})${more}`] },
        }));
      }
      if (runId !== undefined) this.o.store.deleteRun(runId);
      throw err;
    }
  }

  /** Queues the clean-up of a drill: its VM and the VM's folder are removed, nothing else. */
  cleanup(failoverId: string, requestedBy: string): FailoverAccepted {
    const rec = this.o.store.getFailover(failoverId);
    if (rec.mode !== 'test') throw new LifelineError('conflict', `failover ${failoverId} is not a test failover: its VM is the production copy now, and Lifeline does not remove it`, { failoverId });
    if (rec.state === 'cleaned') throw new LifelineError('conflict', `the drill ${failoverId} was cleaned up already`, { failoverId });
    if (rec.state === 'starting' || rec.state === 'failed') {
      // A drill still starting is cancelled through its job; a failed one removed what it made.
      throw new LifelineError('conflict', `the drill ${failoverId} is ${rec.state}: ${rec.state === 'failed' ? 'it left nothing to clean up' : 'cancel its job first'}`, { failoverId, state: rec.state });
    }
    // One clean-up of a drill at a time: its own, or its plan run's.
    if (rec.state === 'cleaning') throw new LifelineError('busy', `the drill ${rec.name} is being cleaned up (job ${rec.cleanupJobId ?? '?'})`, { failoverId, jobId: rec.cleanupJobId });
    const run = rec.planRunId === null ? undefined : this.runOrNone(rec.planRunId);
    const planCleanup = run?.cleanupJobId ? this.o.runner.activeForTarget(planTarget(run.planId)) : undefined;
    if (planCleanup && planCleanup.id === run?.cleanupJobId) throw new LifelineError('busy', `the drill ${rec.name} is being cleaned up with its recovery plan's run (job ${planCleanup.id})`, { failoverId, jobId: planCleanup.id });
    const r = this.o.runner.submit({ kind: FAILOVER_JOB_KIND, target: failoverTarget(rec.peerId, rec.sourceVm.id), params: { operation: 'cleanup', failoverId }, priority: 30, requestedBy });
    return { ...r, failover: this.o.store.updateFailover(failoverId, (x) => ({ ...x, state: 'cleaning', cleanupJobId: r.job.id })) };
  }

  // ---- recovery plans ----

  /** Creates or replaces a plan; every VM must be one this site holds replicated points of. */
  async savePlan(id: string | null, body: unknown, signal: AbortSignal): Promise<RecoveryPlan> {
    if (typeof body !== 'object' || body === null || Array.isArray(body)) throw new ValidationError('the plan must be a JSON object');
    const b = body as Record<string, unknown>;
    const extra = Object.keys(b).find((k) => !['name', 'siteId', 'groups', 'maxParallel', 'toolsTimeoutSeconds', 'vmOptions'].includes(k));
    if (extra !== undefined) throw new ValidationError(`${extra} is not a field of a recovery plan`, { field: extra });
    const name = b['name'];
    // eslint-disable-next-line no-control-regex -- control characters have no place in a plan's name
    if (typeof name !== 'string' || !/^[^\u0000-\u001f]{1,80}$/.test(name) || name.trim() !== name) throw new ValidationError('name must be 1 to 80 characters', { field: 'name' });
    const siteId = b['siteId'];
    if (typeof siteId !== 'string') throw new ValidationError('siteId must be the id of the paired source site', { field: 'siteId' });
    this.sourcePeer(siteId);
    const groups = b['groups'];
    if (!Array.isArray(groups) || groups.length === 0 || groups.length > 50) throw new ValidationError('groups must be a list of 1 to 50 groups', { field: 'groups' });
    const configs = await this.vmConfigs(siteId, signal);
    const known = new Set(configs.map((v) => v.vmId));
    const seen = new Set<string>();
    const parsed = groups.map((g: unknown, i) => {
      const vms = (g as { vms?: unknown } | null)?.vms;
      if (!Array.isArray(vms) || vms.length === 0) throw new ValidationError(`groups[${i}].vms must list at least one replicated VM`, { field: 'groups' });
      for (const v of vms) {
        if (typeof v !== 'string' || !known.has(v)) throw new ValidationError(`groups[${i}]: ${String(v)} is not a VM this site holds replicated points of`, { field: 'groups' });
        if (seen.has(v)) throw new ValidationError(`groups[${i}]: VM ${v} is in the plan twice`, { field: 'groups' });
        seen.add(v);
      }
      return { vms: vms as string[] };
    });
    const int = (field: string, dflt: number, max: number): number => {
      const v = b[field] ?? dflt;
      if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 0 || v > max) throw new ValidationError(`${field} must be a whole number from 0 to ${max}`, { field });
      return v;
    };
    const maxParallel = int('maxParallel', 4, 16);
    if (maxParallel === 0) throw new ValidationError('maxParallel must be at least 1', { field: 'maxParallel' });
    const vmOptions = parseVmOptions(b['vmOptions'], seen);
    await this.checkVmOptions(siteId, vmOptions, signal);
    const existing = id ? this.plan(id) : undefined;
    const now = new Date(this.o.clock.now()).toISOString();
    return this.o.store.putPlan({
      id: existing?.id ?? randomUUID(),
      name,
      peerId: siteId,
      groups: parsed,
      maxParallel,
      toolsTimeoutSeconds: int('toolsTimeoutSeconds', 300, 3600),
      ...(Object.keys(vmOptions).length > 0 ? { vmOptions } : {}),
      createdAt: existing?.createdAt ?? now,
      updatedAt: now,
    });
  }

  /**
   * Checks a plan's per-VM options against what this site has: each point a replicated point of
   * its VM, each overridden network one of the VM's, each hook set one of the configuration's, and
   * each target (network, datastore, folder, pool) in this site's vCenter. 400 naming the field.
   */
  private async checkVmOptions(peerId: string, vmOptions: Readonly<Record<string, VmPlanOptions>>, signal: AbortSignal): Promise<void> {
    const entries = Object.entries(vmOptions);
    if (entries.length === 0) return;
    const repo = await this.o.replica(peerId, signal);
    const guid = this.targetVcenter(this.o.store.getMappings(peerId).mappings);
    const vc = await this.o.vcenters.vcenter(guid, signal);
    const inv = await vc.inventory(signal);
    const networks = new Set(inv.networks.map((n) => n.name));
    const datastores = new Set(inv.datastores.map((d) => d.name));
    for (const [vmId, o] of entries) {
      const at = `vmOptions.${vmId}`;
      const points = repo ? repo.listPoints({ vmId }).filter((p) => !p.damaged) : [];
      const point = o.point === undefined || o.point === 'latest' ? points.reduce<(typeof points)[number] | undefined>((a, p) => (a === undefined || p.createdAt > a.createdAt ? p : a), undefined) : points.find((p) => p.id === o.point);
      if (!point || !repo) throw new ValidationError(`${at}.point: ${o.point ?? 'latest'} is not a replicated point of VM ${vmId}`, { field: `${at}.point` });
      if (o.hookSet !== undefined && !(this.o.hookSets ?? []).includes(o.hookSet)) {
        throw new ValidationError(`${at}.hookSet: hook set ${o.hookSet} is not declared in this server's configuration (hookSets in lifeline.json)`, { field: `${at}.hookSet` });
      }
      const vmNetworks = new Set(needsOf((await repo.readManifest(point.id, signal)).vm.config).networks);
      for (const [from, to] of Object.entries(o.networks ?? {})) {
        if (!vmNetworks.has(from)) throw new ValidationError(`${at}.networks.${from}: VM ${point.vmName} has no network card on ${from}`, { field: `${at}.networks`, source: from });
        if (!networks.has(to)) throw new ValidationError(`${at}.networks.${from}: network ${to} does not exist in this site's vCenter`, { field: `${at}.networks`, source: from });
      }
      if (o.datastore !== undefined && !datastores.has(o.datastore)) throw new ValidationError(`${at}.datastore: datastore ${o.datastore} does not exist in this site's vCenter`, { field: `${at}.datastore` });
      if (o.folder !== undefined && (await vc.entityName({ type: 'Folder', value: o.folder }, signal)) === undefined) {
        throw new ValidationError(`${at}.folder: folder ${o.folder} does not exist in this site's vCenter`, { field: `${at}.folder` });
      }
      if (o.pool !== undefined && (await vc.entityName({ type: 'ResourcePool', value: o.pool }, signal)) === undefined) {
        throw new ValidationError(`${at}.pool: resource pool ${o.pool} does not exist in this site's vCenter`, { field: `${at}.pool` });
      }
    }
  }

  plan(id: string): RecoveryPlan {
    const p = this.o.store.findPlan(id);
    if (!p) throw new NotFoundError(`recovery plan ${id} does not exist`, { planId: id });
    return p;
  }

  plans(): RecoveryPlan[] {
    return this.o.store.listPlans();
  }

  deletePlan(id: string): void {
    const p = this.plan(id);
    const active = this.o.runner.activeForTarget(planTarget(p.id));
    if (active) throw new LifelineError('busy', `recovery plan ${p.name} is running (job ${active.id})`, { jobId: active.id });
    this.o.store.deletePlan(id);
  }

  /** A plan's last runs, newest first, each with its failovers by group. */
  planRuns(id: string, limit = 5): Array<PlanRun & { failovers: FailoverRecord[][] }> {
    return this.o.store.runsOf(this.plan(id).id, limit).map((r) => ({ ...r, failovers: r.groups.map((g) => g.map((f) => this.o.store.getFailover(f))) }));
  }

  /**
   * Queues a run of a plan in mode `test` (a drill of every VM on the test networks), `disaster`,
   * or `planned` (each VM a planned migration: the source site shuts it down, backs it up and
   * replicates that point when its step starts, and the step recovers exactly that point): every
   * step is checked now (points, mappings, names) and recorded, then one `recovery-plan` job runs
   * them group by group.
   */
  async runPlan(id: string, mode: FailoverMode, requestedBy: string, signal: AbortSignal, opts: { shutdownTimeoutSeconds?: number } = {}): Promise<SubmitResult & { run: PlanRun }> {
    const plan = this.plan(id);
    const shutdownTimeoutSeconds = opts.shutdownTimeoutSeconds ?? 300;
    if (mode !== 'planned' && opts.shutdownTimeoutSeconds !== undefined) throw new ValidationError('shutdownTimeoutSeconds is for mode planned only', { field: 'shutdownTimeoutSeconds' });
    if (mode === 'planned') {
      if (!this.o.source) throw new LifelineError('conflict', 'this server cannot reach source sites, so it cannot run a planned migration; run the plan in mode disaster', { mode: 'planned' });
      if (!Number.isSafeInteger(shutdownTimeoutSeconds) || shutdownTimeoutSeconds < 0 || shutdownTimeoutSeconds > 3600) {
        throw new ValidationError('shutdownTimeoutSeconds must be a whole number of seconds from 0 to 3600', { field: 'shutdownTimeoutSeconds' });
      }
      // A planned migration recovers the point the source site makes last, never an older one.
      const older = Object.entries(plan.vmOptions ?? {}).find(([, o]) => o.point !== undefined && o.point !== 'latest');
      if (older) {
        throw new ValidationError(`vmOptions.${older[0]}.point: a planned migration recovers the point the source site makes last; set the VM's point to latest to run the plan in mode planned`, { field: `vmOptions.${older[0]}.point` });
      }
    }
    const target = planTarget(plan.id);
    const active = this.o.runner.activeForTarget(target);
    if (active) throw new LifelineError('busy', `recovery plan ${plan.name} is running (job ${active.id})`, { jobId: active.id });
    const made: FailoverRecord[] = [];
    const groups: string[][] = [];
    const runId = randomUUID();
    try {
      for (const g of plan.groups) {
        const ids: string[] = [];
        for (const vmId of g.vms) {
          let rec = await this.prepareFailover(plan.peerId, vmId, planStepOptions(plan, vmId, mode), runId, requestedBy, signal);
          // The source site is asked when the step starts (plan-job.ts), so that groups go down in order too.
          if (mode === 'planned') rec = this.o.store.updateFailover(rec.id, (x) => ({ ...x, planned: { shutdownTimeoutSeconds, sourceJobId: null, shutdown: null, chunks: null, chunksSent: null } }));
          made.push(rec);
          ids.push(rec.id);
        }
        groups.push(ids);
      }
    } catch (err) {
      for (const r of made) this.o.store.updateFailover(r.id, (x) => ({ ...x, state: 'failed', report: { ...x.report, failures: ['not started: another VM of the plan could not be failed over (see the answer to the request)'] } }));
      throw err;
    }
    let run = this.o.store.newRun({ id: runId, planId: plan.id, mode, jobId: null, cleanupJobId: null, groups, requestedBy });
    const r = this.queueOrFail(made, () => this.o.runner.submit({ kind: PLAN_JOB_KIND, target, params: { operation: 'run', runId: run.id }, priority: 30, requestedBy }), '', run.id);
    run = this.o.store.updateRun(run.id, (x) => ({ ...x, jobId: r.job.id }));
    for (const f of made) this.o.store.updateFailover(f.id, (x) => ({ ...x, jobId: r.job.id }));
    return { ...r, run };
  }

  private runOrNone(runId: string): PlanRun | undefined {
    try {
      return this.o.store.getRun(runId);
    } catch {
      return undefined;
    }
  }

  /** Queues the clean-up of the plan's last test run: every drill VM it brought up is removed, nothing else. */
  cleanupPlan(id: string, requestedBy: string): SubmitResult & { run: PlanRun } {
    const plan = this.plan(id);
    const target = planTarget(plan.id);
    const active = this.o.runner.activeForTarget(target);
    if (active) throw new LifelineError('busy', `recovery plan ${plan.name} is running (job ${active.id})`, { jobId: active.id });
    const last = this.o.store.runsOf(plan.id, 1)[0];
    if (!last || last.mode !== 'test') throw new LifelineError('conflict', `recovery plan ${plan.name} has no test run to clean up${last ? `: its last run was a ${last.failback ? 'failback' : 'failover'}, whose VMs Lifeline does not remove` : ''}`, { planId: id });
    // One clean-up of a drill at a time: a drill of the run being cleaned up by itself is waited for.
    const cleaning = last.groups.flat().map((f) => this.o.store.getFailover(f)).find((f) => f.state === 'cleaning');
    if (cleaning) throw new LifelineError('busy', `the drill ${cleaning.name} of the run is being cleaned up (job ${cleaning.cleanupJobId ?? '?'}); clean the plan up once it has ended`, { failoverId: cleaning.id, jobId: cleaning.cleanupJobId });
    const r = this.o.runner.submit({ kind: PLAN_JOB_KIND, target, params: { operation: 'cleanup', runId: last.id }, priority: 30, requestedBy });
    return { ...r, run: this.o.store.updateRun(last.id, (x) => ({ ...x, cleanupJobId: r.job.id })) };
  }

  failoverRecord(id: string): FailoverRecord {
    return this.o.store.getFailover(id);
  }

  failovers(): FailoverRecord[] {
    return this.o.store.listFailovers();
  }
}

/**
 * What one step of a plan's run asks of its failover: the run's mode unchanged, and the VM's
 * options over the plan's defaults (the latest point, power on, wait for Tools for the plan's time).
 */
export function planStepOptions(plan: RecoveryPlan, vmId: string, mode: FailoverMode): FailoverOptions {
  const o: VmPlanOptions = plan.vmOptions?.[vmId] ?? {};
  const powerOn = o.powerOn ?? true;
  const wait = powerOn && (o.waitForTools ?? true);
  return {
    mode,
    pointId: o.point === undefined || o.point === 'latest' ? null : o.point,
    name: null,
    keepMacAddresses: false,
    powerOn,
    toolsTimeoutSeconds: wait ? (o.toolsTimeoutSeconds ?? plan.toolsTimeoutSeconds) : 0,
    overrides: { ...(o.networks ? { networks: o.networks } : {}), ...(o.datastore !== undefined ? { datastore: o.datastore } : {}), ...(o.folder !== undefined ? { folder: o.folder } : {}), ...(o.pool !== undefined ? { pool: o.pool } : {}) },
    hookSet: o.hookSet ?? null,
  };
}

/** One run at a time per plan. */
export function planTarget(planId: string): JobTarget {
  return { type: 'RecoveryPlan', id: planId, vcenterGuid: null };
}

/** One failover job at a time per replicated VM. */
export function failoverTarget(peerId: string, vmId: string): JobTarget {
  return { type: 'ReplicatedVirtualMachine', id: `${peerId}/${vmId}`, vcenterGuid: null };
}
