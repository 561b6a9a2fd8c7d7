/**
 * A VM's protection: GET (System.Read on the VM), PUT/DELETE to assign or remove a policy and
 * POST …/backup for "back up now" (Lifeline's Protect privilege on the VM), and GET /compliance
 * for the protected VMs of the caller's vCenter that the caller can see (System.Read on the
 * inventory root; see scope.ts). Each compliance item also carries its DR copy (`replication`: the
 * site, state, lag and whether the RPO is met there, as replication/coordinator.ts judges it), or
 * null when the VM's policy names no replication site.
 *
 * Restore points do not exist until the backup pipeline is part of the server, so
 * `lastGoodPointAt` is null and RPO compliance is judged as for a VM never backed up; when the
 * pipeline is present it provides the RestorePointSource and these answers become real without
 * any change here.
 */
import { Router } from 'express';
import { LifelineError, ValidationError } from '../../errors/index.js';
import { BACKUP_JOB_KIND, dueAgeSeconds, planningDuration, type ProtectionPolicy, type RpoCompliance, type VmFeasibility } from '../../protection/index.js';
import { vmKey, vmTarget, type VmRef } from '../../domain/index.js';
import { noteAudit } from '../audit/audited.js';
import { authorizedCall, type Authorizer } from '../auth/authorize.js';
import type { UserSession } from '../auth/ports.js';
import { requestContext } from '../request-context.js';
import { PRIVILEGES, READ_PRIVILEGE } from '../privileges.js';
import type { ApiServices } from './api-services.js';
import { vmRoutes } from './vm-routes.js';
import { pageOf, paginate } from './paging.js';
import { vmUrn } from './vm-id.js';
import { scopeOf } from './scope.js';
import type { VmInventory } from './vms.js';

const RPO_STATUSES = ['compliant', 'at-risk', 'violated'] as const;

