/**
 * Disaster recovery at the DR site (docs/dr.md): the resource mappings of a pairing whose source
 * replicates here, the source's replicated VMs with what each lacks of the mappings, failover and
 * test failover (drill) of one VM, a drill's clean-up, and the failovers with their reports.
 *
 * - `GET /sites/{id}/mappings`, `GET /sites/{id}/mapping-targets`, `GET /sites/{id}/replicated-vms`,
 *   `GET /sites/{id}/replicated-vms/{vmId}/points`, `GET /replicated-vms` (every source site's),
 *   `GET /failovers`, `GET /failovers/{fid}` — System.Read on the inventory root.
 * - `PUT /sites/{id}/mappings` — Lifeline Admin on every vCenter this server serves (a pairing is
 *   the whole server's); each target must exist in this site's vCenter.
 * - `POST /sites/{id}/replicated-vms/{vmId}/failover` and `POST /failovers/{fid}/cleanup` —
 *   Lifeline Restore on the inventory root of the vCenter the VMs are recovered into; 202 with the
 *   `failover` job and the failover's record (its data-loss window among it).
 *
 * - Recovery plans: `GET /recovery-plans[/{pid}]` (System.Read), `POST /recovery-plans`,
 *   `PUT|DELETE /recovery-plans/{pid}` (Lifeline Admin on every vCenter), `POST
 *   /recovery-plans/{pid}/run` (mode test, planned or disaster) and `/cleanup` (Restore on the target
 *   vCenter's root): 202 with the `recovery-plan` job and the run. `POST /recovery-plans/{pid}/failback`
 *   (Restore there too): every VM of the plan sent back to the source site, the plan's last group
 *   first (dr/plan-failback.ts); 202 with the `recovery-plan-failback` job and the run.
 *
 * - `POST /sites/{id}/replicated-vms/{vmId}/failback` — Lifeline Restore there too: the VM's
 *   failover that is up is sent back to the source site (dr/failback.ts); 202 with the `failback`
 *   job and the failover's record.
 *
 * Every change is audited. Only a failover in mode `planned` and a failback reach the source site
 * (over the site link); 503 `dr-source-unreachable` when it cannot.
 */
import { Router, type Request } from 'express';
import { NotFoundError, ValidationError } from '../../errors/index.js';
import type { DrService, FailoverAccepted, FailoverRecord, PlanRun } from '../../dr/index.js';
import { audited, noteAudit } from '../audit/audited.js';
import type { Authorizer } from '../auth/authorize.js';
import type { UserSession } from '../auth/ports.js';
import { PRIVILEGES, READ_PRIVILEGE } from '../privileges.js';
import { requestContext } from '../request-context.js';
import type { ApiServices } from './api-services.js';
import { authorizedCall } from '../auth/authorize.js';

const SITE_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const FAILOVER_ID = SITE_ID;
const VM_ID = /^[A-Za-z0-9:._-]{1,200}$/;
const POINT_ID = /^\d{8}-\d{6}-[0-9a-f]{8}$/;
const FAILBACK_FIELDS = ['target', 'name', 'powerOn', 'shutdownTimeoutSeconds'];
const PLAN_FAILBACK_FIELDS = ['target', 'nameSuffix', 'powerOn', 'shutdownTimeoutSeconds'];
const FAILOVER_FIELDS = ['mode', 'pointId', 'name', 'keepMacAddresses', 'powerOn', 'toolsTimeoutSeconds', 'shutdownTimeoutSeconds'];

function idParam(req: Request, name: string, pattern: RegExp, what: string): string {
  const v = req.params[name];
  if (typeof v !== 'string' || !pattern.test(v)) throw new ValidationError(`${name} must be ${what}`, { field: name });
  return v;
}

