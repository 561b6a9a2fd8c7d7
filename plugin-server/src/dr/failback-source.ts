/**
 * Failback, the source site's (A's) part (docs/dr.md, "Failback"). Its DR site (B) sends a VM
 * failed over there back: B's last point of it arrives by reverse replication into A's own
 * repository (served by the server's wiring at /site/v1/dr/failback/replication, for the VMs
 * `accepts` allows only), then B asks A to recover exactly that point, and a `failback-recovery`
 * job at A
 *
 * - target `original` (refused while that VM runs here: its writes would be lost): reverts the
 *   original VM to the point (its disks replaced in their slots;
 *   the VM, its moref and instance UUID kept), makes the revert permanent and powers the VM on
 *   when asked; a revert that fails puts the VM's own disks back (recovery's revert);
 * - target `new`: recovers the point as a new VM (recovery's new instance) on A's networks and
 *   datastore — the pairing's mappings reversed, which B sends — and removes it when that fails;
 * - then clears the VM's mark "failed over to B": A backs it up and replicates it to B again.
 *
 * Site routes, behind the peer middleware (only a paired site reaches them):
 * - `POST /failbacks/check` — 204 when A would take the failback; changes nothing;
 * - `POST /failbacks` — 202 `{ jobId }`;
 * - `GET /failbacks/{jobId}` — the job's state, for the site that asked for it only.
 * A accepts only from its DR site (the pairing's role) and only for a VM that replicates to that
 * site or is marked failed over to it; each request is audited (`dr.failback-accept`).
 */
import express, { Router, type Request, type Response } from 'express';
import { describeError, isLifelineError, LifelineError, NotFoundError, ValidationError } from '../errors/index.js';
import { parseVmKey, vmKey, type Clock, type VmRef } from '../domain/index.js';
import { sleep, type JobHandler, type JobRecord, type JobRunner, type JobTarget } from '../jobs/index.js';
import type { Repository } from '../store/index.js';
import { validateInstanceName } from '../recovery/index.js';
import type { FailbackAsk, FailbackTarget, SourceFailbackStatus } from './failback.js';
import type { SqliteFailedOverStore } from './planned-migration.js';
import type { PlannedSiteAuditEvent } from './planned-site-routes.js';

export const FAILBACK_RECOVERY_JOB_KIND = 'failback-recovery';

/** What A's failback asks of recovery: each returns the restore job it queued. */
export interface FailbackRecovery {
  revert(vm: VmRef, pointId: string, requestedBy: string, signal: AbortSignal): Promise<JobRecord>;
  commitRevert(vm: VmRef, requestedBy: string): JobRecord;
  instantiate(pointId: string, req: { vcenterGuid: string; name: string; datastore: string | null; networks: Record<string, string>; powerOn: boolean }, requestedBy: string, signal: AbortSignal): Promise<JobRecord>;
}

export interface FailbackSourceVcenter {
  getVm(vm: string, signal?: AbortSignal): Promise<{ name: string; powerState: string }>;
  inventory(signal?: AbortSignal): Promise<{ vms: ReadonlyArray<{ name: string }> }>;
  powerOn(vm: string, task?: { signal?: AbortSignal }): Promise<void>;
}

export interface FailbackSourceOptions {
  readonly clock: Clock;
  readonly runner: Pick<JobRunner, 'submit' | 'find' | 'register' | 'list'>;
  peer(id: string): { id: string; name: string; role: 'source' | 'target' } | undefined;
  replicationSiteOf(vm: VmRef): string | null;
  readonly marks: SqliteFailedOverStore;
  readonly repository: Repository;
  readonly recovery: FailbackRecovery;
  vcenter(vcenterGuid: string, signal: AbortSignal): Promise<FailbackSourceVcenter>;
  readonly pollMs?: number;
}

interface Params extends FailbackAsk {
  siteId: string;
  pointId: string;
}

export interface FailbackRecoveryResult {
  vm: { moref: string; name: string };
  target: FailbackTarget;
  pointId: string;
}

const POINT_ID = /^\d{8}-\d{6}-[0-9a-f]{8}$/;