export function protectionRoutes<S extends UserSession & VmInventory>(auth: Authorizer<S>, svc: ApiServices): Router {
  const router = Router();
  const { onVm, vmAudit: audit, vmOf } = vmRoutes(auth, svc);

  const view = async (vm: VmRef, signal: AbortSignal) => {
    const p = svc.policies.getProtection(vm);
    const active = svc.jobs.activeForTarget(vmTarget(vm));
    const base = {
      vm: { id: vmUrn(vm.moref, vm.vcenterGuid), moref: vm.moref, vcenter: vm.vcenterGuid },
      backupAvailable: svc.runner.hasHandler(BACKUP_JOB_KIND),
      activeJob: active ? { id: active.id, kind: active.kind, state: active.state } : null,
    };
    if (!p) {
      return { ...base, protected: false, policy: null, assignedAt: null, paused: false, pauseReason: null, pausedAt: null, lastGoodPointAt: null, nextBackupDueAt: null, rpo: null };
    }
    const policy = svc.policies.getPolicy(p.policyId);
    const compliance = (await svc.scheduler.compliance(signal)).find((c) => vmKey(c.vm) === vmKey(vm));
    const lastGood = compliance?.lastGoodPointAt ?? null;
    return {
      ...base,
      protected: true,
      policy: { id: policy.id, name: policy.name, rpoSeconds: policy.rpoSeconds },
      assignedAt: p.assignedAt,
      paused: p.paused,
      pauseReason: p.pauseReason,
      pausedAt: p.pausedAt,
      lastGoodPointAt: lastGood,
      nextBackupDueAt: p.paused ? null : nextDueAt(vm, policy, lastGood, p.assignedAt),
      rpo: compliance ? rpoView(compliance) : null,
    };
  };

  /**
   * When the scheduler will want the next backup: at once for a VM with no restore point yet,
   * else when its point reaches the due age (RPO minus the expected duration and margin).
   * Backup windows may delay the start further; a time in the past means overdue.
   */
  const nextDueAt = (vm: VmRef, policy: ProtectionPolicy, lastGood: string | null, assignedAt: string): string => {
    if (lastGood === null) return assignedAt;
    const durations = svc.jobs.recentDurations(vmTarget(vm), BACKUP_JOB_KIND, 20).map((ms) => ms / 1000);
    const expected = planningDuration(durations);
    const age = dueAgeSeconds({ vm, policy, expectedDurationSeconds: expected });
    return new Date(Date.parse(lastGood) + age * 1000).toISOString();
  };

  router.get('/vms/:vmId/protection', onVm(READ_PRIVILEGE), async (req, res) => {
    res.json(await view(vmOf(req), requestContext(req).signal));
  });

  router.put('/vms/:vmId/protection', audit('protection.assign'), onVm(PRIVILEGES.protect), async (req, res) => {
    const policyId = assignmentOf(req.body);
    noteAudit(req, { details: { policyId } });
    if (!svc.policies.listPolicies().some((p) => p.id === policyId)) {
      throw new ValidationError(`policyId: there is no protection policy with id ${policyId}`, { field: 'policyId' });
    }
    const vm = vmOf(req);
    const before = svc.policies.getProtection(vm);
    svc.policies.assign(vm, policyId);
    svc.scheduler.nudge();
    if (before) noteAudit(req, { details: { previousPolicyId: before.policyId } });
    res.status(before ? 200 : 201).json(await view(vm, requestContext(req).signal));
  });

  router.delete('/vms/:vmId/protection', audit('protection.unassign'), onVm(PRIVILEGES.protect), (req, res) => {
    const vm = vmOf(req);
    const before = svc.policies.getProtection(vm);
    if (!before || !svc.policies.unassign(vm)) {
      throw new LifelineError('not-protected', `VM ${vm.moref} has no protection policy`, { vm: vmUrn(vm.moref, vm.vcenterGuid) });
    }
    noteAudit(req, { details: { policyId: before.policyId } });
    res.status(204).end();
  });

  router.post('/vms/:vmId/backup', audit('vm.backup'), onVm(PRIVILEGES.protect), async (req, res) => {
    if (!svc.runner.hasHandler(BACKUP_JOB_KIND)) {
      throw new LifelineError('backup-unavailable', 'The backup pipeline is not available in this Lifeline server; no backup can be started.');
    }
    const { session } = authorizedCall<S>(req);
    const vm = vmOf(req);
    const { job, created } = await svc.scheduler.backupNow(vm, session.userName, requestContext(req).signal);
    noteAudit(req, { details: { jobId: job.id, created } });
    res.status(202).location(`${req.baseUrl}/jobs/${job.id}`).json({ job, created });
  });

  router.get('/compliance', auth.require({ privileges: [READ_PRIVILEGE] }), async (req, res) => {
    const page = pageOf(req);
    // Only the VMs of the caller's vCenter that the caller can see.
    const scope = await scopeOf<S>(req);
    const status = req.query['status'];
    if (status !== undefined && !(RPO_STATUSES as readonly unknown[]).includes(status)) {
      throw new ValidationError(`Query parameter status must be one of ${RPO_STATUSES.join(', ')}.`, { parameter: 'status' });
    }
    const policies = new Map(svc.policies.listPolicies().map((p) => [p.id, p]));
    const feasibility = svc.scheduler.feasibility();
    const all = (await svc.scheduler.compliance(requestContext(req).signal))
      .filter((c) => scope.vms.has(`${c.vm.vcenterGuid.toLowerCase()}:${c.vm.moref}`))
      .filter((c) => status === undefined || c.status === status)
      .map((c) => ({
        vm: { id: vmUrn(c.vm.moref, c.vm.vcenterGuid), moref: c.vm.moref, vcenter: c.vm.vcenterGuid },
        policy: { id: c.policyId, name: policies.get(c.policyId)?.name ?? null },
        paused: c.paused,
        lastGoodPointAt: c.lastGoodPointAt,
        ...rpoView(c),
        feasibility: vmFeasibilityView(feasibility.vms.get(vmKey(c.vm))),
        replication: replicationView(c.vm, policies.get(c.policyId)),
      }));
    res.json(paginate(all, page));
  });

  /**
   * The DR copy of a compliance item: null when the VM's policy names no replication site; a
   * server without a backup store replicates nothing, so a site named there is not paired.
   */
  const replicationView = (vm: VmRef, policy: ProtectionPolicy | undefined) => {
    if (!policy || policy.replicationSite === null) return null;
    if (!svc.replication) return { siteName: policy.replicationSite, state: 'site-not-paired', lagSeconds: null, rpoMet: false };
    const r = svc.replication.vmReplication(vm, { replicationSite: policy.replicationSite, rpoSeconds: policy.rpoSeconds });
    return { siteName: r.site?.name ?? policy.replicationSite, state: r.state, lagSeconds: r.lagSeconds, rpoMet: r.rpoMet === true };
  };

  return router;
}

function vmFeasibilityView(f: VmFeasibility | undefined) {
  return { feasible: f?.feasible ?? null, bestRpoSeconds: f?.bestRpoSeconds ?? null, reason: f?.reason ?? null };
}

function rpoView(c: RpoCompliance) {
  return { status: c.status, ageSeconds: c.ageSeconds, rpoSeconds: c.rpoSeconds, exceededBySeconds: c.exceededBySeconds };
}

function assignmentOf(body: unknown): string {
  const isRecord = typeof body === 'object' && body !== null && !Array.isArray(body);
  const extra = isRecord ? Object.keys(body).filter((k) => k !== 'policyId') : [];
  if (extra.length > 0) {
    throw new ValidationError(`${extra[0]} is not a protection field (allowed: policyId)`, { field: extra[0] });
  }
  const policyId = isRecord ? (body as Record<string, unknown>)['policyId'] : undefined;
  if (typeof policyId !== 'string' || !/^[A-Za-z0-9-]{1,64}$/.test(policyId)) {
    throw new ValidationError('policyId must be the id of a protection policy', { field: 'policyId' });
  }
  return policyId;
}