export function drRoutes<S extends UserSession>(auth: Authorizer<S>, svc: ApiServices): Router {
  const router = Router();
  const dr = (): DrService => {
    if (!svc.dr) throw new NotFoundError('this Lifeline server has no backup store, so it holds no replicas to fail over');
    return svc.dr;
  };
  const read = auth.require({ privileges: [READ_PRIVILEGE] });
  const siteOf = (req: Request) => idParam(req, 'id', SITE_ID, 'the id of a paired site');
  /** The vCenter failed-over VMs go to: Restore is asked for on its inventory root. */
  const restoreAtTarget = auth.require({
    privileges: [PRIVILEGES.restore],
    vcenterGuid: (req) => {
      const fid = req.params['fid'];
      if (typeof fid === 'string' && FAILOVER_ID.test(fid)) return svc.dr?.failoverRecord(fid).vcenterGuid ?? null;
      return svc.dr ? svc.dr.targetVcenter(svc.dr.mappings(siteOf(req)).mappings) : null;
    },
  });
  const audit = (action: string, object: (p: Record<string, string | undefined>) => string | null) => audited(svc.audit, svc.log, action, object);
  const accepted = (req: Request, res: import('express').Response, r: FailoverAccepted): void => {
    noteAudit(req, { details: { failoverId: r.failover.id, jobId: r.job.id } });
    res.status(202).location(`${req.baseUrl}/jobs/${r.job.id}`).json({ job: r.job, created: r.created, failover: view(r.failover) });
  };

  router.get('/sites/:id/mappings', read, (req, res) => {
    res.json(dr().mappings(siteOf(req)));
  });

  router.put('/sites/:id/mappings', audit('dr.mappings', (p) => `site:${p['id'] ?? ''}`), auth.require({ privileges: [PRIVILEGES.admin] }), async (req, res) => {
    await auth.requireOnVcenters(req, auth.vcenterGuids, [PRIVILEGES.admin]);
    res.json(await dr().setMappings(siteOf(req), req.body, requestContext(req).signal));
  });

  router.get('/sites/:id/mapping-targets', read, async (req, res) => {
    res.json(await dr().mappingTargets(siteOf(req), requestContext(req).signal));
  });

  router.get('/sites/:id/replicated-vms', read, async (req, res) => {
    res.json({ items: await dr().replicatedVms(siteOf(req), requestContext(req).signal) });
  });

  router.get('/sites/:id/replicated-vms/:vmId/points', read, async (req, res) => {
    const vmId = idParam(req, 'vmId', VM_ID, "a replicated VM's id (GET /sites/{id}/replicated-vms)");
    res.json({ items: await dr().replicatedPoints(siteOf(req), vmId, requestContext(req).signal) });
  });

  router.get('/replicated-vms', read, async (req, res) => {
    res.json({ items: await dr().allReplicatedVms(requestContext(req).signal) });
  });

  router.post('/sites/:id/replicated-vms/:vmId/failover', audit('dr.failover', (p) => `site:${p['id'] ?? ''}`), restoreAtTarget, async (req, res) => {
    const vmId = idParam(req, 'vmId', VM_ID, "a replicated VM's id (GET /sites/{id}/replicated-vms)");
    const b: unknown = req.body ?? {};
    if (typeof b !== 'object' || b === null || Array.isArray(b)) throw new ValidationError('the request body must be a JSON object');
    const body = b as Record<string, unknown>;
    const extra = Object.keys(body).find((k) => !FAILOVER_FIELDS.includes(k));
    if (extra !== undefined) throw new ValidationError(`${extra} is not a field of this request (allowed: ${FAILOVER_FIELDS.join(', ')})`, { field: extra });
    const mode = body['mode'];
    if (mode !== 'disaster' && mode !== 'test' && mode !== 'planned') {
      throw new ValidationError('mode must be disaster (from the latest point this site holds; the source site may be unreachable), planned (the source site shuts the VM down and sends its last point first) or test (a drill on the test networks)', { field: 'mode' });
    }
    const pointId = body['pointId'] ?? null;
    if (pointId !== null && (typeof pointId !== 'string' || !POINT_ID.test(pointId))) throw new ValidationError('pointId must be a restore point id such as 20250102-030405-1a2b3c4d, or null for the latest', { field: 'pointId' });
    const name = body['name'] ?? null;
    if (name !== null && typeof name !== 'string') throw new ValidationError('name must be a VM name, or null', { field: 'name' });
    const flag = (field: string, dflt: boolean): boolean => {
      const v = body[field];
      if (v === undefined) return dflt;
      if (typeof v !== 'boolean') throw new ValidationError(`${field} must be true or false`, { field });
      return v;
    };
    const tools = body['toolsTimeoutSeconds'] ?? 300;
    if (typeof tools !== 'number') throw new ValidationError('toolsTimeoutSeconds must be a number of seconds', { field: 'toolsTimeoutSeconds' });
    const shutdown = body['shutdownTimeoutSeconds'];
    if (shutdown !== undefined && mode !== 'planned') throw new ValidationError('shutdownTimeoutSeconds is for mode planned only', { field: 'shutdownTimeoutSeconds' });
    if (shutdown !== undefined && typeof shutdown !== 'number') throw new ValidationError('shutdownTimeoutSeconds must be a number of seconds', { field: 'shutdownTimeoutSeconds' });
    noteAudit(req, { details: { vmId, mode, pointId } });
    const r = await dr().failover(
      siteOf(req),
      vmId,
      { mode, pointId, name, keepMacAddresses: flag('keepMacAddresses', false), powerOn: flag('powerOn', true), toolsTimeoutSeconds: tools, ...(typeof shutdown === 'number' ? { shutdownTimeoutSeconds: shutdown } : {}) },
      authorizedCall<S>(req).session.userName,
      requestContext(req).signal,
    );
    accepted(req, res, r);
  });

  router.post('/sites/:id/replicated-vms/:vmId/failback', audit('dr.failback', (p) => `site:${p['id'] ?? ''}`), restoreAtTarget, async (req, res) => {
    const vmId = idParam(req, 'vmId', VM_ID, "a replicated VM's id (GET /sites/{id}/replicated-vms)");
    const b: unknown = req.body ?? {};
    if (typeof b !== 'object' || b === null || Array.isArray(b)) throw new ValidationError('the request body must be a JSON object');
    const body = b as Record<string, unknown>;
    const extra = Object.keys(body).find((k) => !FAILBACK_FIELDS.includes(k));
    if (extra !== undefined) throw new ValidationError(`${extra} is not a field of this request (allowed: ${FAILBACK_FIELDS.join(', ')})`, { field: extra });
    const target = body['target'] ?? 'original';
    if (target !== 'original' && target !== 'new') throw new ValidationError("target must be original (the source site's VM, its disks replaced, its moref kept) or new (a new VM at the source site)", { field: 'target' });
    const name = body['name'] ?? null;
    if (name !== null && typeof name !== 'string') throw new ValidationError('name must be a VM name, or null', { field: 'name' });
    const powerOn = body['powerOn'] ?? true;
    if (typeof powerOn !== 'boolean') throw new ValidationError('powerOn must be true or false', { field: 'powerOn' });
    const shutdown = body['shutdownTimeoutSeconds'] ?? 300;
    if (typeof shutdown !== 'number') throw new ValidationError('shutdownTimeoutSeconds must be a number of seconds', { field: 'shutdownTimeoutSeconds' });
    if (!svc.failback) throw new NotFoundError('this Lifeline server has no backup store, so it holds no failed-over VM to fail back');
    noteAudit(req, { details: { vmId, target } });
    const r = await svc.failback.failback(siteOf(req), vmId, { target, name, powerOn, shutdownTimeoutSeconds: shutdown }, authorizedCall<S>(req).session.userName, requestContext(req).signal);
    accepted(req, res, r);
  });

  router.get('/failovers', read, (_req, res) => {
    res.json({ items: dr().failovers().map(view) });
  });

  router.get('/failovers/:fid', read, (req, res) => {
    res.json(view(dr().failoverRecord(idParam(req, 'fid', FAILOVER_ID, 'a failover id'))));
  });

  router.post('/failovers/:fid/cleanup', audit('dr.cleanup', (p) => `failover:${p['fid'] ?? ''}`), restoreAtTarget, (req, res) => {
    const fid = idParam(req, 'fid', FAILOVER_ID, 'a failover id');
    accepted(req, res, dr().cleanup(fid, authorizedCall<S>(req).session.userName));
  });

  // ---- recovery plans ----

  const planOf = (req: Request) => idParam(req, 'pid', FAILOVER_ID, 'a recovery plan id');
  const adminEverywhere = [auth.require({ privileges: [PRIVILEGES.admin] }), async (req: Request, _res: import('express').Response, next: () => void) => {
    await auth.requireOnVcenters(req, auth.vcenterGuids, [PRIVILEGES.admin]);
    next();
  }];
  const planView = (id: string) => ({ ...dr().plan(id), runs: dr().planRuns(id).map((r) => ({ ...r, failovers: r.failovers.map((g) => g.map(view)) })) });
  /** Restore on the inventory root of the vCenter the plan's VMs are recovered into. */
  const restoreForPlan = auth.require({
    privileges: [PRIVILEGES.restore],
    vcenterGuid: (req) => {
      const pid = req.params['pid'];
      if (!svc.dr || typeof pid !== 'string' || !FAILOVER_ID.test(pid)) return null;
      return svc.dr.targetVcenter(svc.dr.mappings(svc.dr.plan(pid).peerId).mappings);
    },
  });
  const planAccepted = (req: Request, res: import('express').Response, r: { job: import('../../jobs/index.js').JobRecord; created: boolean; run: PlanRun }): void => {
    noteAudit(req, { details: { runId: r.run.id, jobId: r.job.id } });
    res.status(202).location(`${req.baseUrl}/jobs/${r.job.id}`).json({ job: r.job, created: r.created, run: r.run });
  };

  router.get('/recovery-plans', read, (_req, res) => {
    res.json({ items: dr().plans().map((p) => planView(p.id)) });
  });

  router.post('/recovery-plans', audit('dr.plan-create', () => null), ...adminEverywhere, async (req, res) => {
    const plan = await dr().savePlan(null, req.body, requestContext(req).signal);
    noteAudit(req, { object: `recovery-plan:${plan.id}`, details: { name: plan.name } });
    res.status(201).location(`${req.baseUrl}/recovery-plans/${plan.id}`).json(planView(plan.id));
  });

  router.get('/recovery-plans/:pid', read, (req, res) => {
    res.json(planView(planOf(req)));
  });

  router.put('/recovery-plans/:pid', audit('dr.plan-update', (p) => `recovery-plan:${p['pid'] ?? ''}`), ...adminEverywhere, async (req, res) => {
    const plan = await dr().savePlan(planOf(req), req.body, requestContext(req).signal);
    res.json(planView(plan.id));
  });

  router.delete('/recovery-plans/:pid', audit('dr.plan-delete', (p) => `recovery-plan:${p['pid'] ?? ''}`), ...adminEverywhere, (req, res) => {
    dr().deletePlan(planOf(req));
    res.status(204).end();
  });

  router.post('/recovery-plans/:pid/run', audit('dr.plan-run', (p) => `recovery-plan:${p['pid'] ?? ''}`), restoreForPlan, async (req, res) => {
    const b: unknown = req.body ?? {};
    const mode = typeof b === 'object' && b !== null ? (b as Record<string, unknown>)['mode'] : undefined;
    const extra = typeof b === 'object' && b !== null ? Object.keys(b).find((k) => k !== 'mode' && k !== 'shutdownTimeoutSeconds') : undefined;
    if (extra !== undefined) throw new ValidationError(`${extra} is not a field of this request (allowed: mode, shutdownTimeoutSeconds)`, { field: extra });
    if (mode !== 'disaster' && mode !== 'test' && mode !== 'planned') {
      throw new ValidationError('mode must be test (a drill on the test networks), planned (the source site shuts each VM down and sends its last point first) or disaster (fail over for real from the points this site holds)', { field: 'mode' });
    }
    const shutdown = (b as Record<string, unknown>)['shutdownTimeoutSeconds'];
    if (shutdown !== undefined && typeof shutdown !== 'number') throw new ValidationError('shutdownTimeoutSeconds must be a whole number of seconds from 0 to 3600', { field: 'shutdownTimeoutSeconds' });
    noteAudit(req, { details: { mode } });
    planAccepted(req, res, await dr().runPlan(planOf(req), mode, authorizedCall<S>(req).session.userName, requestContext(req).signal, shutdown === undefined ? {} : { shutdownTimeoutSeconds: shutdown }));
  });

  router.post('/recovery-plans/:pid/cleanup', audit('dr.plan-cleanup', (p) => `recovery-plan:${p['pid'] ?? ''}`), restoreForPlan, (req, res) => {
    planAccepted(req, res, dr().cleanupPlan(planOf(req), authorizedCall<S>(req).session.userName));
  });

  router.post('/recovery-plans/:pid/failback', audit('dr.plan-failback', (p) => `recovery-plan:${p['pid'] ?? ''}`), restoreForPlan, async (req, res) => {
    const b: unknown = req.body ?? {};
    if (typeof b !== 'object' || b === null || Array.isArray(b)) throw new ValidationError('the request body must be a JSON object');
    const body = b as Record<string, unknown>;
    const extra = Object.keys(body).find((k) => !PLAN_FAILBACK_FIELDS.includes(k));
    if (extra !== undefined) throw new ValidationError(`${extra} is not a field of this request (allowed: ${PLAN_FAILBACK_FIELDS.join(', ')})`, { field: extra });
    const target = body['target'] ?? 'original';
    if (target !== 'original' && target !== 'new') throw new ValidationError("target must be original (each source VM's disks replaced, its moref kept) or new (a new VM at the source site for each)", { field: 'target' });
    const nameSuffix = body['nameSuffix'] ?? (target === 'new' ? '-failback' : null);
    if (nameSuffix !== null && typeof nameSuffix !== 'string') throw new ValidationError('nameSuffix must be a string, or null', { field: 'nameSuffix' });
    const powerOn = body['powerOn'] ?? true;
    if (typeof powerOn !== 'boolean') throw new ValidationError('powerOn must be true or false', { field: 'powerOn' });
    const shutdown = body['shutdownTimeoutSeconds'] ?? 300;
    if (typeof shutdown !== 'number') throw new ValidationError('shutdownTimeoutSeconds must be a number of seconds', { field: 'shutdownTimeoutSeconds' });
    if (!svc.planFailback) throw new NotFoundError('this Lifeline server has no backup store, so it holds no failed-over VM to fail back');
    noteAudit(req, { details: { target } });
    planAccepted(req, res, await svc.planFailback.request(planOf(req), { target, nameSuffix, powerOn, shutdownTimeoutSeconds: shutdown }, authorizedCall<S>(req).session.userName, requestContext(req).signal));
  });

  return router;
}

/** A failover as the API shows it: its record without the job's internal checkpoint. */
function view(r: FailoverRecord) {
  const { checkpoint: _checkpoint, ...rest } = r;
  return rest;
}