function parseAsk(body: unknown): FailbackAsk & { vm: VmRef } {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) throw new ValidationError('the request body must be a JSON object');
  const b = body as Record<string, unknown>;
  const vm = typeof b['vmId'] === 'string' ? parseVmKey(b['vmId']) : null;
  if (!vm) throw new ValidationError('vmId must be a VM id of this site (<vCenter UUID>:<moref>)', { field: 'vmId' });
  const target = b['target'];
  if (target !== 'original' && target !== 'new') throw new ValidationError('target must be original or new', { field: 'target' });
  const name = b['name'] ?? null;
  if (name !== null && typeof name !== 'string') throw new ValidationError('name must be a VM name or null', { field: 'name' });
  if (target === 'new') validateInstanceName(name ?? '');
  const networks = b['networks'] ?? {};
  if (typeof networks !== 'object' || networks === null || Array.isArray(networks) || Object.values(networks).some((v) => typeof v !== 'string')) {
    throw new ValidationError('networks must map network names to network names', { field: 'networks' });
  }
  const datastore = b['datastore'] ?? null;
  if (datastore !== null && typeof datastore !== 'string') throw new ValidationError('datastore must be a datastore name or null', { field: 'datastore' });
  const powerOn = b['powerOn'] ?? true;
  if (typeof powerOn !== 'boolean') throw new ValidationError('powerOn must be true or false', { field: 'powerOn' });
  return { vm, vmId: vmKey(vm), target, name, networks: networks as Record<string, string>, datastore, powerOn };
}

export class FailbackSource {
  private readonly pollMs: number;

  constructor(private readonly o: FailbackSourceOptions) {
    this.pollMs = o.pollMs ?? 1000;
    o.runner.register(FAILBACK_RECOVERY_JOB_KIND, this.handler() as JobHandler);
  }

  /**
   * Whether the paired site may send VM `vmId` back here: it is this site's DR site, and the VM
   * replicates to it or is marked failed over to it. Throws 'dr-failback-refused' otherwise.
   */
  accepts(siteId: string, vmId: string): { peer: { id: string; name: string }; vm: VmRef } {
    const peer = this.o.peer(siteId);
    if (!peer || peer.role !== 'target') throw new LifelineError('dr-failback-refused', 'this site does not replicate to the asking site: only its DR site may fail a VM back here', { siteId });
    const vm = parseVmKey(vmId);
    if (!vm) throw new LifelineError('dr-failback-refused', `${vmId.slice(0, 100)} is not a VM id of this site`, { vmId: vmId.slice(0, 100) });
    const site = this.o.replicationSiteOf(vm);
    const mark = this.o.marks.find(vm);
    if ((site === null || (site !== peer.id && site !== peer.name)) && mark?.siteId !== peer.id) {
      throw new LifelineError('dr-failback-refused', `VM ${vm.moref} neither replicates to site ${peer.name} nor was failed over to it: only the DR site a VM replicates to may send it back`, { vmId });
    }
    return { peer, vm };
  }

  /** Whether this site would take the failback now; changes nothing. */
  async check(siteId: string, body: unknown, signal: AbortSignal): Promise<void> {
    const ask = parseAsk(body);
    this.accepts(siteId, ask.vmId);
    const vc = await this.o.vcenter(ask.vm.vcenterGuid, signal);
    if (ask.target === 'original') {
      let info: { name: string; powerState: string };
      try {
        info = await vc.getVm(ask.vm.moref, signal);
      } catch (err) {
        throw new LifelineError('dr-failback-refused', `VM ${ask.vm.moref} cannot be found at this site (${describeError(err)}): fail back to a new VM instead`, { vmId: ask.vmId });
      }
      // Its disks are about to be replaced: what it wrote since the failover would be lost.
      if (info.powerState !== 'poweredOff') {
        throw new LifelineError('dr-failback-refused', `VM ${info.name} is ${info.powerState} at this site: a failback onto it would replace what it wrote since the failover. Power it off first, or fail back to a new VM`, { vmId: ask.vmId, reason: 'vm-running' });
      }
    } else {
      if ((await vc.inventory(signal)).vms.some((v) => v.name === ask.name)) throw new LifelineError('dr-failback-refused', `a VM named ${ask.name ?? ''} exists at this site already; give another name`, { field: 'name' });
      if (ask.datastore === null) throw new LifelineError('dr-failback-refused', 'the VM\'s datastore at this site is not known: give the point\'s datastore', { field: 'datastore' });
    }
  }

