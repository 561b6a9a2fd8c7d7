/**
 * Protection policies: list and read with System.Read on the inventory root; create, replace,
 * merge-patch and delete with Lifeline's Admin privilege there, and on every other vCenter whose
 * VMs the policy protects (a policy is shared by the vCenters Lifeline serves). Every field is validated by
 * validatePolicy(), which lists each fault with its field and allowed range; nothing is saved
 * unless the whole policy is valid. A policy's hookSet must be one this server's configuration
 * declares; GET /hook-sets lists their names (never their commands) for the policy form. A
 * replicationSite must name (by id or name) a paired DR site, one this server replicates to.
 * Unpairing a site leaves the policies that name it as they are: their replication then fails
 * visibly, and a change to such a policy must name a paired site or none.
 */
import { Router, type Request } from 'express';
import { ValidationError } from '../../errors/index.js';
import { PolicyValidationError, validatePolicy, type PolicyFieldError, type PolicySpec, type ProtectionPolicy } from '../../protection/index.js';
import { audited, noteAudit } from '../audit/audited.js';
import type { PeerDirectory } from '../../sites/index.js';
import type { Authorizer } from '../auth/authorize.js';
import type { UserSession } from '../auth/ports.js';
import { PRIVILEGES, READ_PRIVILEGE } from '../privileges.js';
import type { ApiServices } from './api-services.js';
import { pageOf, paginate } from './paging.js';

const POLICY_ID = /^[A-Za-z0-9-]{1,64}$/;

export function policyRoutes<S extends UserSession>(auth: Authorizer<S>, svc: ApiServices): Router {
  const router = Router();
  const read = auth.require({ privileges: [READ_PRIVILEGE] });
  const admin = auth.require({ privileges: [PRIVILEGES.admin] });
  /** Admin on every vCenter whose VMs the policy protects, besides the caller's own. */
  const adminOfProtected = async (req: Request): Promise<void> => {
    const id = policyId(req);
    await auth.requireOnVcenters(req, svc.policies.listProtections({ policyId: id }).map((p) => p.vm.vcenterGuid), [PRIVILEGES.admin]);
  };
  const audit = (action: string) => audited(svc.audit, svc.log, action, (params) => `policy:${String(params['id'])}`);

  const view = (p: ProtectionPolicy, report = svc.scheduler.feasibility()) => {
    const f = report.policies.get(p.id);
    return {
      ...p,
      vmCount: svc.policies.listProtections({ policyId: p.id }).length,
      feasibility: {
        feasible: f?.feasible ?? null,
        bestRpoSeconds: f?.bestRpoSeconds ?? null,
        vmsInfeasible: f?.vmsInfeasible ?? 0,
        vmsUnmeasured: f?.vmsUnmeasured ?? 0,
        reason: f?.reason ?? null,
      },
    };
  };
  const hookSets = svc.hookSets ?? [];
  const specOf = (body: unknown) => policySpecOf(body, hookSets, svc.sites?.directory, svc.objectStorageCopies === true);

  router.get('/hook-sets', read, (req, res) => {
    res.json(paginate(hookSets.map((name) => ({ name })), pageOf(req)));
  });

  router.get('/policies', read, (req, res) => {
    const page = pageOf(req);
    const report = svc.scheduler.feasibility();
    res.json(paginate(svc.policies.listPolicies().map((p) => view(p, report)), page));
  });

  router.post('/policies', audited(svc.audit, svc.log, 'policy.create'), admin, (req, res) => {
    const spec = specOf(req.body);
    noteAudit(req, { details: { name: spec.name } });
    const created = svc.policies.createPolicy(spec);
    noteAudit(req, { object: `policy:${created.id}` });
    res.status(201).location(`${req.baseUrl}/policies/${created.id}`).json(view(created));
  });

  router.get('/policies/:id', read, (req, res) => {
    res.json(view(svc.policies.getPolicy(policyId(req))));
  });

  router.put('/policies/:id', audit('policy.update'), admin, async (req, res) => {
    const id = policyId(req);
    await adminOfProtected(req);
    const spec = specOf(req.body);
    noteAudit(req, { details: { name: spec.name } });
    res.json(view(svc.policies.updatePolicy(id, spec)));
  });

  router.patch('/policies/:id', audit('policy.update'), admin, async (req, res) => {
    const id = policyId(req);
    await adminOfProtected(req);
    const body: unknown = req.body;
    if (!isRecord(body)) throw new ValidationError('a policy patch must be a JSON object (RFC 7396 merge patch)', { field: '' });
    const { id: _id, createdAt: _c, updatedAt: _u, ...current } = svc.policies.getPolicy(id);
    const spec = specOf(mergePatch(current, body));
    noteAudit(req, { details: { name: spec.name, patched: Object.keys(body).sort().join(',') } });
    res.json(view(svc.policies.updatePolicy(id, spec)));
  });

  router.delete('/policies/:id', audit('policy.delete'), admin, async (req, res) => {
    await adminOfProtected(req);
    svc.policies.deletePolicy(policyId(req));
    res.status(204).end();
  });

  return router;
}

