/**
 * What the routes about one VM share: the privilege check on the VM named by the path's `vmId`,
 * the audit entry naming that VM, the VM and the user of the call, a request body held to its
 * fields, and the answer 202 with the job a change started.
 */
import type { Request, Response } from 'express';
import type { VmRef } from '../../domain/index.js';
import { ValidationError } from '../../errors/index.js';
import { audited, noteAudit } from '../audit/audited.js';
import { authorizedCall, type Authorizer } from '../auth/authorize.js';
import type { UserSession } from '../auth/ports.js';
import type { ApiServices } from './api-services.js';
import { parseVmId, vmObject } from './vm-id.js';

export type JsonBody = Record<string, unknown>;

/** The request's JSON object (an empty one when there is no body); a field not in `allowed` is refused by name. */
export function jsonBody(req: Request, allowed: readonly string[]): JsonBody {
  const body: unknown = req.body ?? {};
  if (typeof body !== 'object' || body === null || Array.isArray(body)) throw new ValidationError('the request body must be a JSON object');
  const extra = Object.keys(body).find((k) => !allowed.includes(k));
  if (extra !== undefined) throw new ValidationError(`${extra} is not a field of this request (allowed: ${allowed.join(', ') || 'none'})`, { field: extra });
  return body as JsonBody;
}

/** Answers 202 with the job `r` started (and `extra`); the job's id (and `details`) go into the audit entry. */
export function acceptedJob(req: Request, res: Response, r: { readonly job: { readonly id: string } }, details: Record<string, unknown> = {}, extra: Record<string, unknown> = {}): void {
  noteAudit(req, { details: { jobId: r.job.id, ...details } });
  res.status(202).location(`${req.baseUrl}/jobs/${r.job.id}`).json({ ...r, ...extra });
}

export function vmRoutes<S extends UserSession>(auth: Authorizer<S>, svc: Pick<ApiServices, 'audit' | 'log'>) {
  return {
    /** Requires `privilege` on the path's VM. */
    onVm: (privilege: string) =>
      auth.require({
        privileges: [privilege],
        entity: (req) => ({ type: 'VirtualMachine', value: parseVmId(req.params['vmId']).moref }),
        vcenterGuid: (req) => parseVmId(req.params['vmId']).vcenterGuid,
      }),
    /** Audits the call as `action` on the path's VM. */
    vmAudit: (action: string) =>
      audited(svc.audit, svc.log, action, (params, vcenter) => {
        const id = parseVmId(params['vmId']);
        const guid = id.vcenterGuid ?? vcenter?.guid;
        return guid ? vmObject(id.moref, guid) : `vm:${id.moref}`;
      }),
    /** The path's VM in the vCenter the call was authorised in. */
    vmOf: (req: Request): VmRef => ({ vcenterGuid: authorizedCall<S>(req).vcenter.guid, moref: parseVmId(req.params['vmId']).moref }),
    userOf: (req: Request): string => authorizedCall<S>(req).session.userName,
  };
}