  start(siteId: string, body: unknown): JobRecord {
    const ask = parseAsk(body);
    const pointId = (body as Record<string, unknown>)['pointId'];
    if (typeof pointId !== 'string' || !POINT_ID.test(pointId)) throw new ValidationError('pointId must be a restore point id', { field: 'pointId' });
    const target: JobTarget = { type: 'Failback', id: ask.vmId, vcenterGuid: ask.vm.vcenterGuid };
    // The DR site asks again for the same point after a restart that cut it off before it recorded
    // the answer: the job that recovers or recovered that point (each failback sends a point of its
    // own) is the answer, whether it is still under way or done.
    const done = this.o.runner.list({ kind: FAILBACK_RECOVERY_JOB_KIND, target, limit: 20 }).items.find((j) => {
      const p = j.params as Partial<Params> | null;
      return ['queued', 'running', 'succeeded'].includes(j.state) && p?.pointId === pointId && p.siteId === siteId;
    });
    if (done) return done;
    const { peer, vm } = this.accepts(siteId, ask.vmId);
    const row = this.o.repository.catalog.getPoint(pointId);
    if (!row || row.state !== 'committed' || row.vmId !== ask.vmId) throw new LifelineError('dr-failback-refused', `restore point ${pointId} of VM ${vm.moref} is not in this site's repository: send it first`, { pointId });
    const { vm: _vm, ...rest } = ask;
    return this.o.runner.submit<Params>({ kind: FAILBACK_RECOVERY_JOB_KIND, target, params: { ...rest, siteId: peer.id, pointId }, priority: 30, requestedBy: `site ${peer.name}` }).job;
  }

  status(siteId: string, jobId: string): SourceFailbackStatus {
    const job = this.o.runner.find(jobId);
    const params = job?.params as Partial<Params> | null | undefined;
    if (!job || job.kind !== FAILBACK_RECOVERY_JOB_KIND || params?.siteId !== siteId) throw new NotFoundError(`no failback ${jobId} of the asking site`, { jobId });
    return { jobId: job.id, state: job.state, phase: job.phase, error: job.error, result: job.state === 'succeeded' ? (job.result as FailbackRecoveryResult) : null };
  }

  private async ended(id: string, clock: Clock, signal: AbortSignal): Promise<JobRecord> {
    for (;;) {
      const job = this.o.runner.find(id);
      if (!job) throw new NotFoundError(`job ${id} vanished`, { jobId: id });
      if (job.state !== 'queued' && job.state !== 'running') {
        if (job.state !== 'succeeded') throw new LifelineError(job.error?.code === 'conflict' ? 'conflict' : 'dr-failback-source-failed', `${job.kind} job ${job.id} ${job.state}${job.error ? `: ${job.error.message}` : ''}`, { jobId: job.id });
        return job;
      }
      await sleep(clock, this.pollMs, signal);
    }
  }

