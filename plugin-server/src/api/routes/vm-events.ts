/**
 * A VM's recent events: GET /vms/{vm}/events (System.Read on the VM), newest first, from the
 * events outbox, so the VM's Protection tab can show what Lifeline told about it (backups failed
 * or succeeded, RPO violated and recovered, restores) whichever channels are configured. What a
 * channel was sent stays in the notifications delivery log, which only Lifeline Admins read.
 */
import { Router, type Request } from 'express';
import { LifelineError, ValidationError } from '../../errors/index.js';
import { authorizedCall, type Authorizer } from '../auth/authorize.js';
import type { UserSession } from '../auth/ports.js';
import { READ_PRIVILEGE } from '../privileges.js';
import type { ApiServices } from './api-services.js';
import { parseVmId } from './vm-id.js';

const DEFAULT_LIMIT = 20;
const MAX_LIMIT = 100;

export function vmEventRoutes<S extends UserSession>(auth: Authorizer<S>, svc: ApiServices): Router {
  const router = Router();
  const limitOf = (req: Request): number => {
    const raw = req.query['limit'];
    const limit = raw === undefined ? DEFAULT_LIMIT : Number(raw);
    if (!Number.isInteger(limit) || limit < 1 || limit > MAX_LIMIT) throw new ValidationError(`limit must be an integer from 1 to ${MAX_LIMIT}`, { field: 'limit' });
    return limit;
  };
  router.get(
    '/vms/:vmId/events',
    auth.require({
      privileges: [READ_PRIVILEGE],
      entity: (req) => ({ type: 'VirtualMachine', value: parseVmId(req.params['vmId']).moref }),
      vcenterGuid: (req) => parseVmId(req.params['vmId']).vcenterGuid,
    }),
    (req, res) => {
      const limit = limitOf(req);
      if (!svc.notifications) throw new LifelineError('shutting-down', 'Events are not available on this server now.');
      const vm = { vcenterGuid: authorizedCall<S>(req).vcenter.guid, moref: parseVmId(req.params['vmId']).moref };
      const items = svc.notifications.store.vmEvents(vm, limit).map((e) => ({ id: e.id, type: e.type, severity: e.severity, at: e.at, message: e.message, jobId: e.jobId, pointId: e.pointId }));
      res.json({ items });
    },
  );
  return router;
}