function policyId(req: Request): string {
  const id = req.params['id'];
  if (typeof id !== 'string' || !POLICY_ID.test(id)) throw new ValidationError('id must be a policy id', { field: 'id' });
  return id;
}

/** The policy in a request body, or a 400 listing every field at fault, a hook set the server lacks, a site it is not paired with and copies it has no object storage for included. */
function policySpecOf(body: unknown, hookSets: readonly string[], sites: PeerDirectory | undefined, objectStorageCopies: boolean): PolicySpec {
  if (body === undefined) throw new PolicyValidationError([{ field: '', message: 'the request needs a JSON body (Content-Type: application/json)' }]);
  const v = validatePolicy(body);
  const errors: PolicyFieldError[] = v.ok ? [] : [...v.errors];
  const hookSet = isRecord(body) ? body['hookSet'] : undefined;
  if (typeof hookSet === 'string' && !errors.some((e) => e.field === 'hookSet') && !hookSets.includes(hookSet)) {
    const known = hookSets.length === 0 ? 'this server declares none' : `it declares ${hookSets.join(', ')}`;
    errors.push({ field: 'hookSet', message: `hookSet "${hookSet}" is not a hook set of this Lifeline server's configuration (${known})` });
  }
  // Replication runs only to a paired site this server replicates to: a site named here that is
  // not one would be accepted and then never receive a copy, so it is refused rather than kept.
  const replicationSite = isRecord(body) ? body['replicationSite'] : undefined;
  if (typeof replicationSite === 'string' && !errors.some((e) => e.field === 'replicationSite')) {
    const peer = sites?.peer(replicationSite);
    if (!peer || peer.role !== 'target') {
      const targets = (sites?.peers() ?? []).filter((p) => p.role === 'target').map((p) => p.name);
      const known = targets.length === 0 ? 'it is paired with no DR site: pair one under Sites first' : `its DR sites are ${targets.join(', ')}`;
      const why = peer ? `is a site that replicates to this one, not a DR site of it (${known})` : `is not a paired site of this Lifeline server (${known})`;
      errors.push({ field: 'replicationSite', message: `replicationSite "${replicationSite}" ${why}` });
    }
  }
  // Copies go to the object storage the server's configuration names: without it they would be
  // accepted and never made.
  const copy = isRecord(body) ? body['copyToObjectStorage'] : undefined;
  if (copy !== undefined && copy !== null && !objectStorageCopies && !errors.some((e) => e.field.startsWith('copyToObjectStorage'))) {
    errors.push({ field: 'copyToObjectStorage', message: 'copyToObjectStorage: this Lifeline server has no object storage for copies (copyS3 in lifeline.json); configure it first, or leave copies off' });
  }
  if (!v.ok || errors.length > 0) throw new PolicyValidationError(errors);
  return v.policy;
}

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** RFC 7396: objects merge member by member, null removes a member (its default applies), anything else replaces. */
export function mergePatch(target: unknown, patch: unknown): unknown {
  if (!isRecord(patch)) return patch;
  const out: Record<string, unknown> = isRecord(target) ? { ...target } : {};
  for (const [k, v] of Object.entries(patch)) {
    if (v === null) delete out[k];
    // defineProperty: a member named __proto__ must stay a member (and be refused as unknown).
    else Object.defineProperty(out, k, { value: mergePatch(out[k], v), enumerable: true, writable: true, configurable: true });
  }
  return out;
}