  private handler(): JobHandler<Params> {
    return {
      retry: { maxAttempts: 1 },
      timeoutMs: 24 * 3_600_000,
      // It waits for the revert, its commit or the new instance: it takes none of their slots.
      coordinator: true,
      run: async (ctx): Promise<FailbackRecoveryResult> => {
        const p = ctx.params;
        const { peer, vm } = this.accepts(p.siteId, p.vmId);
        const by = `failback from site ${peer.name}`;
        const vc = await this.o.vcenter(vm.vcenterGuid, ctx.signal);
        let result: FailbackRecoveryResult;
        if (p.target === 'original') {
          // The VM was off when the DR site asked (check()); it may have been powered on since,
          // while the DR site shut its copy down, backed it up and sent the point. Its disks would
          // be replaced: what it wrote since would be lost. The revert refuses a running VM too.
          const now = await vc.getVm(vm.moref, ctx.signal);
          if (now.powerState !== 'poweredOff') {
            throw new LifelineError('dr-failback-refused', `VM ${now.name} was powered on at this site after the failback was asked (it is ${now.powerState}): a failback onto it would replace what it wrote since. Nothing was changed here; power it off and fail back again, or fail back to a new VM`, { vmId: p.vmId, reason: 'vm-running' });
          }
          ctx.phase('revert');
          ctx.log(`reverting VM ${vm.moref} to restore point ${p.pointId}, sent back by site ${peer.name}: its disks are replaced, the VM kept`);
          await this.ended((await this.o.recovery.revert(vm, p.pointId, by, ctx.signal)).id, ctx.clock, ctx.signal);
          ctx.phase('commit');
          await this.ended(this.o.recovery.commitRevert(vm, by).id, ctx.clock, ctx.signal);
          const info = await vc.getVm(vm.moref, ctx.signal);
          if (p.powerOn && info.powerState === 'poweredOff') {
            ctx.phase('power-on');
            await vc.powerOn(vm.moref, { signal: ctx.signal });
          }
          result = { vm: { moref: vm.moref, name: info.name }, target: 'original', pointId: p.pointId };
        } else {
          ctx.phase('new-instance');
          ctx.log(`recovering restore point ${p.pointId}, sent back by site ${peer.name}, as the new VM ${p.name ?? ''}`);
          const job = await this.ended((await this.o.recovery.instantiate(p.pointId, { vcenterGuid: vm.vcenterGuid, name: p.name ?? '', datastore: p.datastore, networks: p.networks, powerOn: p.powerOn }, by, ctx.signal)).id, ctx.clock, ctx.signal);
          const made = (job.result as { vm?: { moref: string; name: string } } | null)?.vm;
          if (!made) throw new LifelineError('dr-failback-source-failed', `the new instance job ${job.id} reported no VM`, { jobId: job.id });
          result = { vm: { moref: made.moref, name: made.name }, target: 'new', pointId: p.pointId };
        }
        const mark = this.o.marks.find(vm);
        if (mark?.siteId === peer.id) {
          this.o.marks.clear(vm);
          ctx.log(`the mark "failed over to ${peer.name}" is cleared: this site backs the VM up and replicates it to ${peer.name} again`);
        }
        return result;
      },
    };
  }
}

/** The site routes (see the top of this file), mounted at /site/v1/dr behind the peer middleware. */
export function failbackSiteRouter(source: FailbackSource, audit: (e: PlannedSiteAuditEvent) => void): Router {
  const router = Router();
  const peerOf = (res: Response) => (res.locals as { peer: { id: string; name: string; thumbprint: string } }).peer;
  const audited = (req: Request, res: Response, jobId: () => string | null): void => {
    const peer = peerOf(res);
    const vmId = (req.body as { vmId?: unknown } | null)?.vmId;
    const vm = typeof vmId === 'string' ? parseVmKey(vmId) : null;
    res.once('finish', () => {
      const error = (res.locals as { siteError?: unknown }).siteError;
      audit({
        action: 'dr.failback-accept',
        object: vm ? `vm:${vm.vcenterGuid}:${vm.moref}` : null,
        vcenterGuid: vm?.vcenterGuid ?? null,
        outcome: res.statusCode >= 400 ? 'failure' : 'success',
        status: res.statusCode,
        errorCode: res.statusCode >= 400 ? (isLifelineError(error) ? error.code : `http-${res.statusCode}`) : null,
        details: { site: peer.id, siteName: peer.name, thumbprint: peer.thumbprint, jobId: jobId(), check: req.path.endsWith('/check') },
        req,
      });
    });
  };
  router.post('/failbacks/check', express.json({ limit: '64kb' }), async (req, res) => {
    audited(req, res, () => null);
    await source.check(peerOf(res).id, req.body, AbortSignal.timeout(60_000));
    res.status(204).end();
  });
  router.post('/failbacks', express.json({ limit: '64kb' }), (req, res) => {
    let jobId: string | null = null;
    audited(req, res, () => jobId);
    jobId = source.start(peerOf(res).id, req.body).id;
    res.status(202).json({ jobId });
  });
  router.get('/failbacks/:jobId', (req, res) => {
    const id = req.params['jobId'] ?? '';
    if (!/^[A-Za-z0-9-]{1,64}$/.test(id)) throw new NotFoundError(`no failback ${id} of the asking site`, { jobId: id });
    res.json(source.status(peerOf(res).id, id));
  });
  return router;
}
